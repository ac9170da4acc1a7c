package io.wsmsg.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The picture of queue depths keeps the n deepest, deterministically, and the total of all. */
class QueueDepthsTest {
  @Test
  void keepsTheDeepestNonEmptyQueuesDeepestFirstAndTotalsAll() {
    QueueDepths.Builder b = QueueDepths.builder(3);
    String[] names = {"e", "a", "d", "b", "c", "empty"};
    long[] depths = {5, 1, 4, 9, 4, 0};
    for (int i = 0; i < names.length; i++) b.add(names[i], depths[i]);
    QueueDepths d = b.build();
    assertThat(d.total()).isEqualTo(23);
    // equal depths (c and d) are ordered by name, so the listed set does not flap between scrapes
    assertThat(d.top()).containsExactly(new QueueDepths.Entry("b", 9), new QueueDepths.Entry("e", 5),
        new QueueDepths.Entry("c", 4));
  }

  @Test
  void zeroListsNothingButStillTotals() {
    QueueDepths d = QueueDepths.builder(0).add("a", 3).add("b", 4).build();
    assertThat(d.top()).isEmpty();
    assertThat(d.total()).isEqualTo(7);
    assertThat(QueueDepths.builder(5).add("a", 0).build().top()).isEmpty();
  }
}
