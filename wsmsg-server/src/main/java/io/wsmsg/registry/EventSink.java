package io.wsmsg.registry;

import java.util.List;

/** Where server-made events go: published on channel {@code system} like any message. */
@FunctionalInterface
public interface EventSink {
  /**
   * @param subject the event, e.g. {@code endpoint.created}
   * @param args its data, an array of plain values
   * @param reference uid of the command that caused it, or null
   */
  void publish(String subject, List<Object> args, byte[] reference);
}
