package io.wsmsg.gateway;

import static io.wsmsg.gateway.TestFrames.queued;
import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.metrics.MemoryBudget;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An endpoint's queue: priority order, FIFO within a priority, what goes one past its bound, requeueing. */
class EndpointQueueTest {
  private static final int NO_BOUND = Integer.MAX_VALUE;

  private static List<String> drain(EndpointQueue q) {
    List<String> out = new ArrayList<>();
    for (Queued m = q.poll(); m != null; m = q.poll()) out.add(m.frame().subject());
    return out;
  }

  private static List<String> subjects(List<Queued> l) {
    return l.stream().map(m -> m.frame().subject()).toList();
  }

  @Test
  void pollsTheHighestPriorityFirstAndFifoWithinAPriority() {
    EndpointQueue q = new EndpointQueue();
    q.offer(queued("low-1", 0), NO_BOUND);
    q.offer(queued("mid-1", 50), NO_BOUND);
    q.offer(queued("system", 100), NO_BOUND);
    q.offer(queued("low-2", 0), NO_BOUND);
    q.offer(queued("mid-2", 50), NO_BOUND);

    assertThat(subjects(q.toList())).containsExactly("system", "mid-1", "mid-2", "low-1", "low-2");
    assertThat(drain(q)).containsExactly("system", "mid-1", "mid-2", "low-1", "low-2");
    assertThat(q.isEmpty()).isTrue();
    assertThat(q.poll()).isNull();
  }

  @Test
  void oneOverTheBoundDropsTheOldestOfTheLowestPriority() {
    EndpointQueue q = new EndpointQueue();
    assertThat(q.offer(queued("mid", 5), 3)).isZero();
    assertThat(q.offer(queued("low-old", 1), 3)).isZero();
    assertThat(q.offer(queued("low-new", 1), 3)).isZero();

    assertThat(q.offer(queued("high", 9), 3)).isEqualTo(1);

    assertThat(q.size()).isEqualTo(3);
    assertThat(q.dropped()).isEqualTo(1);
    assertThat(drain(q)).containsExactly("high", "mid", "low-new");
  }

  @Test
  void aNewcomerOfTheLowestPriorityIsItselfDroppedFromAFullQueue() {
    EndpointQueue q = new EndpointQueue();
    q.offer(queued("a", 5), 2);
    q.offer(queued("b", 5), 2);

    assertThat(q.offer(queued("low", 1), 2)).isEqualTo(1);

    assertThat(drain(q)).containsExactly("a", "b");
  }

  @Test
  void withOnePriorityAFullQueueDropsItsOldest() {
    EndpointQueue q = new EndpointQueue();
    for (int i = 1; i <= 4; i++) q.offer(queued("m" + i, 0), 3);
    assertThat(q.dropped()).isEqualTo(1);
    assertThat(drain(q)).containsExactly("m2", "m3", "m4");
  }

  @Test
  void aRequeuedMessageGoesToTheHeadOfItsPriorityNotAheadOfHigherOnes() {
    EndpointQueue q = new EndpointQueue();
    q.offer(queued("mid-1", 5), NO_BOUND);
    q.offer(queued("high", 9), NO_BOUND);

    q.offerFirst(queued("requeued", 5));

    assertThat(drain(q)).containsExactly("high", "requeued", "mid-1");
  }

  @Test
  void requeueingDoesNotTrimButTrimDropsTheOldestOfTheLowest() {
    EndpointQueue q = new EndpointQueue();
    q.offer(queued("low", 1), 2);
    q.offer(queued("mid", 5), 2);

    q.offerFirst(queued("back-low", 1));
    assertThat(q.size()).isEqualTo(3);
    assertThat(q.dropped()).isZero();

    // the requeued message is now the oldest of the lowest priority
    assertThat(q.trim(2)).isEqualTo(1);
    assertThat(drain(q)).containsExactly("mid", "low");
  }

  @Test
  void trimWithinTheBoundDropsNothing() {
    EndpointQueue q = new EndpointQueue();
    q.offer(queued("a", 1), NO_BOUND);
    assertThat(q.trim(1)).isZero();
    assertThat(q.trim(0)).isEqualTo(1);
    assertThat(q.isEmpty()).isTrue();
  }

  @Test
  void expireDropsMessagesQueuedAtOrBeforeTheCutoffAtEveryPriority() {
    EndpointQueue q = new EndpointQueue();
    q.offer(queued("low-old", 1, 10), NO_BOUND);
    q.offer(queued("low-young", 1, 30), NO_BOUND);
    q.offer(queued("high-at-cutoff", 9, 20), NO_BOUND);
    q.offer(queued("high-young", 9, 21), NO_BOUND);

    assertThat(q.expire(20)).isEqualTo(2);

    assertThat(q.dropped()).isEqualTo(2);
    assertThat(drain(q)).containsExactly("high-young", "low-young");
    assertThat(new EndpointQueue().expire(Long.MAX_VALUE)).isZero();
  }

  @Test
  void afterExpiringAWholePriorityThePollOrderStillHolds() {
    EndpointQueue q = new EndpointQueue();
    q.offer(queued("high-old", 9, 1), NO_BOUND);
    q.offer(queued("low-young", 1, 100), NO_BOUND);
    q.offer(queued("mid-young", 5, 100), NO_BOUND);

    q.expire(1);
    assertThat(q.poll().frame().subject()).isEqualTo("mid-young");
    // the lowest level is known again too: a full queue drops from it
    q.offer(queued("mid-2", 5, 100), 1);
    assertThat(drain(q)).containsExactly("mid-2");
  }

  @Test
  void countsTheBytesItHoldsAndChargesTheNodeBudgetOncePerFrame() {
    MemoryBudget budget = MemoryBudget.unlimited();
    EndpointQueue q = new EndpointQueue(budget);
    EndpointQueue other = new EndpointQueue(budget);
    Queued m = queued("shared", 5);
    int size = m.frame().size();

    q.offer(m, NO_BOUND);
    other.offer(m, NO_BOUND); // one published message for two endpoints: the same frame
    assertThat(q.bytes()).isEqualTo(size);
    assertThat(other.bytes()).isEqualTo(size);
    assertThat(budget.used()).isEqualTo(MemoryBudget.cost(m.frame()));

    q.poll();
    assertThat(q.bytes()).isZero();
    assertThat(budget.used()).as("still held by the other queue").isEqualTo(MemoryBudget.cost(m.frame()));
    other.trim(0);
    assertThat(budget.used()).isZero();
  }
}
