package io.wsmsg.gateway;

import io.wsmsg.metrics.MemoryBudget;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * An endpoint's bounded queue: dequeues by priority (taken at enqueue), FIFO within a
 * priority. When over its bound it drops the oldest message of the lowest priority present;
 * messages older than the TTL are dropped when met. Used on the owning gateway's event loop
 * only.
 */
public final class EndpointQueue {
  /** One FIFO per priority 0-100, each made when first used; the array itself too (an idle endpoint has none). */
  private ArrayDeque<Queued>[] levels;
  private int size;
  /** Bytes of the frames queued here (each counted here, even when shared with other queues). */
  private long bytes;
  /** The node's message memory: every frame queued here is held in it. */
  private final MemoryBudget budget;
  /** Messages this queue dropped (full, memory, TTL) since it was made: for status, not the hot path's concern. */
  private long dropped;

  public EndpointQueue() {
    this(MemoryBudget.unlimited());
  }

  public EndpointQueue(MemoryBudget budget) {
    this.budget = budget;
  }

  /** Bytes of the frames queued here. */
  public long bytes() {
    return bytes;
  }

  private void added(Queued q) {
    size++;
    bytes += q.frame().size();
    budget.hold(q.frame());
  }

  private void removed(Queued q) {
    size--;
    bytes -= q.frame().size();
    budget.release(q.frame());
  }
  private int highest = -1; // highest non-empty level, -1 when empty
  private int lowest = 101; // lowest non-empty level, 101 when empty

  public int size() {
    return size;
  }

  /** Messages dropped from this queue since it was made: over its bound, for memory, or past the TTL. */
  public long dropped() {
    return dropped;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  /** Adds at the tail of its priority; returns how many messages were dropped to stay within bound. */
  public int offer(Queued q, int bound) {
    level(q.priority()).addLast(q);
    added(q);
    return trim(bound);
  }

  /** Puts a message back at the head of its priority (unacknowledged, requeued). */
  public void offerFirst(Queued q) {
    level(q.priority()).addFirst(q);
    added(q);
  }

  /** Drops oldest-of-lowest-priority until within bound; returns how many went. */
  public int trim(int bound) {
    int dropped = 0;
    for (; size > bound; dropped++) dropOldestOfLowest();
    return dropped;
  }

  /** The drop policy of a full queue (or a full node): the oldest message of the lowest priority present. */
  public void dropOldestOfLowest() {
    ArrayDeque<Queued> low = levels[lowest];
    removed(low.pollFirst());
    dropped++;
    if (low.isEmpty()) recomputeBounds();
  }

  /** The next message by priority, or null. Does not look at TTL: see {@link #expire}. */
  public Queued poll() {
    if (size == 0) return null;
    ArrayDeque<Queued> top = levels[highest];
    Queued q = top.pollFirst();
    removed(q);
    if (top.isEmpty()) recomputeBounds();
    return q;
  }

  /** Drops messages queued at or before {@code cutoff}; returns how many went. */
  public int expire(long cutoff) {
    if (size == 0) return 0;
    int dropped = 0;
    for (int p = lowest; p <= highest; p++) {
      ArrayDeque<Queued> l = levels[p];
      if (l == null) continue;
      // FIFO within a level, so the oldest are at the head -- except requeued ones, which
      // are older still; stop at the first young one.
      while (!l.isEmpty() && l.peekFirst().enqueuedAt() <= cutoff) {
        removed(l.pollFirst());
        dropped++;
      }
    }
    if (dropped > 0) recomputeBounds();
    this.dropped += dropped;
    return dropped;
  }

  /** Every queued message in dequeue order (highest priority first), for snapshots. */
  public List<Queued> toList() {
    List<Queued> out = new ArrayList<>(size);
    if (levels == null) return out;
    for (int p = 100; p >= 0; p--) if (levels[p] != null) out.addAll(levels[p]);
    return out;
  }

  @SuppressWarnings("unchecked")
  private ArrayDeque<Queued> level(int p) {
    if (levels == null) levels = new ArrayDeque[101];
    ArrayDeque<Queued> l = levels[p];
    if (l == null) l = levels[p] = new ArrayDeque<>();
    if (p > highest) highest = p;
    if (p < lowest) lowest = p;
    return l;
  }

  private void recomputeBounds() {
    highest = -1;
    lowest = 101;
    if (size == 0) return;
    for (int p = 100; p >= 0; p--) {
      if (levels[p] != null && !levels[p].isEmpty()) {
        highest = p;
        break;
      }
    }
    for (int p = 0; p <= 100; p++) {
      if (levels[p] != null && !levels[p].isEmpty()) {
        lowest = p;
        break;
      }
    }
  }
}
