package io.wsmsg.client;

import io.vertx.core.Future;

/**
 * Handles one delivered message. The returned future says when the message is processed:
 * the client acknowledges it only then, so with {@code window = 1} the server sends the next
 * message only after this one is done. A failed future (or a thrown exception) is logged and
 * the message is acknowledged anyway. Returning null means "done at once".
 *
 * <p>Runs on the client's event loop: do not block in it; use {@link BlockingClient} or
 * {@code vertx.executeBlocking} for blocking work.
 */
@FunctionalInterface
public interface MessageHandler {
  Future<?> handle(Message message);
}
