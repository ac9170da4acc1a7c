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
  /** Where the owning gateway listens (single node: the only gateway). */
  public static final String ADDRESS = "wsmsg.gateway.deliver";
}
