package io.wsmsg.server;

/**
 * A server that cannot start for a reason the operator can fix (a port taken, a data directory
 * in use): its message is one sentence naming the setting and how to change it, printed as is,
 * without a stack trace.
 */
public final class StartupException extends RuntimeException {
  public StartupException(String message) {
    super(message, null, false, false);
  }

  /**
   * The sentence for a failed bind, or null when {@code e} is not one: "cannot listen on
   * 127.0.0.1:8766 (management.port): address already in use; choose another with
   * --management-port or WSMSG_MANAGEMENT_PORT".
   */
  public static StartupException bind(Throwable e, String host, int port, String setting, String change) {
    String why = bindProblem(e);
    if (why == null) return null;
    return new StartupException("cannot listen on " + host + ":" + port + " (" + setting + "): " + why
        + "; choose another with " + change);
  }

  /** What went wrong binding a socket, in lower case, or null when the failure is something else. */
  static String bindProblem(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
      if (m.contains("address already in use") || m.contains("is already in use")) return "address already in use";
      if (m.contains("permission denied")) return "permission denied (ports below 1024 need privileges)";
      if (m.contains("cannot assign requested address")) return "no interface of this machine has that address";
      if (t instanceof java.net.BindException) return String.valueOf(t.getMessage());
    }
    return null;
  }
}
