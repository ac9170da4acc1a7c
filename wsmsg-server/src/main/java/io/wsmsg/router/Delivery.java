package io.wsmsg.router;

import io.wsmsg.protocol.Frame;

/**
 * A routed message on its way from a channel router to the gateway that owns the target
 * endpoints: one event-bus message per (message, owning gateway), however many endpoints.
 *
 * @param priority the channel's priority when the message was forwarded; endpoint queues
 *     dequeue by it
 */
public record Delivery(Frame frame, String[] endpoints, int priority) {
  /** Where the owning gateway listens (single node: the only gateway; with instances, the first). */
  public static final String ADDRESS = "wsmsg.gateway.deliver";

  /** Where gateway instance {@code i} of this member listens; instance 0 at {@link #ADDRESS}. */
  public static String address(int instance) {
    return instance == 0 ? ADDRESS : ADDRESS + "." + instance;
  }

  /**
   * The gateway instance holding an endpoint's queue when a member runs {@code instances} of
   * them: fixed by the name, so every router and every instance agrees without asking.
   */
  public static int instanceOf(String endpoint, int instances) {
    return instances == 1 ? 0 : Math.floorMod(endpoint.hashCode() * 0x9E3779B9, instances);
  }
}
