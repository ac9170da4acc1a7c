package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.persistence.StateStore;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestCluster;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Members leaving, failing and stopping, with real Hazelcast members in this JVM. */
class MemberFailureTest extends ServerTestBase {

  /** Waits until every running member says {@code owner} owns {@code endpoint}. */
  private static void awaitOwner(TestCluster c, String endpoint, String owner) {
    c.awaitOwner(endpoint, owner);
  }

  /**
   * Queues {@code n} messages for an endpoint first used at {@code member}, so that member owns
   * it and holds them, and waits until it does.
   */
  private static void queueAt(TestCluster c, TestCluster.Member member, String endpoint, String channel, String prefix,
      int n) {
    try (TestNode admin = member.node("admin")) {
      admin.command("subscribe.channel", endpoint, channel, "*");
      admin.sync("admin");
      for (int i = 0; i < n; i++) admin.publish(channel, prefix + i, i);
      admin.sync("admin");
    }
    awaitOwner(c, endpoint, member.id());
    awaitDepth(member, endpoint, n);
  }

  /** Waits until {@code endpoint}'s queue at {@code m} holds exactly {@code n} messages. */
  private static void awaitDepth(TestCluster.Member m, String endpoint, int n) {
    Await.until("queue depth of " + endpoint + " at " + m.id() + " == " + n, () -> depth(m, endpoint), d -> d == n);
  }

  private static int depth(TestCluster.Member m, String endpoint) {
    Map<String, Integer> d = TestNode.await(m.server.gateway().queueDepths());
    return d.getOrDefault(endpoint, 0);
  }

  @Test
  void aGracefulLeaveHandsEveryQueuedMessageToTheSurvivors() {
    try (TestCluster c = TestCluster.start(3, null)) {
      TestCluster.Member leaver = c.member(1);
      queueAt(c, leaver, "offline", "parcels", "p", 50);

      leaver.stopGracefully();
      c.awaitMembers(2);

      // the handover is asynchronous to the membership change: wait until both survivors name
      // one of them as the owner and the owner holds all 50, then read them through member 0
      Set<String> survivors = Set.of(c.member(0).id(), c.member(2).id());
      String heir = c.awaitAgreedOwner("offline", survivors::contains);
      awaitDepth(c.memberWithId(heir), "offline", 50);
      TestCluster.Member survivor = c.member(0);
      try (TestNode node = survivor.node("offline")) {
        List<String> subjects = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          Frame f = node.nextMessage();
          subjects.add(f.subject());
          node.ack(f);
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) expected.add("p" + i);
        assertThat(subjects).containsExactlyElementsOf(expected);
        node.expectNothing(200);
      }
      assertThat(Files.exists(leaver.server.config().dataDir.resolve(StateStore.FILE)))
          .as("nothing left to persist after a full handover").isFalse();
    }
  }

  @Test
  void whenAMemberFailsTheSurvivorsTakeItsEndpointsAndKeepTheSubscriptions() {
    try (TestCluster c = TestCluster.start(3, null)) {
      TestCluster.Member doomed = c.member(1);
      try (TestNode first = doomed.node("jobs")) {
        first.command("subscribe.channel", "jobs", "work", "*");
        first.sync("jobs");
      }
      awaitOwner(c, "jobs", doomed.id());

      // the subscription was made at the doomed member: it reaches the others by replication,
      // and must have before the crash for "survive" to mean anything
      c.awaitRouted("work", "x", "jobs");

      doomed.crash();
      c.awaitMembers(2);

      // subscriptions survive on the other members; the endpoint has a new owner among them.
      // The takeover follows the membership change: until the survivors have handled it they
      // still name the crashed member, so wait for it rather than reading the owner once.
      for (TestCluster.Member m : List.of(c.member(0), c.member(2))) {
        assertThat(m.server.registry().route("work", "x", null, System.currentTimeMillis())).containsExactly("jobs");
      }
      Set<String> survivors = Set.of(c.member(0).id(), c.member(2).id());
      String newOwner = c.awaitAgreedOwner("jobs", survivors::contains);
      assertThat(newOwner).isIn(c.member(0).id(), c.member(2).id());

      try (TestNode worker = c.member(2).node("jobs");
          TestNode boss = c.member(0).node("boss")) {
        worker.sync("jobs");
        for (int i = 0; i < 10; i++) boss.publish("work", "after" + i, i);
        for (int i = 0; i < 10; i++) {
          Frame f = worker.nextMessage();
          assertThat(f.subject()).isEqualTo("after" + i);
          worker.ack(f);
        }
      }
    }
  }

  @Test
  void theStopCommandStopsEveryMemberAndEachPersistsItsShare() {
    try (TestCluster c = TestCluster.start(2, new JsonObject().put("stop", new JsonObject().put("graceMillis", 300)))) {
      // one endpoint owned by each member, each with queued messages
      for (int i = 0; i < 2; i++) {
        try (TestNode n = c.member(i).node("writer" + i)) {
          n.command("subscribe.channel", "own" + i, "mail" + i, "*");
          n.sync("writer" + i);
          for (int k = 0; k < 5; k++) n.publish("mail" + i, "m" + k, k);
          n.sync("writer" + i);
        }
        awaitOwner(c, "own" + i, c.member(i).id());
      }
      // each subscription was made at one member: the other has it once replicated, and only
      // then can its snapshot hold it (asserted below)
      for (int i = 0; i < 2; i++) c.awaitRouted("mail" + i, "x", "own" + i);
      try (TestNode admin = c.member(0).node("admin")) {
        admin.command("stop");
        for (TestCluster.Member m : c.members) TestNode.await(m.server.stopped(), 60_000);
      }
      for (TestCluster.Member m : c.members) m.markStopped();

      // each member's snapshot holds the queue it owned; restart them standalone and look
      for (int i = 0; i < 2; i++) {
        String dir = c.member(i).server.config().dataDir.toString();
        try (TestServer restarted = startServer(new JsonObject().put("dataDir", dir))) {
          Map<String, Integer> depths = TestNode.await(restarted.server.gateway().queueDepths());
          assertThat(depths.getOrDefault("own" + i, 0)).as("member %d's own queue", i).isEqualTo(5);
          assertThat(depths.getOrDefault("own" + (1 - i), 0)).as("the other member's queue").isZero();
          // the whole registry is in every member's snapshot
          assertThat(restarted.server.registry().route("mail" + (1 - i), "x", null, System.currentTimeMillis()))
              .containsExactly("own" + (1 - i));
        }
      }
    }
  }

  @Test
  void aConflictingClaimIsSettledEverywhereAndTheLoserHandsItsQueueOver() {
    try (TestCluster c = TestCluster.start(3, null)) {
      TestCluster.Member first = c.member(0);
      TestCluster.Member winner = c.member(2);
      queueAt(c, first, "contested", "c", "m", 5);

      // What the other side of a healed partition would say: member 2 took the endpoint over
      // (epoch 2) while member 0 still held it (epoch 1).
      PeerWire.Writer claim = new PeerWire.Writer(PeerWire.CLAIMS, 128);
      claim.i32(1).str("contested").str(winner.id()).i64(2);
      c.member(1).vertx.eventBus().publish("wsmsg.peers.all", claim.buffer());
      awaitOwner(c, "contested", winner.id());
      awaitDepth(winner, "contested", 5); // the queue moved to the winner
      awaitDepth(first, "contested", 0); // nothing stays with the loser

      // a stale claim (lower epoch) changes nothing: the owner repeats its own
      PeerWire.Writer stale = new PeerWire.Writer(PeerWire.CLAIMS, 128);
      stale.i32(1).str("contested").str(first.id()).i64(1);
      c.member(1).vertx.eventBus().publish("wsmsg.peers.all", stale.buffer());
      TestCluster.sleep(300); // the point: the stale claim has time to act, and changes nothing
      awaitOwner(c, "contested", winner.id());

      try (TestNode node = c.member(1).node("contested")) {
        for (int i = 0; i < 5; i++) {
          Frame f = node.nextMessage();
          assertThat(f.subject()).isEqualTo("m" + i);
          node.ack(f);
        }
        node.expectNothing(200);
      }
    }
  }

  @Test
  void aMemberJoiningLaterCopiesTheRegistryAndRoutesAtOnce() {
    try (TestCluster c = TestCluster.startWithSpare(2, 1, null);
        TestNode sub = c.member(0).node("early")) {
      sub.command("subscribe.channel", "early", "late.news", "*");
      sub.sync("early");
      // both members hold the subscription and the claim (replicated asynchronously), so the
      // newcomer copies them whichever member it copies from
      c.awaitRouted("late.news", "x", "early");
      c.awaitOwner("early", c.member(0).id());
      TestCluster.Member late = c.join(2, null);
      c.awaitMembers(3);
      assertThat(late.server.registry().route("late.news", "x", null, System.currentTimeMillis()))
          .as("the registry was copied before the member started serving").containsExactly("early");
      try (TestNode pub = late.node("latepub")) {
        pub.publish("late.news", "hello", 1);
        Frame f = sub.nextMessage();
        assertThat(f.subject()).isEqualTo("hello");
        sub.ack(f);
      }
    }
  }
}
