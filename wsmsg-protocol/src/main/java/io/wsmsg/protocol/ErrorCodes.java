package io.wsmsg.protocol;

/** The codes carried in {@code error} messages (SPEC section 6). */
public final class ErrorCodes {
  /** Not a binary frame, not msgpack, or not a five-element array of the right types. */
  public static final String BAD_FRAME = "bad_frame";
  /** A command's data has the wrong shape or values. */
  public static final String BAD_ARGUMENTS = "bad_arguments";
  /** A subject on channel {@code system} that is not a command. */
  public static final String UNKNOWN_COMMAND = "unknown_command";
  /** The token's permissions do not allow this, or a client published an event subject. */
  public static final String FORBIDDEN = "forbidden";
  /** The server is stopping and takes no new publishes. */
  public static final String STOPPING = "stopping";
  /** A configured limit (number of channels, endpoints, message subscriptions) is reached. */
  public static final String LIMIT = "limit";

  private ErrorCodes() {}
}
