package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.E2E;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestCluster;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 10: with default settings a legacy-order node reconnecting to a backlog is
 * never sent a frame it would misread (locally and through another gateway), and the
 * {@code stopping} a stop command causes references that command.
 */
class ProtocolFixesTest extends ServerTestBase {
  TestServer ts;


  @Test
  void aLegacyWorkerReconnectingToABacklogGetsEveryJobInLegacyOrderWithDefaultSettings() {
    ts = startServer(); // defaults: no order grace configured by the test
    List<byte[]> sent = new ArrayList<>();
    try (TestNode boss = ts.node("boss")) {
      boss.command("subscribe.channel", "worker", "jobs");
      boss.sync("boss");
      for (int i = 0; i < 20; i++) sent.add(boss.publish("jobs", "job", i));
      E2E.awaitDepth(ts, "worker", 20);
    }
    // the original client: no ?order=, legacy frames, its first frame a command right after the upgrade
    try (TestNode worker = ts.node("worker", ts.adminToken(), WireOrder.LEGACY)) {
      worker.command("subscribe.channel", "worker", "jobs");
      for (int i = 0; i < 20; i++) {
        Frame f = worker.nextMessage();
        assertThat(f.order()).as("job %d is written in the node's own order", i).isEqualTo(WireOrder.LEGACY);
        assertThat(f.uid()).as("job %d", i).isEqualTo(sent.get(i));
        worker.ack(f);
      }
      worker.expectNothing(300);
    }
    Await.until("worker's queue empty",
        () -> TestNode.await(ts.server.gateway().queueDepths()).getOrDefault("worker", 0), d -> d == 0);
  }

  @Test
  void aLegacyNodeServedThroughAnotherGatewayIsAlsoHeldUntilItsOrderIsKnown() {
    try (TestCluster c = TestCluster.start(2, null)) {
      List<byte[]> sent = new ArrayList<>();
      try (TestNode boss = c.member(0).node("boss")) {
        boss.command("subscribe.channel", "remote-worker", "rjobs");
        boss.command("endpoint.create", "remote-worker"); // owned by member 0
        boss.sync("boss");
        for (int i = 0; i < 5; i++) sent.add(boss.publish("rjobs", "job", i));
        boss.sync("boss");
      }
      // the worker attaches at the member that does not own its endpoint: served through its gateway
      String owner = c.awaitAgreedOwner("remote-worker", o -> true); // both members know the owner
      TestCluster.Member other = owner.equals(c.member(0).id()) ? c.member(1) : c.member(0);
      try (TestNode worker = TestNode.connect(other.vertx, other.port(), "remote-worker", c.adminToken(),
          WireOrder.LEGACY)) {
        // the owner's prefetch goes to member 1, which holds it until the node's order is known
        Await.until("the owner's prefetch sent to member 1", () -> TestNode.await(c.memberWithId(owner).server
            .gateway().endpointStatus()).stream().filter(e -> e.name().equals("remote-worker"))
            .mapToInt(e -> e.inFlight()).sum(), inFlight -> inFlight > 0);
        worker.command("subscribe.channel", "remote-worker", "rjobs");
        for (int i = 0; i < 5; i++) {
          Frame f = worker.nextMessage();
          assertThat(f.order()).as("job %d", i).isEqualTo(WireOrder.LEGACY);
          assertThat(f.uid()).isEqualTo(sent.get(i));
          worker.ack(f);
        }
      }
    }
  }

  @Test
  void theStoppingNoticeOfAStopCommandReferencesThatCommand() {
    ts = startServer(new JsonObject().put("stop", new JsonObject().put("graceMillis", 200)));
    try (TestNode bystander = ts.node("bystander"); TestNode admin = ts.node("admin")) {
      bystander.sync("bystander");
      byte[] stopUid = admin.command("stop");
      assertThat(admin.nextSystem("stopping").reference()).isEqualTo(stopUid);
      assertThat(bystander.nextSystem("stopping").reference()).isEqualTo(stopUid);
      TestNode.await(ts.server.stopped(), 30_000);
    }
  }

  @Test
  void everyMemberOfAClusterReferencesTheStopCommandInItsStoppingNotice() {
    try (TestCluster c = TestCluster.start(2, new JsonObject().put("stop", new JsonObject().put("graceMillis", 200)))) {
      try (TestNode far = c.member(1).node("far"); TestNode admin = c.member(0).node("admin")) {
        far.sync("far");
        byte[] stopUid = admin.command("stop");
        assertThat(admin.nextSystem("stopping").reference()).isEqualTo(stopUid);
        assertThat(far.nextSystem("stopping").reference()).as("at the other member").isEqualTo(stopUid);
        for (TestCluster.Member m : c.members) TestNode.await(m.server.stopped(), 60_000);
      }
      for (TestCluster.Member m : c.members) m.markStopped();
    }
  }
}
