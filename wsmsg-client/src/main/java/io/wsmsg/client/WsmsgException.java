package io.wsmsg.client;

import io.wsmsg.protocol.Ulids;

/**
 * A failure seen by the client. {@link #code()} is the server's error code when the server
 * refused something with an {@code error} message ({@code bad_frame}, {@code bad_arguments},
 * {@code unknown_command}, {@code forbidden}, {@code stopping}, {@code limit}), or one of the
 * client-side codes below. Unchecked, so the {@link BlockingClient} can throw it directly.
 */
public class WsmsgException extends RuntimeException {
  /** No reply (or no confirmation) within the time allowed. */
  public static final String TIMEOUT = "timeout";
  /** The client has no open connection at the moment (it may be reconnecting). */
  public static final String NOT_CONNECTED = "not_connected";
  /** The connection was lost while the outcome was still unknown. */
  public static final String CONNECTION_LOST = "connection_lost";
  /** The client was closed. */
  public static final String CLOSED = "closed";
  /**
   * No gateway accepted the connection: unreachable, no handshake in time, or an upgrade
   * refused for another reason than the token ({@link #httpStatus()} 400, 429, 503...).
   */
  public static final String CONNECT_FAILED = "connect_failed";
  /**
   * The gateway refused the upgrade with HTTP 401 (the token is missing, expired, or not
   * signed with the server's secret, e.g. after a restart with a new secret) or 403 (the
   * token does not allow the endpoint); {@link #httpStatus()} says which, the message holds
   * the server's reason. On reconnection it ends the client: see {@link WsmsgClient}.
   */
  public static final String UNAUTHORIZED = "unauthorized";
  /** A replier answered on {@code <x>.exception}: see {@link RemoteException}. */
  public static final String REMOTE = "remote";
  /** A value that cannot be sent (not mappable to msgpack, names too long, ...). */
  public static final String INVALID = "invalid";

  private final String code;
  private final transient byte[] reference;
  private final int httpStatus;

  public WsmsgException(String code, String message) {
    this(code, message, null, 0, null);
  }

  public WsmsgException(String code, String message, Throwable cause) {
    this(code, message, null, 0, cause);
  }

  WsmsgException(String code, String message, byte[] reference, int httpStatus, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.reference = reference;
    this.httpStatus = httpStatus;
  }

  /** A server {@code error} message turned into an exception. */
  static WsmsgException fromServer(ServerError e) {
    return new WsmsgException(e.code(), e.text(), e.referenceBytes(), 0, null);
  }

  /** The server's error code, or one of the client-side codes of this class. */
  public String code() {
    return code;
  }

  /** The uid the server's error referred to (the refused publish or command), else null. */
  public byte[] referenceBytes() {
    return reference;
  }

  /** The HTTP status of a refused WebSocket upgrade (401, 403, 400, 503...), else 0. */
  public int httpStatus() {
    return httpStatus;
  }

  /** True when the server refused something with an {@code error} message. */
  public boolean isServerError() {
    return !code.equals(TIMEOUT) && !code.equals(NOT_CONNECTED) && !code.equals(CONNECTION_LOST)
        && !code.equals(CLOSED) && !code.equals(CONNECT_FAILED) && !code.equals(UNAUTHORIZED) && !code.equals(REMOTE)
        && !code.equals(INVALID);
  }

  @Override
  public String toString() {
    return "WsmsgException(" + code + (reference != null ? ", reference=" + Ulids.toText(reference) : "") + "): "
        + getMessage();
  }
}
