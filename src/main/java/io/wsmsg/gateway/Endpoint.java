package io.wsmsg.gateway;

import io.wsmsg.metrics.Counters;
import java.util.ArrayList;
import java.util.List;

/**
 * An endpoint owned by this gateway: its queue and the nodes attached to it. Each queued
 * message goes to exactly one ready node, round-robin. Lives on the gateway's event loop.
 */
final class Endpoint {
  final String name;
  final EndpointQueue queue;
  final List<Session> nodes = new ArrayList<>();
  /** Put unacknowledged messages of a departing node back at the head of the queue. */
  final boolean requeueUnacked;
  /** Queued messages older than this are dropped, never delivered (0 = no TTL). */
  private final long ttlMillis;
  private final Counters counters;
  private int next;

  Endpoint(String name, boolean requeueUnacked, long ttlMillis, Counters counters, long[] nodeBytes) {
    this.queue = new EndpointQueue(nodeBytes);
    this.name = name;
    this.requeueUnacked = requeueUnacked;
    this.ttlMillis = ttlMillis;
    this.counters = counters;
  }

  void attach(Session s) {
    nodes.add(s);
  }

  void detach(Session s) {
    int i = nodes.indexOf(s);
    if (i < 0) return;
    nodes.remove(i);
    if (next > i) next--;
    if (next >= nodes.size()) next = 0;
  }

  /** Hands queued messages to ready nodes until the queue is empty or no node is ready. */
  void dispatch() {
    // the periodic sweep may not have run yet: never hand out a message past its TTL
    if (ttlMillis > 0 && !queue.isEmpty()) {
      int expired = queue.expire(System.currentTimeMillis() - ttlMillis);
      if (expired > 0) counters.drop(Counters.Drop.TTL, expired);
    }
    while (!queue.isEmpty()) {
      Session s = nextReady();
      if (s == null) return;
      s.deliver(queue.poll());
    }
  }

  /** The next ready node after the last one served, or null. */
  private Session nextReady() {
    int n = nodes.size();
    for (int k = 0; k < n; k++) {
      int i = (next + k) % n;
      Session s = nodes.get(i);
      if (s.ready()) {
        next = (i + 1) % n;
        return s;
      }
    }
    return null;
  }
}
