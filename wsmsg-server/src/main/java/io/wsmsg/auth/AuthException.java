package io.wsmsg.auth;

/**
 * A refused authentication. The message is one sentence meant for the client (in the 401
 * body) and the operator (in the log), so it never carries a stack trace: refusals are
 * expected traffic, not bugs, and filling stack traces for every bad token is wasted work.
 */
public final class AuthException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * What kind of refusal, for counters (the management port counts them by reason): the
   * message says it to people, the kind to machines, so nobody parses the sentence.
   */
  public enum Kind {
    /** No token was sent. */
    NO_TOKEN,
    /** Expired (exp, with the leeway). */
    EXPIRED,
    /** Well formed, but its signature does not verify with any configured key. */
    BAD_SIGNATURE,
    /** Anything else: malformed, algorithm, claims, issuer, audience, not yet valid. */
    INVALID
  }

  private final Kind kind;

  public AuthException(String message) {
    this(Kind.INVALID, message, null);
  }

  /** Keeps the library's exception as the cause for debugging, still without a trace. */
  public AuthException(String message, Throwable cause) {
    this(Kind.INVALID, message, cause);
  }

  public AuthException(Kind kind, String message, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
