package io.wsmsg.protocol;

/**
 * A frame or command the server cannot accept. {@link #code()} is the machine-readable code
 * sent back in the {@code error} message; the message text is a sentence for humans. No stack
 * trace is filled in: these are client mistakes, not server faults.
 */
public final class ProtocolException extends Exception {
  private final String code;
  private final transient byte[] uid;

  public ProtocolException(String code, String message) {
    this(code, message, null);
  }

  public ProtocolException(String code, String message, byte[] uid) {
    super(message, null, false, false);
    this.code = code;
    this.uid = uid;
  }

  public String code() {
    return code;
  }

  /** The offending message's uid when it could be read, else null. */
  public byte[] uid() {
    return uid;
  }

  public ProtocolException withUid(byte[] uid) {
    return new ProtocolException(code, getMessage(), uid);
  }
}
