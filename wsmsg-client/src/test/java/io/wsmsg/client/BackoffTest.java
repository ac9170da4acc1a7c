package io.wsmsg.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {
  /** Draws the smallest value a bound allows. */
  private static final RandomGenerator LOWEST = new RandomGenerator() {
    @Override
    public long nextLong() {
      return 0;
    }

    @Override
    public long nextLong(long bound) {
      return 0;
    }
  };

  /** Draws the largest value a bound allows. */
  private static final RandomGenerator HIGHEST = new RandomGenerator() {
    @Override
    public long nextLong() {
      return Long.MAX_VALUE;
    }

    @Override
    public long nextLong(long bound) {
      return bound - 1;
    }
  };

  private static Backoff backoff(long initialMs, long maxMs) {
    return new Backoff(Duration.ofMillis(initialMs), Duration.ofMillis(maxMs));
  }

  @Test
  void theBaseDoublesUpToTheMaximum() {
    Backoff b = backoff(100, 1000);
    long[] highest = new long[6];
    for (int i = 0; i < highest.length; i++) highest[i] = b.nextDelayMs(HIGHEST);
    assertThat(highest).containsExactly(100, 200, 400, 800, 1000, 1000);
  }

  @Test
  void eachDelayIsDrawnInTheUpperHalfOfItsBase() {
    Backoff low = backoff(100, 1000);
    long[] lowest = new long[5];
    for (int i = 0; i < lowest.length; i++) lowest[i] = low.nextDelayMs(LOWEST);
    assertThat(lowest).containsExactly(50, 100, 200, 400, 500);

    Backoff any = backoff(100, 1000);
    Random random = new Random(7);
    for (int i = 0; i < 200; i++) {
      long base = Math.min(1000, 100L << Math.min(i, 20));
      assertThat(any.nextDelayMs(random)).isBetween(base / 2, base);
    }
  }

  @Test
  void manyAttemptsStayAtTheMaximumWithoutOverflow() {
    Backoff b = backoff(1000, 60_000);
    long last = 0;
    for (int i = 0; i < 100; i++) last = b.nextDelayMs(HIGHEST);
    assertThat(last).isEqualTo(60_000);
    assertThat(b.attempts()).isEqualTo(100);
  }

  @Test
  void resetStartsAgainFromTheInitialDelay() {
    Backoff b = backoff(100, 1000);
    for (int i = 0; i < 5; i++) b.nextDelayMs(HIGHEST);
    b.reset();
    assertThat(b.attempts()).isZero();
    assertThat(b.nextDelayMs(HIGHEST)).isEqualTo(100);
    assertThat(b.attempts()).isEqualTo(1);
  }

  @Test
  void aZeroInitialDelayStillWaitsOneMillisecond() {
    assertThat(backoff(0, 1000).nextDelayMs(LOWEST)).isEqualTo(1);
  }
}
