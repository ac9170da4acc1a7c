package io.wsmsg.router;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.wsmsg.protocol.Frame;

/**
 * Where a router sends a routed message: to the gateways owning the target endpoints.
 * Standalone that is always the local gateway; in a cluster, endpoints owned by other
 * members go to them (see {@code io.wsmsg.cluster.ClusterOutbound}).
 */
@FunctionalInterface
public interface Outbound {
  DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  /**
   * Called on the router's event loop with the endpoints the registry matched. Returns true
   * when a {@link Delivery} went to this member's gateway: it carries the router's hold on the
   * frame's memory, and the gateway releases it once the frame is in its endpoint queues, so
   * a frame on its way there still counts (see {@code MemoryBudget}).
   */
  boolean forward(Vertx vertx, Frame frame, String[] endpoints, int priority);

  /**
   * True in a cluster, where a message subscription made at another gateway may still be on
   * its way: a reply that finds no taker is then routed again a little later before it counts
   * as dropped.
   */
  default boolean lateSubscriptionsPossible() {
    return false;
  }

  /** Everything to this member's gateway. */
  Outbound LOCAL_GATEWAY = (vertx, frame, endpoints, priority) -> {
    vertx.eventBus().send(Delivery.ADDRESS, new Delivery(frame, endpoints, priority), LOCAL);
    return true;
  };
}
