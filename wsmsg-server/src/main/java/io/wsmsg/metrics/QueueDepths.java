package io.wsmsg.metrics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * An immutable picture of queue depths: the total over every queue and the deepest few
 * queues by name (at most metrics.topN, empty queues left out). Built where the queues live,
 * on their own event loop, and read by the metrics scrape from another thread: a reader sees
 * a whole picture or the previous one, never a queue.
 */
public final class QueueDepths {
  /** One queue and how many messages wait in it. */
  public record Entry(String name, long depth) {}

  public static final QueueDepths EMPTY = new QueueDepths(0, List.of());

  /** Deepest first; equal depths by name, so the listed set does not flap between scrapes. */
  static final Comparator<Entry> DEEPEST_FIRST =
      Comparator.comparingLong(Entry::depth).reversed().thenComparing(Entry::name);

  private final long total;
  private final List<Entry> top;

  private QueueDepths(long total, List<Entry> top) {
    this.total = total;
    this.top = top;
  }

  /** Messages waiting in all the queues together. */
  public long total() {
    return total;
  }

  /** The deepest non-empty queues, deepest first. */
  public List<Entry> top() {
    return top;
  }

  /** Collects depths one queue at a time; keeps only the {@code n} deepest (O(queues log n)). */
  public static Builder builder(int n) {
    return new Builder(n);
  }

  public static final class Builder {
    private final int n;
    private long total;
    /** The n deepest so far, shallowest at the head: the one to give way to a deeper queue. */
    private final PriorityQueue<Entry> heap;

    private Builder(int n) {
      this.n = Math.max(0, n);
      this.heap = new PriorityQueue<>(Math.max(1, this.n), DEEPEST_FIRST.reversed());
    }

    public Builder add(String name, long depth) {
      total += depth;
      if (n == 0 || depth <= 0) return this;
      if (heap.size() < n) {
        heap.add(new Entry(name, depth));
      } else {
        Entry shallowest = heap.peek();
        if (depth > shallowest.depth() || (depth == shallowest.depth() && name.compareTo(shallowest.name()) < 0)) {
          heap.poll();
          heap.add(new Entry(name, depth));
        }
      }
      return this;
    }

    /** The picture, with {@code total} as the total (when the caller knows it better). */
    public QueueDepths build(long total) {
      List<Entry> sorted = new ArrayList<>(heap);
      sorted.sort(DEEPEST_FIRST);
      return new QueueDepths(total, List.copyOf(sorted));
    }

    public QueueDepths build() {
      return build(total);
    }
  }

  /**
   * One picture of several (the gateway instances' queues): totals added, the {@code n}
   * deepest of all. Each part lists its own n deepest, so none of the overall n is missing.
   */
  public static QueueDepths merge(List<QueueDepths> parts, int n) {
    Builder b = builder(n);
    long total = 0;
    for (QueueDepths p : parts) {
      total += p.total;
      for (Entry e : p.top) b.add(e.name(), e.depth());
    }
    return b.build(total);
  }
}
