package io.wsmsg.cli;

/**
 * Exit codes of the client commands ({@code pub}, {@code sub}, {@code req}, {@code reply}).
 * The strings are picocli's {@code exitCodeList} entries, shown by {@code --help}.
 */
final class Exit {
  private Exit() {}

  /** Done (for sub and reply: stopped by Ctrl-C or after --count). */
  static final int OK = 0;
  /** The server refused something (error message printed), or another failure. */
  static final int REFUSED = 1;
  /** Usage error: a bad option or argument, data that is not JSON (picocli's own code too). */
  static final int USAGE = 2;
  /**
   * Cannot connect (unreachable, or the upgrade was refused with HTTP 401/403/400), or the
   * connection was lost; for sub and reply also the token refused on reconnecting.
   */
  static final int CONNECT = 3;
  /** No reply, or no answer from the server, within the timeout. */
  static final int TIMEOUT = 4;
  /** The replier failed: the reply came on {@code <x>.exception}. */
  static final int REMOTE = 5;

  static final String HEADING = "%nExit codes:%n";
  static final String C0 = "0:done (sub and reply: stopped by Ctrl-C or after --count)";
  static final String C1 = "1:the server refused something (its reason is printed), or another error";
  static final String C2 = "2:usage error: bad option or argument, data that is not JSON";
  static final String C3 = "3:cannot connect (unreachable, or refused with HTTP 401/403 and the reason printed),"
      + " or the connection was lost (sub, reply: or the token was refused on reconnecting)";
  static final String C4 = "4:timeout: no reply (req), or no answer from the server in time";
  static final String C5 = "5:remote exception: the replier failed and sent its error text (req)";

  // the introspection commands (status, endpoints, channels): one HTTP request to the management port
  static final String M0 = "0:done";
  static final String M1 = C1 + " (HTTP 403: the token is not admin)";
  static final String M3 = "3:cannot connect to the management port, or refused with HTTP 401";
  static final String M4 = "4:no answer within --timeout";
}
