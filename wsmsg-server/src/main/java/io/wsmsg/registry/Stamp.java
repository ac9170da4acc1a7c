package io.wsmsg.registry;

/**
 * The version of one registry entry (a subscription, a channel's size or priority): a hybrid
 * logical clock (epoch millis shifted left 16 bits, plus a counter) and the member that made
 * the change, which breaks ties. Every member compares two stamps the same way, so merging by
 * "the higher stamp wins" ends the same on every member whatever order changes arrive in.
 * {@link #ZERO} is the version of entries from before versions existed (old snapshots).
 */
public record Stamp(long clock, String member) implements Comparable<Stamp> {
  public static final Stamp ZERO = new Stamp(0, "");
  /** Bits of the clock below the milliseconds. */
  public static final int LOGICAL_BITS = 16;

  public Stamp {
    if (member == null) member = "";
  }

  /** The wall-clock time (epoch millis) the stamp was made at, as far as its clock tells. */
  public long millis() {
    return clock >>> LOGICAL_BITS;
  }

  @Override
  public int compareTo(Stamp o) {
    int c = Long.compare(clock, o.clock);
    return c != 0 ? c : member.compareTo(o.member);
  }

  public boolean newerThan(Stamp o) {
    return compareTo(o) > 0;
  }

  /** The highest clock a stamp from a peer or a file may carry now: its wall time is at most {@code skewMillis} ahead. */
  public static long latestAcceptable(long now, long skewMillis) {
    return ((now + skewMillis) << LOGICAL_BITS) | ((1L << LOGICAL_BITS) - 1);
  }

  /**
   * The clock that makes stamps on one member: never behind the wall clock, never behind any
   * stamp seen from elsewhere, always increasing. Used by the registry's single writer.
   */
  public static final class Clock {
    private long last;

    public synchronized long next(long nowMillis) {
      last = Math.max(last + 1, nowMillis << LOGICAL_BITS);
      return last;
    }

    /** A stamp from elsewhere: later stamps made here order after it. */
    public synchronized void observe(long clock) {
      if (clock > last) last = clock;
    }
  }
}
