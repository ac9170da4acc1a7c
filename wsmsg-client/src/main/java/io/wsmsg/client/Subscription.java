package io.wsmsg.client;

import io.vertx.core.Future;

/** A local handler bound to a (channel pattern, subject pattern) subscription of the client's endpoint. */
public interface Subscription {
  String channelPattern();

  String subjectPattern();

  /**
   * Removes this handler. The endpoint's server-side subscription is removed only when no
   * other handler of this client uses the same patterns (other subscriptions of the endpoint
   * with the same channel pattern are sent again, because {@code unsubscribe.channel} removes
   * every subject filter of a channel pattern). Idempotent.
   */
  Future<Void> unsubscribe();
}
