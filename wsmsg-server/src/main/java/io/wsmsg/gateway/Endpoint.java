package io.wsmsg.gateway;

import io.wsmsg.metrics.Counters;
import java.util.ArrayList;
import java.util.List;

/**
 * An endpoint owned by this gateway: its queue and the nodes attached to it. Each queued
 * message goes to exactly one ready node, round-robin. Lives on the gateway's event loop.
 *
 * <p>The round robin is kept as the order of {@link #nodes}, least recently served first: a
 * message goes to the first ready node, which then moves to the back. A node that was not
 * ready when its turn came keeps its place at the front and is served as soon as it is ready,
 * so nodes that become ready at different moments (one whose acks cross another instance's
 * event loop, one on the owner's own loop) still get even shares of a busy queue.
 */
final class Endpoint {
  final String name;
  final EndpointQueue queue;
  /** Least recently served first (see the class comment). */
  final List<Consumer> nodes = new ArrayList<>();
  /** Put unacknowledged messages of a departing node back at the head of the queue. */
  final boolean requeueUnacked;
  /** Queued messages older than this are dropped, never delivered (0 = no TTL). */
  private final long ttlMillis;
  private final Counters counters;
  /** Deliveries lost after they left the queue (ack timeout, node gone without requeueing), for status. */
  long lostInFlight;
  /** Told when the last node leaves (endpoint lifecycle); may be null. */
  java.util.function.Consumer<Endpoint> onLastNodeLeft;

  Endpoint(String name, boolean requeueUnacked, long ttlMillis, Counters counters, io.wsmsg.metrics.MemoryBudget budget) {
    this.queue = new EndpointQueue(budget);
    this.name = name;
    this.requeueUnacked = requeueUnacked;
    this.ttlMillis = ttlMillis;
    this.counters = counters;
  }

  /** Messages of this endpoint dropped on this member since it took the endpoint: in its queue or in flight. */
  long dropped() {
    return queue.dropped() + lostInFlight;
  }

  void attach(Consumer s) {
    nodes.add(s);
  }

  /**
   * A node is gone (disconnected, or its gateway's member left): its unacknowledged
   * deliveries go back to the head of the queue if this endpoint requeues, else they are lost
   * (at most once).
   */
  void release(Consumer c, int size) {
    detach(c);
    InFlightTable inFlight = c.inFlight();
    if (inFlight.size() > 0) {
      if (requeueUnacked) {
        java.util.List<Queued> held = inFlight.held();
        for (int i = held.size() - 1; i >= 0; i--) queue.offerFirst(held.get(i));
        int dropped = queue.trim(size);
        if (dropped > 0) counters.drop(Counters.Drop.ENDPOINT_FULL, dropped);
      } else {
        counters.drop(Counters.Drop.DISCONNECTED, inFlight.size());
        lostInFlight += inFlight.size();
      }
      inFlight.clear();
    }
    dispatch();
    // told after the node's deliveries are settled (requeued ones are in the queue by now)
    if (nodes.isEmpty() && onLastNodeLeft != null) onLastNodeLeft.accept(this);
  }

  void detach(Consumer s) {
    nodes.remove(s);
  }

  /** Hands queued messages to ready nodes until the queue is empty or no node is ready. */
  void dispatch() {
    // the periodic sweep may not have run yet: never hand out a message past its TTL
    if (ttlMillis > 0 && !queue.isEmpty()) {
      int expired = queue.expire(System.currentTimeMillis() - ttlMillis);
      if (expired > 0) counters.drop(Counters.Drop.TTL, expired);
    }
    while (!queue.isEmpty()) {
      Consumer s = nextReady();
      if (s == null) return;
      s.deliver(queue.poll());
    }
  }

  /** The least recently served ready node, moved to the back; or null. */
  private Consumer nextReady() {
    int n = nodes.size();
    for (int i = 0; i < n; i++) {
      Consumer s = nodes.get(i);
      if (s.ready()) {
        if (i < n - 1) {
          nodes.remove(i);
          nodes.add(s);
        }
        return s;
      }
    }
    return null;
  }
}
