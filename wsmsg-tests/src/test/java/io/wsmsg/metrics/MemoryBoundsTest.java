package io.wsmsg.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.metrics.Counters;
import io.wsmsg.metrics.MemoryBudget;
import io.wsmsg.protocol.Frame;
import io.wsmsg.registry.Subscription;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Item 8 of the hardening issue: one node-wide budget (limits.maxQueuedMiB) bounds the
 * message memory of channel queues, endpoint queues and in-flight deliveries. A publisher
 * flooding ~1 MiB messages at a 4 MiB server cannot push it past the budget, whether the
 * messages pile up in front of a router that is behind, in the queue of an endpoint nobody
 * reads, or at a node that never acks; it learns with {@code limit} errors when nothing can
 * make room, and a healthy client on another channel keeps its round trips.
 */
class MemoryBoundsTest extends ServerTestBase {
  private static final int MIB = 1 << 20;
  /** Each flood message: a 900 KiB payload, so four fit in 4 MiB and a fifth does not. */
  private static final byte[] BLOB = new byte[900 * 1024];
  /**
   * How far over the budget the node may go: only frames nobody could refuse (server events on
   * channel system) are admitted without a check, and they are a few hundred bytes.
   */
  private static final long SLACK = 64 * 1024;

  TestServer ts;


  private void start() {
    ts = startServer(new JsonObject().put("limits", new JsonObject().put("maxQueuedMiB", 4)));
    assertThat(ts.server.memory().limit()).isEqualTo(4L * MIB);
  }

  @Test
  void anEndpointNobodyReadsCannotHoldMoreThanTheBudgetAndGivesUpItsOldestFirst() {
    start();
    try (TestNode attacker = ts.node("attacker"); TestNode healthy = ts.node("healthy")) {
      subscribe(attacker, "unread", "flood");
      subscribe(healthy, "healthy", "ping");
      int limitErrors = 0;
      for (int i = 0; i < 40; i++) {
        attacker.publish("flood", "f" + i, BLOB);
        if (i % 10 == 9) {
          roundTrip(attacker, healthy, i);
          limitErrors += drainLimitErrors(attacker);
        }
      }
      // every flood message is queued for "unread", was evicted for memory, or was refused
      int[] refused = {limitErrors};
      until("all 40 accounted for", () -> {
        refused[0] += drainLimitErrors(attacker);
        return depth("unread") + ts.server.counters().dropped(Counters.Drop.MEMORY) + refused[0] == 40;
      });
      assertThat(depth("unread")).isBetween(1, 4);
      assertThat(ts.server.counters().dropped(Counters.Drop.MEMORY)).as("queued messages made room").isPositive();
      assertThat(ts.server.counters().dropped(Counters.Drop.ENDPOINT_FULL)).isZero();
      assertWithinBudget();
      roundTrip(attacker, healthy, 99);
    }
    // the newest survived: a reader that finally comes gets the latest, not the oldest
    try (TestNode reader = ts.node("unread")) {
      Frame first = reader.nextMessage();
      assertThat(Integer.parseInt(first.subject().substring(1))).isGreaterThanOrEqualTo(10);
    }
  }

  @Test
  void aNodeThatNeverAcksHoldsAtMostHalfTheBudgetInFlightAndLetsGoWhenItLeaves() {
    start();
    try (TestNode attacker = ts.node("attacker"); TestNode healthy = ts.node("healthy")) {
      subscribe(healthy, "healthy", "ping");
      try (TestNode greedy = ts.node("greedy?window=50")) {
        subscribe(greedy, "greedy", "hoard");
        int[] refused = {0};
        for (int i = 0; i < 30; i++) {
          attacker.publish("hoard", "h" + i, BLOB);
          if (i % 10 == 9) {
            roundTrip(attacker, healthy, i);
            refused[0] += drainLimitErrors(attacker);
          }
        }
        // window 50 would take all 30: half the budget (2 MiB) stops hand-outs after three
        int[] received = {0};
        until("all 30 accounted for", () -> {
          refused[0] += drainLimitErrors(attacker);
          for (Frame f; (f = greedy.poll(0)) != null; ) {
            if (!"system".equals(f.channel())) received[0]++; // and never acked
          }
          return received[0] + depth("greedy") + ts.server.counters().dropped(Counters.Drop.MEMORY) + refused[0] == 30;
        });
        assertThat(received[0]).isBetween(1, 3);
        greedy.expectNothing(300);
        assertThat(ts.server.memory().inFlight()).isLessThanOrEqualTo(2L * MIB + BLOB.length);
        assertWithinBudget();
        roundTrip(attacker, healthy, 99);
      }
      // the node left without acking: its deliveries are released (dropped as disconnected)
      until("the greedy node's memory released", () -> ts.server.memory().inFlight() == 0
          && ts.server.memory().used() < 4L * MIB - 3L * (BLOB.length + MemoryBudget.OVERHEAD));
      assertThat(ts.server.counters().dropped(Counters.Drop.DISCONNECTED)).isBetween(1L, 3L);
    }
  }

  @Test
  void oneIdentitysNodesThatNeverAckHoldAtMostItsInFlightShare() {
    // a roomy budget: only the identity's share (2 MiB) can stop the hoarders
    ts = startServer(new JsonObject().put("limits", new JsonObject().put("maxQueuedMiB", 64)
        .put("maxInFlightMiBPerIdentity", 2)));
    String mallory = ts.token("mallory", null);
    String alice = ts.token("alice", null);
    int nodes = 6;
    List<TestNode> hoarders = new java.util.ArrayList<>();
    try (TestNode pub = ts.node("pub");
        TestNode healthy = ts.node("alice?order=seed", alice, io.wsmsg.protocol.WireOrder.SEED)) {
      for (int i = 0; i < nodes; i++) {
        hoarders.add(ts.node("mallory~" + i + "?order=seed", mallory, io.wsmsg.protocol.WireOrder.SEED));
        subscribe(pub, "mallory~" + i, "hoard");
      }
      for (int i = 0; i < nodes; i++) pub.publish("hoard", "h" + i, BLOB);
      // every copy is either with a hoarder (never acked) or still queued
      int[] received = {0};
      until("all " + nodes * nodes + " copies accounted for", () -> {
        for (TestNode h : hoarders) {
          for (Frame f; (f = h.poll(0)) != null; ) {
            if (!"system".equals(f.channel())) received[0]++;
          }
        }
        int queued = 0;
        for (int i = 0; i < nodes; i++) queued += depth("mallory~" + i);
        return received[0] + queued == nodes * nodes;
      });
      // one each (window 1) would be 6 x 900 KiB; the share stops hand-outs once 2 MiB are out
      assertThat(received[0]).as("deliveries to the identity's nodes").isBetween(1, 3);
      for (TestNode h : hoarders) h.expectNothing(100);
      assertThat(ts.server.memory().inFlight()).isLessThanOrEqualTo(2L * MIB + BLOB.length);
      // another identity is served as usual meanwhile
      subscribe(pub, "alice", "ping");
      roundTrip(pub, healthy, 1);
    } finally {
      hoarders.forEach(TestNode::close);
    }
    until("the hoarders' deliveries released", () -> ts.server.memory().inFlight() == 0);
  }

  @Test
  void whenRoutersAreBehindTheFloodIsRefusedWithLimitAndNothingSilentlyVanishes() {
    start();
    try (TestNode attacker = ts.node("attacker"); TestNode healthy = ts.node("healthy")) {
      subscribe(attacker, "unread", "flood");
      subscribe(healthy, "healthy", "ping");
      // every router below the system channel's priority waits while priority 100 has messages
      // pending: this holds them, as a router that is behind on a busy node would
      ts.server.routers().gate().add(100, 1);
      try {
        for (int i = 0; i < 10; i++) attacker.publish("flood", "f" + i, BLOB);
        int refused = 0;
        for (int i = 0; i < 6; i++) {
          Frame err = attacker.nextSystem("error");
          List<?> data = (List<?>) TestNode.data(err);
          assertThat(data.get(0)).isEqualTo("limit");
          assertThat((String) data.get(1)).contains("message memory of 4 MiB");
          refused++;
        }
        assertThat(refused).isEqualTo(6);
        until("the four admitted wait in the channel queue", () -> ts.server.routers().totalDepth() == 1 + 4);
        assertWithinBudget();
      } finally {
        ts.server.routers().gate().add(100, -1);
      }
      until("the four admitted reach their endpoint", () -> depth("unread") == 4);
      assertThat(ts.server.counters().dropped(Counters.Drop.MEMORY)).isZero();
      roundTrip(attacker, healthy, 99);
    }
  }

  /**
   * In a cluster, the frames held for a node served through another member (routed here,
   * queued at the owner, prefetched at the node's gateway, in flight at both) are all let go
   * of: when every message is acked, or the node leaves without acking, both members' budgets
   * are back to nothing.
   */
  @Test
  void inAClusterEveryHoldIsReleasedOnceMessagesAreAckedOrTheirNodeLeaves() {
    try (io.wsmsg.testkit.TestCluster c = io.wsmsg.testkit.TestCluster.start(2, null)) {
      io.wsmsg.testkit.TestCluster.Member owner = c.member(0);
      io.wsmsg.testkit.TestCluster.Member other = c.member(1);
      try (TestNode first = owner.node("jobs"); TestNode boss = owner.node("boss")) {
        first.command("subscribe.channel", "jobs", "work", "*");
        first.sync("jobs");
        until("jobs owned by member 0", () -> owner.id().equals(other.server.gateway().ownerOf("jobs")));
        first.close();
        try (TestNode worker = other.node("jobs?window=4")) {
          worker.sync("jobs");
          for (int i = 0; i < 20; i++) boss.publish("work", "w" + i, new byte[10_000]);
          for (int i = 0; i < 20; i++) {
            Frame f = worker.nextMessage();
            worker.ack(f);
          }
          untilReleased(owner, other);
          for (int i = 0; i < 20; i++) boss.publish("work", "u" + i, new byte[10_000]);
          Frame f = worker.nextMessage(); // delivered, never acked: the worker leaves with it
          assertThat(f.subject()).startsWith("u");
        }
        // the rest stays queued at the owner; nothing is held for the node that left
        until("in-flight released", () -> owner.server.memory().inFlight() == 0 && other.server.memory().inFlight() == 0
            && other.server.memory().used() == 0);
        try (TestNode worker = owner.node("jobs")) {
          worker.autoAck(true);
          until("the queue drained", () -> TestNode.await(owner.server.gateway().queueDepths()).getOrDefault("jobs", 0) == 0);
          untilReleased(owner, other);
        }
      }
    }
  }

  private static void untilReleased(io.wsmsg.testkit.TestCluster.Member... members) {
    until("every member's message memory released", () -> {
      for (io.wsmsg.testkit.TestCluster.Member m : members) {
        if (m.server.memory().used() != 0 || m.server.memory().inFlight() != 0) return false;
      }
      return true;
    });
  }

  // ---- helpers ----

  /** A small message on another channel still goes through. */
  private static void roundTrip(TestNode from, TestNode to, int n) {
    from.publish("ping", "p" + n, n);
    Frame f = to.nextMessage();
    assertThat(f.channel()).isEqualTo("ping");
    assertThat(f.subject()).isEqualTo("p" + n);
    to.ack(f);
  }

  /** Limit errors already received (other frames are acked and dropped). */
  private static int drainLimitErrors(TestNode node) {
    int n = 0;
    for (Frame f; (f = node.poll(0)) != null; ) {
      if ("system".equals(f.channel()) && "error".equals(f.subject())) {
        assertThat(((List<?>) TestNode.data(f)).get(0)).isEqualTo("limit");
        n++;
      } else if (!"system".equals(f.channel())) {
        node.ack(f);
      }
    }
    return n;
  }

  private void assertWithinBudget() {
    MemoryBudget m = ts.server.memory();
    assertThat(m.peak()).as("the most the node ever held").isLessThanOrEqualTo(m.limit() + SLACK);
    assertThat(m.peak()).as("the flood did fill it").isGreaterThan(3L * BLOB.length);
  }

  private void subscribe(TestNode node, String endpoint, String channel) {
    node.command("subscribe.channel", endpoint, channel, "*");
    until(endpoint + " subscribed to " + channel, () -> {
      for (Subscription s : ts.server.registry().subscriptions().of(endpoint)) {
        if (s.channel().pattern().equals(channel)) return true;
      }
      return false;
    });
  }

  private int depth(String endpoint) {
    return TestNode.await(ts.server.gateway().queueDepths()).getOrDefault(endpoint, 0);
  }

  private static void until(String what, BooleanSupplier condition) {
    io.wsmsg.testkit.Await.until(what, condition);
  }
}
