package io.wsmsg.gateway;

/**
 * A node an endpoint delivers to: a {@link Session} on this gateway, or a {@link RemoteNode}
 * attached through another member's gateway. The endpoint's round-robin and flow control
 * treat both alike.
 */
interface Consumer {
  String nodeId();

  /** Not paused, window not full, socket draining. */
  boolean ready();

  void deliver(Queued q);

  /** Delivered, unacknowledged messages. */
  InFlightTable inFlight();
}
