package io.wsmsg.router;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * How many messages wait in channel queues at each priority (0..100), node-wide. A router
 * forwards only while no higher priority has messages waiting, which gives "higher priority
 * first, and nothing else while system holds anything" across independent router verticles
 * with one or two atomic reads per message.
 */
public final class PriorityGate {
  private final AtomicIntegerArray pending = new AtomicIntegerArray(101);

  public void add(int priority, int n) {
    if (n != 0) pending.addAndGet(priority, n);
  }

  /** True when a priority above {@code priority} (among {@code levels}, highest first) has messages waiting. */
  public boolean higherPending(int priority, int[] levels) {
    for (int level : levels) {
      if (level <= priority) return false;
      if (pending.get(level) > 0) return true;
    }
    return false;
  }

  public int pending(int priority) {
    return pending.get(priority);
  }
}
