package io.wsmsg.registry;

/** The registry's answer to a command: OK, or an error code and a sentence. */
public record RegistryReply(String errorCode, String errorText) {
  public static final RegistryReply OK = new RegistryReply(null, null);

  public boolean ok() {
    return errorCode == null;
  }
}
