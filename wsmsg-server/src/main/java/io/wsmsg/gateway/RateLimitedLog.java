package io.wsmsg.gateway;

import java.util.logging.Level;
import java.util.logging.Logger;

/** One line per interval at most, saying how many were left out: refusals must not flood the log. */
public final class RateLimitedLog {
  private final Logger log;
  private final Level level;
  private final long intervalMillis;
  private long last;
  private int skipped;

  public RateLimitedLog(Logger log, long intervalMillis) {
    this(log, Level.WARNING, intervalMillis);
  }

  public RateLimitedLog(Logger log, Level level, long intervalMillis) {
    this.log = log;
    this.level = level;
    this.intervalMillis = intervalMillis;
  }

  /** Synchronized: refusals are logged from event loops and from Hazelcast's threads alike. */
  public synchronized void log(String line) {
    long now = System.currentTimeMillis();
    if (last != 0 && now - last < intervalMillis) {
      skipped++;
      return;
    }
    log.log(level, skipped == 0 ? line : line + " (and " + skipped + " more like it in the last "
        + (now - last) / 1000 + " s)");
    last = now;
    skipped = 0;
  }
}
