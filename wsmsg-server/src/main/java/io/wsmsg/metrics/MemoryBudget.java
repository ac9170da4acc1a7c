package io.wsmsg.metrics;

import io.wsmsg.protocol.Frame;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's one budget for message memory ({@code limits.maxQueuedMiB}): frames waiting in
 * channel queues, in endpoint queues, delivered and not yet acknowledged (in-flight, here and
 * for nodes served through other members), and prefetched for a node from another member.
 *
 * <p>A frame is counted <em>once</em>, however many queues hold it: a fanout to 1,000
 * endpoints shares one byte array, and counting it 1,000 times would refuse ordinary fanout
 * traffic long before memory is short. Each {@link Frame} carries a count of its holders; the
 * first hold charges the budget, the last release refunds it, so the figure is the memory
 * actually kept alive (plus a fixed {@link #OVERHEAD} per frame for its object, strings and
 * queue entries; a second copy built for a legacy-order node is not counted, at most twice).
 *
 * <p>Routers and gateways run on different event loops: the total is one {@link AtomicLong}
 * (one add per hold and release; a LongAdder cannot be read cheaply and exactly for a bound
 * check). The policy on top of it lives with the holders: publishes are refused with
 * {@code limit} when nothing evictable is left (see {@code GatewayVerticle.admit}), endpoint
 * queues give up their oldest message of the lowest priority, largest queue first (counted
 * {@code memory}), and in-flight messages may take about half of the budget (beyond it only
 * nodes with nothing in flight get a delivery).
 */
public final class MemoryBudget {
  /** Bytes charged per frame on top of its encoded size. */
  public static final int OVERHEAD = 256;

  private final long limit;
  private final AtomicLong used = new AtomicLong();
  private final AtomicLong peak = new AtomicLong();
  /** Bytes of deliveries waiting for an ack (counted per delivery), node-wide. */
  private final AtomicLong inFlight = new AtomicLong();

  public MemoryBudget(long limitBytes) {
    this.limit = limitBytes;
  }

  /** A budget that never fills (unit tests of a single queue). */
  public static MemoryBudget unlimited() {
    return new MemoryBudget(Long.MAX_VALUE);
  }

  public static long cost(Frame f) {
    return (long) f.size() + OVERHEAD;
  }

  /** A queue or table now holds {@code f}: charged when it is the frame's first holder. */
  public void hold(Frame f) {
    if (f.hold()) {
      long v = used.addAndGet(cost(f));
      if (v > peak.get()) peak.accumulateAndGet(v, Math::max);
    }
  }

  /** A holder let go of {@code f}: refunded when it was the last. */
  public void release(Frame f) {
    if (f.release()) used.addAndGet(-cost(f));
  }

  /** True when a new frame of {@code size} bytes fits without going over the limit. */
  public boolean fits(int size) {
    return used.get() + size + OVERHEAD <= limit;
  }

  /** True when the budget is over its limit (something evictable should go). */
  public boolean over() {
    return used.get() > limit;
  }

  public void inFlightAdded(Frame f) {
    inFlight.addAndGet(f.size());
  }

  public void inFlightRemoved(Frame f) {
    inFlight.addAndGet(-f.size());
  }

  /** True when in-flight deliveries hold half the budget: queued messages wait (and stay evictable). */
  public boolean inFlightFull() {
    return inFlight.get() >= limit / 2;
  }

  public long used() {
    return used.get();
  }

  public long limit() {
    return limit;
  }

  /** The most the budget ever held (for status and tests). */
  public long peak() {
    return peak.get();
  }

  public long inFlight() {
    return inFlight.get();
  }
}
