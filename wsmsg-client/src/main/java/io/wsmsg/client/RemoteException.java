package io.wsmsg.client;

/**
 * A request's replier failed: it answered on {@code <x>.exception} with the error text, which
 * is this exception's message. {@link #reply()} is the exception message itself.
 */
public final class RemoteException extends WsmsgException {
  private final transient Message reply;

  public RemoteException(String text, Message reply) {
    super(REMOTE, text);
    this.reply = reply;
  }

  /** The {@code <x>.exception} message that carried the error. */
  public Message reply() {
    return reply;
  }
}
