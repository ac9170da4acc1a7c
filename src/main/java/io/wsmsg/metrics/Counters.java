package io.wsmsg.metrics;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Node-wide counters, cheap enough for the hot path (LongAdder). The operations issue exposes
 * them as Prometheus metrics; tests read them to prove that drops are counted.
 */
public final class Counters {
  /** Why a message was dropped. */
  public enum Drop {
    /** No endpoint matched the message. */
    NO_ROUTE,
    /** The channel queue was full; the oldest message went. */
    CHANNEL_FULL,
    /** The endpoint queue was full; the oldest message of the lowest priority went. */
    ENDPOINT_FULL,
    /** The message waited in an endpoint queue longer than the TTL. */
    TTL,
    /** Delivered but not acknowledged within the ack timeout. */
    ACK_TIMEOUT,
    /** Delivered, not acknowledged, and the node disconnected (at most once). */
    DISCONNECTED
  }

  public final LongAdder messagesIn = new LongAdder();
  public final LongAdder messagesOut = new LongAdder();
  public final LongAdder commands = new LongAdder();
  public final LongAdder errorsSent = new LongAdder();
  public final AtomicLong connections = new AtomicLong();
  private final Map<Drop, LongAdder> dropped = new EnumMap<>(Drop.class);

  public Counters() {
    for (Drop d : Drop.values()) dropped.put(d, new LongAdder());
  }

  public void drop(Drop reason) {
    dropped.get(reason).increment();
  }

  public void drop(Drop reason, long n) {
    dropped.get(reason).add(n);
  }

  public long dropped(Drop reason) {
    return dropped.get(reason).sum();
  }
}
