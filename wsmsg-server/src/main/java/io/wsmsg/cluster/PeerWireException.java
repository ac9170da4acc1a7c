package io.wsmsg.cluster;

import java.util.Locale;

/**
 * A peer message that was refused before anything of it was applied. The {@link Reason} is
 * the label of {@code wsmsg_peer_rejected_total}; the message says what exactly was wrong.
 * The only exception a peer-message decoder throws.
 */
public final class PeerWireException extends RuntimeException {
  /** Why a peer message was refused (lower case in metrics and logs). */
  public enum Reason {
    /** The message ends before a field it must have. */
    TRUNCATED,
    /** A string, byte field or frame is longer than allowed. */
    TOO_LONG,
    /** A count is negative, beyond a configured limit, or more than the remaining bytes can hold. */
    BAD_COUNT,
    /** Bytes left over after the last field. */
    TRAILING_BYTES,
    /** An endpoint, channel, node or member name that a client could not use either. */
    BAD_NAME,
    /** A number or flag out of its range (priority, size, window, expiry, hops...). */
    BAD_VALUE,
    /** A carried message that is not a valid wsmsg frame. */
    BAD_FRAME,
    /** An unknown message type. */
    UNKNOWN_TYPE,
    /** It names a member (owner, sender) that is not in the cluster now. */
    UNKNOWN_MEMBER,
    /** An ownership epoch out of range, or too far ahead of the known one. */
    BAD_EPOCH,
    /** More than this member accepts at once (limits). */
    OVER_LIMIT,
    /** Sent to the wrong member (a handoff for somebody else). */
    MISDIRECTED;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Reason reason;

  public PeerWireException(Reason reason, String detail) {
    super(reason.label() + ": " + detail, null, false, false); // no stack trace: refusals are routine
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
