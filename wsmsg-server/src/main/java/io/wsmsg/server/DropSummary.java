package io.wsmsg.server;

import io.wsmsg.metrics.Counters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The log's view of dropped messages: one line per interval when any were dropped, by reason,
 * most first ("dropped 1,234 messages in the last 60 s: 1,200 endpoint_full, 34 ttl"). It reads
 * the counters the hot path already keeps, so a drop costs no log work where it happens.
 */
final class DropSummary {
  private final Counters counters;
  private final long[] seen = new long[Counters.Drop.values().length];
  private long since;
  /** Whether the last line counted a message some node would have received (see {@link #lost}). */
  private boolean lost;

  DropSummary(Counters counters, long now) {
    this.counters = counters;
    this.since = now;
    for (Counters.Drop d : Counters.Drop.values()) seen[d.ordinal()] = counters.dropped(d);
  }

  /** The line for the drops since the last call, or null when there were none. */
  String next(long now) {
    List<long[]> byReason = new ArrayList<>();
    long total = 0;
    lost = false;
    for (Counters.Drop d : Counters.Drop.values()) {
      long n = counters.dropped(d);
      long delta = n - seen[d.ordinal()];
      seen[d.ordinal()] = n;
      if (delta > 0) {
        byReason.add(new long[] {d.ordinal(), delta});
        total += delta;
        lost |= d != Counters.Drop.NO_ROUTE && d != Counters.Drop.FORBIDDEN;
      }
    }
    long seconds = Math.max(1, Math.round((now - since) / 1000.0));
    since = now;
    if (total == 0) return null;
    byReason.sort((a, b) -> Long.compare(b[1], a[1]));
    StringBuilder s = new StringBuilder("dropped ").append(count(total)).append(total == 1 ? " message" : " messages")
        .append(" in the last ").append(seconds).append(" s: ");
    for (int i = 0; i < byReason.size(); i++) {
      if (i > 0) s.append(", ");
      s.append(count(byReason.get(i)[1])).append(' ')
          .append(Counters.Drop.values()[(int) byReason.get(i)[0]].name().toLowerCase(Locale.ROOT));
    }
    return s.append(" (wsmsg_messages_dropped_total in /metrics has them by reason)").toString();
  }

  /**
   * Whether the last line holds a message some node would have received: a warning. A message
   * no subscription matched (no_route) or a command not shown to a node (forbidden) is how
   * publish/subscribe works, not a loss: the line is then informational.
   */
  boolean lost() {
    return lost;
  }

  private static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
