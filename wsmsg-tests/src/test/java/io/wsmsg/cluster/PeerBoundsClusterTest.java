package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.registry.RegistryCommand;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestCluster;
import io.wsmsg.testkit.TestNode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two real members (clustered Vert.x + Hazelcast in this JVM). Hostile peer messages are put on
 * the event bus as a process on the cluster network could: each is refused, counted in
 * wsmsg_peer_rejected_total, applies nothing, and the cluster keeps routing pub/sub and RPC.
 * (A separate rogue JVM without the cluster certificate is the cluster-TLS tests' business.)
 */
class PeerBoundsClusterTest {
  static TestCluster cluster;
  static TestCluster.Member m0;
  static TestCluster.Member m1;

  @BeforeAll
  static void start() {
    // small endpoint limit: the over-limit cases stay small messages
    cluster = TestCluster.start(2, new io.vertx.core.json.JsonObject()
        .put("limits", new io.vertx.core.json.JsonObject().put("maxEndpoints", 50)));
    m0 = cluster.member(0);
    m1 = cluster.member(1);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  private static long rejected(TestCluster.Member m, String type, String reason) {
    return m.server.counters().peerRejectedCount(type, reason);
  }

  private static void awaitRejected(TestCluster.Member m, String type, String reason, long atLeast) {
    Await.until("member " + m.id() + " to count a refused " + type + " (" + reason + ")",
        () -> rejected(m, type, reason), n -> n >= atLeast);
  }

  /** Sends {@code b} as a request from member 0's event bus and returns the failure it was answered with. */
  private static ReplyException refusedRequest(String address, Buffer b) {
    Future<?> f = m0.vertx.eventBus().request(address, b, new DeliveryOptions().setSendTimeout(5000));
    try {
      TestNode.await(f, 10_000);
    } catch (RuntimeException e) {
      Throwable t = e;
      while (t != null && !(t instanceof ReplyException)) t = t.getCause();
      if (t != null) return (ReplyException) t;
      throw e;
    }
    throw new AssertionError("the request to " + address + " was accepted");
  }

  @Test
  void aHugeEpochClaimIsRefusedAndTheOwnerStays() {
    try (TestNode victim = m0.node("victim")) {
      victim.sync("victim");
      cluster.awaitOwner("victim", m0.id());
      // an epoch no honest claim could ever beat: it would hold the endpoint for good
      Buffer hijack = new PeerWire.Writer(PeerWire.CLAIMS, 64).i32(1).str("victim").str(m1.id()).i64(1L << 40).buffer();
      m0.vertx.eventBus().publish("wsmsg.peers.all", hijack);
      // a claim for a member that does not exist
      Buffer ghost = new PeerWire.Writer(PeerWire.CLAIMS, 64).i32(1).str("victim").str("rogue-member").i64(2).buffer();
      m0.vertx.eventBus().publish("wsmsg.peers.all", ghost);
      // beyond 2^62 is refused while decoding already
      Buffer overflow = new PeerWire.Writer(PeerWire.CLAIMS, 64).i32(1).str("victim").str(m1.id()).i64(Long.MAX_VALUE)
          .buffer();
      m0.vertx.eventBus().publish("wsmsg.peers.all", overflow);
      for (TestCluster.Member m : cluster.members) {
        awaitRejected(m, "claims", "bad_epoch", 2);
        awaitRejected(m, "claims", "unknown_member", 1);
      }
      TestCluster.sleep(300); // the point: ownership stays put during this interval
      assertThat(cluster.owners("victim").values()).containsOnly(m0.id());
      // the refusal is in /metrics with its labels
      assertThat(m1.server.counters().registry.scrape())
          .contains("wsmsg_peer_rejected_total{reason=\"bad_epoch\",type=\"claims\"}");
    }
  }

  @Test
  void aReplicatedChannelSizeOfZeroIsRefusedAndNothingOfItApplied() {
    Buffer b = Buffer.buffer().appendByte(PeerWire.REPLICATE).appendBytes(RegistryCodec.encode(List.of(
        new RegistryCommand.CreateChannel("zero.applied.first", null),
        new RegistryCommand.SizeChannel("zero", 0, null))));
    ReplyException e = refusedRequest(PeerWire.registryAddress(m1.id()), b);
    assertThat(e.getMessage()).contains("bad_value");
    awaitRejected(m1, "replicate", "bad_value", 1);
    // all or nothing: the valid command before the bad one was not applied either
    assertThat(m1.server.registry().hasChannel("zero.applied.first")).isFalse();
    assertThat(m1.server.registry().hasChannel("zero")).isFalse();
  }

  @Test
  void replicasCannotGrowTheRegistryBeyondTwiceItsLimits() {
    // one endpoint at a time would pass any per-message count: the registry's size is checked too
    List<RegistryCommand> batch = new java.util.ArrayList<>();
    List<RegistryCommand> removal = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      batch.add(new RegistryCommand.CreateEndpoint("grow" + i, null));
      removal.add(new RegistryCommand.RemoveEndpoint("grow" + i, false, null));
    }
    List<RegistryCommand> more = new java.util.ArrayList<>();
    for (int i = 40; i < 100; i++) more.add(new RegistryCommand.CreateEndpoint("grow" + i, null));
    try {
      TestNode.await(m0.vertx.eventBus().request(PeerWire.registryAddress(m1.id()), replicate(batch)), 10_000);
      assertThat(m1.server.registry().hasEndpoint("grow39")).isTrue();
      ReplyException e = refusedRequest(PeerWire.registryAddress(m1.id()), replicate(more));
      assertThat(e.getMessage()).contains("over_limit");
      assertThat(m1.server.registry().hasEndpoint("grow40")).isFalse(); // none of the refused message
    } finally {
      TestNode.await(m0.vertx.eventBus().request(PeerWire.registryAddress(m1.id()), replicate(removal)), 10_000);
    }
    assertThat(m1.server.registry().hasEndpoint("grow0")).isFalse();
  }

  private static Buffer replicate(List<RegistryCommand> cmds) {
    return Buffer.buffer().appendByte(PeerWire.REPLICATE).appendBytes(RegistryCodec.encode(cmds));
  }

  @Test
  void aHandoffForAnotherMemberIsMisdirected() throws Exception {
    byte[] frame = io.wsmsg.protocol.FrameCodec.encode(Ulids.next(), "inj", "injected", null,
        io.wsmsg.protocol.MsgPack.pack("x"), io.wsmsg.protocol.WireOrder.values()[0]).rawBytes();
    // sent to member 1, naming member 0 as the new owner: frames injected into someone's queue
    Buffer b = new PeerWire.Writer(PeerWire.HANDOFF, 256).str("handoff-target").str(m0.id()).i64(2)
        .str("h1").bool(true).i32(1).i32(1).i64(System.currentTimeMillis()).bytes(frame).buffer();
    ReplyException e = refusedRequest(PeerWire.gatewayAddress(m1.id()), b);
    assertThat(e.getMessage()).contains("misdirected");
    awaitRejected(m1, "handoff", "misdirected", 1);
    try (TestNode n = m1.node("handoff-target")) {
      n.sync("handoff-target");
      n.expectNothing(300); // nothing was put in its queue
    }
  }

  @Test
  void oversizedCountsAndStrangersAreRefused() {
    long before = rejected(m1, "deliver", "bad_count");
    // a DELIVER announcing a billion endpoints in a few bytes
    Buffer deliver = new PeerWire.Writer(PeerWire.DELIVER, 32).i32(1).i32(0).i32(1_000_000_000).buffer();
    m0.vertx.eventBus().send(PeerWire.gatewayAddress(m1.id()), deliver);
    awaitRejected(m1, "deliver", "bad_count", before + 1);
    // more claims than limits.maxEndpoints, bytes and all
    int over = m1.server.config().maxEndpoints + 1;
    if (over < 200_000) {
      PeerWire.Writer w = new PeerWire.Writer(PeerWire.CLAIMS, over * 24).i32(over);
      for (int i = 0; i < over; i++) w.str("c" + i).str(m0.id()).i64(1);
      m0.vertx.eventBus().send(PeerWire.gatewayAddress(m1.id()), w.buffer());
      awaitRejected(m1, "claims", "over_limit", 1);
      assertThat(m1.server.gateway().ownerOf("c0")).isNull();
    }
    // STOP_ALL from a process that is not a member stops no one
    Buffer stop = new PeerWire.Writer(PeerWire.STOP_ALL, 32).str("not-a-member").buffer();
    m0.vertx.eventBus().publish("wsmsg.peers.all", stop);
    // the old STOP_ALL without a sender is refused too
    m0.vertx.eventBus().publish("wsmsg.peers.all", new PeerWire.Writer(PeerWire.STOP_ALL, 1).buffer());
    for (TestCluster.Member m : cluster.members) {
      awaitRejected(m, "stop_all", "unknown_member", 1);
      awaitRejected(m, "stop_all", "truncated", 1);
    }
    // an ATTACH naming a gateway that is not a member: no queue is served to it
    Buffer attach = new PeerWire.Writer(PeerWire.ATTACH, 64).str("attach-target").str("n1").str("intruder").i32(10)
        .bool(false).bool(false).buffer();
    ReplyException e = refusedRequest(PeerWire.gatewayAddress(m1.id()), attach);
    assertThat(e.getMessage()).contains("unknown_member");
    // the whole registry and the member view (endpoint names) go to members only
    ReplyException dump = refusedRequest(PeerWire.registryAddress(m1.id()),
        new PeerWire.Writer(PeerWire.DUMP, 32).str("intruder").buffer());
    assertThat(dump.getMessage()).contains("unknown_member");
    ReplyException view = refusedRequest(PeerWire.gatewayAddress(m1.id()),
        new PeerWire.Writer(PeerWire.VIEW, 32).str("intruder").buffer());
    assertThat(view.getMessage()).contains("unknown_member");
    awaitRejected(m1, "dump", "unknown_member", 1);
    awaitRejected(m1, "view", "unknown_member", 1);
    TestCluster.sleep(500); // the point: neither member stops during this interval
    assertThat(m0.server.stopped().isComplete()).isFalse();
    assertThat(m1.server.stopped().isComplete()).isFalse();
  }

  @Test
  void afterAllThatTheClusterStillRoutesPubSubAndRpc() {
    aHugeEpochClaimIsRefusedAndTheOwnerStaysIfNotRun();
    try (TestNode sub = m1.node("bounds-sub");
        TestNode pub = m0.node("bounds-pub");
        TestNode requester = m0.node("bounds-req");
        TestNode responder = m1.node("bounds-resp")) {
      sub.command("subscribe.channel", "bounds-sub", "bounds.news", "*");
      sub.sync("bounds-sub");
      responder.command("subscribe.channel", "bounds-resp", "bounds.rpc", "*");
      responder.sync("bounds-resp");
      requester.sync("bounds-req");
      pub.sync("bounds-pub");
      cluster.awaitRouted("bounds.news", "x", "bounds-sub");
      cluster.awaitRouted("bounds.rpc", "x", "bounds-resp");
      cluster.awaitOwner("bounds-sub", m1.id());
      cluster.awaitOwner("bounds-req", m0.id());

      pub.publish("bounds.news", "hello", "across");
      Frame f = sub.nextMessage();
      assertThat(TestNode.data(f)).isEqualTo("across");
      sub.ack(f);

      // RPC across members: the request goes to member 1, the reply comes back to member 0
      byte[] uid = Ulids.next();
      requester.command("subscribe.message", "bounds-req", uid);
      requester.sync("bounds-req");
      requester.publishAs(uid, "bounds.rpc", "ask", "question", null);
      Frame req = responder.nextMessage();
      assertThat(TestNode.data(req)).isEqualTo("question");
      responder.ack(req);
      responder.publish("bounds.reply", "answer", "yes", req.uid());
      Frame reply = requester.nextMessage();
      assertThat(reply.reference()).isEqualTo(uid);
      assertThat(TestNode.data(reply)).isEqualTo("yes");
      requester.ack(reply);
    }
  }

  /** The RPC test must see a refused hijack first, whatever order JUnit picks. */
  private void aHugeEpochClaimIsRefusedAndTheOwnerStaysIfNotRun() {
    if (rejected(m0, "claims", "bad_epoch") == 0) aHugeEpochClaimIsRefusedAndTheOwnerStays();
  }
}
