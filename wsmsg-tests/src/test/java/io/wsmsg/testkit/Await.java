package io.wsmsg.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waiting for state that settles asynchronously (ownership claims, replicated registries,
 * queue depths, counters, status pages) instead of reading it once right after the action
 * or after a fixed sleep. Polls until the predicate holds or a generous deadline passes (the
 * build machine is small and shared: nothing here asserts on speed), then fails with what
 * was seen last, so a failure still says what the state was.
 */
public final class Await {
  /** Long enough for a busy machine; a test that passes waits only as long as it must. */
  public static final Duration DEFAULT = Duration.ofSeconds(30);
  private static final long POLL_MS = 20;

  private Await() {}

  /**
   * Polls {@code supplier} until {@code predicate} accepts its value, and returns that value;
   * after {@code timeout} fails with {@code description} and the last value seen. A supplier
   * that throws counts as "not yet" (the exception is kept as the failure's cause).
   */
  public static <T> T until(String description, Supplier<T> supplier, Predicate<? super T> predicate,
      Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      T last = null;
      RuntimeException thrown = null;
      try {
        last = supplier.get();
        if (predicate.test(last)) return last;
      } catch (RuntimeException e) {
        thrown = e;
      }
      if (System.nanoTime() - deadline > 0) {
        String seen = thrown != null ? "it threw " + thrown : "last seen: " + last;
        AssertionError failure = new AssertionError(
            "timed out after " + timeout.toMillis() + " ms waiting for " + description + "; " + seen);
        if (thrown != null) failure.initCause(thrown);
        throw failure;
      }
      sleep(POLL_MS);
    }
  }

  /** {@link #until(String, Supplier, Predicate, Duration)} with the {@link #DEFAULT} deadline. */
  public static <T> T until(String description, Supplier<T> supplier, Predicate<? super T> predicate) {
    return until(description, supplier, predicate, DEFAULT);
  }

  /** Polls until {@code condition} holds; fails after {@code timeout}. */
  public static void until(String description, BooleanSupplier condition, Duration timeout) {
    until(description, condition::getAsBoolean, ok -> ok, timeout);
  }

  /** {@link #until(String, BooleanSupplier, Duration)} with the {@link #DEFAULT} deadline. */
  public static void until(String description, BooleanSupplier condition) {
    until(description, condition, DEFAULT);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting", e);
    }
  }
}
