package io.wsmsg.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/** Requests to another member over the clustered event bus. */
public final class Peers {
  private Peers() {}

  /**
   * Sends {@code msg} to {@code address} of {@code member} and completes with the reply. Right
   * after a member joins, its handlers may not be known here yet (NO_HANDLERS): the request is
   * then repeated every {@code delayMs}, up to {@code retries} times, while the member is still
   * in the cluster. Any other failure ends it.
   */
  public static Future<Buffer> request(Vertx vertx, Membership membership, String member, String address, Buffer msg,
      long timeoutMs, int retries, long delayMs) {
    return vertx.eventBus().<Buffer>request(address, msg, new DeliveryOptions().setSendTimeout(Math.max(100, timeoutMs)))
        .map(Message::body)
        .recover(e -> {
          boolean noHandler = e instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS;
          if (!noHandler || retries <= 0 || !membership.members().contains(member)) return Future.failedFuture(e);
          Promise<Buffer> later = Promise.promise();
          vertx.setTimer(delayMs, t -> request(vertx, membership, member, address, msg, timeoutMs, retries - 1, delayMs)
              .onComplete(later));
          return later.future();
        });
  }
}
