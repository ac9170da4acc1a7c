package io.wsmsg.gateway;

import static io.wsmsg.gateway.TestFrames.queued;
import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.metrics.MemoryBudget;
import io.wsmsg.protocol.Uid;
import org.junit.jupiter.api.Test;

/** A node's unacknowledged deliveries: acks by uid, duplicate uids, expiry, memory accounting. */
class InFlightTableTest {
  private final MemoryBudget budget = MemoryBudget.unlimited();
  private final InFlightTable table = new InFlightTable(budget);

  private static Uid uidOf(InFlightTable.Entry e) {
    return Uid.of(e.queued.frame().uid());
  }

  private InFlightTable.Entry send(String subject, long deadline) {
    InFlightTable.Entry e = new InFlightTable.Entry(queued(subject, 5), deadline, 0);
    table.add(uidOf(e), e);
    return e;
  }

  /** A second delivery of {@code first}'s message (a retried publish reusing its uid). */
  private InFlightTable.Entry sendAgain(InFlightTable.Entry first, long deadline) {
    InFlightTable.Entry e = new InFlightTable.Entry(first.queued, deadline, 0);
    table.add(uidOf(first), e);
    return e;
  }

  @Test
  void anAckSettlesTheDeliveryWithThatUid() {
    InFlightTable.Entry a = send("a", 100);
    InFlightTable.Entry b = send("b", 100);

    assertThat(table.ack(uidOf(b))).isSameAs(b);

    assertThat(table.size()).isEqualTo(1);
    assertThat(table.held()).containsExactly(a.queued);
    assertThat(table.ack(uidOf(b))).as("acked twice").isNull();
    assertThat(table.size()).isEqualTo(1);
  }

  @Test
  void anAckForAnUnknownUidChangesNothing() {
    send("a", 100);
    assertThat(table.ack(Uid.of(new byte[] {1, 2, 3}))).isNull();
    assertThat(table.size()).isEqualTo(1);
  }

  @Test
  void deliveriesSharingAUidAreCountedApartAndAckedOldestFirst() {
    InFlightTable.Entry first = send("dup", 100);
    InFlightTable.Entry second = sendAgain(first, 200);

    assertThat(table.size()).as("the window counts deliveries, not uids").isEqualTo(2);
    assertThat(table.ack(uidOf(first))).isSameAs(first);
    assertThat(table.ack(uidOf(first))).isSameAs(second);
    assertThat(table.ack(uidOf(first))).isNull();
    assertThat(table.size()).isZero();
  }

  @Test
  void expirySettlesDeliveriesWhoseDeadlineHasPassedAndNoOthers() {
    send("early", 100);
    InFlightTable.Entry acked = send("acked", 150);
    send("at-now", 200);
    InFlightTable.Entry late = send("late", 300);
    table.ack(uidOf(acked));

    assertThat(table.expire(200, InFlightTableTest::uidOf)).isEqualTo(2);

    assertThat(table.held()).containsExactly(late.queued);
    assertThat(table.expire(299, InFlightTableTest::uidOf)).isZero();
    assertThat(table.expire(300, InFlightTableTest::uidOf)).isEqualTo(1);
    assertThat(table.size()).isZero();
  }

  @Test
  void expiryOfADuplicateLeavesTheLaterDeliveryAckable() {
    InFlightTable.Entry first = send("dup", 100);
    InFlightTable.Entry second = sendAgain(first, 500);

    assertThat(table.expire(100, InFlightTableTest::uidOf)).isEqualTo(1);

    assertThat(table.ack(uidOf(first))).isSameAs(second);
  }

  @Test
  void heldListsTheUnsettledDeliveriesInDeliveryOrder() {
    InFlightTable.Entry a = send("a", 100);
    InFlightTable.Entry b = send("b", 100);
    InFlightTable.Entry c = send("c", 100);
    table.ack(uidOf(b));
    assertThat(table.held()).containsExactly(a.queued, c.queued);
  }

  @Test
  void unsettledDeliveriesHoldTheirFramesInTheNodeBudgetUntilSettledOrCleared() {
    InFlightTable.Entry a = send("a", 100);
    InFlightTable.Entry b = send("b", 100);
    long costA = MemoryBudget.cost(a.queued.frame());
    long costB = MemoryBudget.cost(b.queued.frame());
    assertThat(budget.used()).isEqualTo(costA + costB);
    assertThat(budget.inFlight()).isEqualTo(a.queued.frame().size() + b.queued.frame().size());

    table.ack(uidOf(a));
    assertThat(budget.used()).isEqualTo(costB);

    table.clear();
    assertThat(table.size()).isZero();
    assertThat(table.held()).isEmpty();
    assertThat(budget.used()).isZero();
    assertThat(budget.inFlight()).isZero();
    assertThat(table.ack(uidOf(b))).as("cleared deliveries are gone").isNull();
  }

  @Test
  void anIdentitysInFlightBytesFollowItsDeliveries() {
    IdentityLoad load = new IdentityLoad("alice");
    InFlightTable counted = new InFlightTable(budget, load);
    InFlightTable.Entry e = new InFlightTable.Entry(queued("a", 5), 100, 0);

    counted.add(uidOf(e), e);
    assertThat(load.inFlightBytes.get()).isEqualTo(e.queued.frame().size());

    counted.ack(uidOf(e));
    assertThat(load.inFlightBytes.get()).isZero();
  }
}
