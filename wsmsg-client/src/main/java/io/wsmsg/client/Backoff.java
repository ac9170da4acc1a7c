package io.wsmsg.client;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * The reconnection schedule: the base delay doubles from {@code backoffInitial} up to
 * {@code backoffMax}, and each delay is drawn at random in the upper half of its base, so that
 * many clients dropped at once do not all come back at once.
 */
final class Backoff {
  /** Past this many doublings the base stays at the maximum (and the shift cannot overflow). */
  private static final int MAX_DOUBLINGS = 20;

  private final long initialMs;
  private final long maxMs;
  private int attempt;

  Backoff(Duration initial, Duration max) {
    this.initialMs = initial.toMillis();
    this.maxMs = max.toMillis();
  }

  /**
   * The delay before the next attempt, at least 1 ms; counts the attempt. The random source is
   * a parameter: ThreadLocalRandom must be fetched by the thread that uses it.
   */
  long nextDelayMs(RandomGenerator random) {
    long base = Math.min(maxMs, initialMs << Math.min(attempt, MAX_DOUBLINGS));
    attempt++;
    return Math.max(1, base / 2 + random.nextLong(base / 2 + 1));
  }

  /** Attempts since the last successful connection. */
  int attempts() {
    return attempt;
  }

  /** A connection succeeded: the next loss starts from the initial delay. */
  void reset() {
    attempt = 0;
  }
}
