package io.wsmsg.auth;

/**
 * A refused authentication. The message is one sentence meant for the client (in the 401
 * body) and the operator (in the log), so it never carries a stack trace: refusals are
 * expected traffic, not bugs, and filling stack traces for every bad token is wasted work.
 */
public final class AuthException extends Exception {
  private static final long serialVersionUID = 1L;

  public AuthException(String message) {
    super(message, null, false, false);
  }

  /** Keeps the library's exception as the cause for debugging, still without a trace. */
  public AuthException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
