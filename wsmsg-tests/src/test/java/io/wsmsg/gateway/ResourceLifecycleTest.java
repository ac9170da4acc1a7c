package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.registry.Registry;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.E2E;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, item 2: clients that come and go must not fill the server for good. Before the
 * endpoint lifecycle, every run of a client without a fixed endpoint left a permanent endpoint
 * (kept by snapshots too) and every channel a router for ever, so after maxEndpoints runs
 * every new endpoint was refused.
 */
class ResourceLifecycleTest extends ServerTestBase {
  TestServer server;
  Vertx clientVertx;

  @AfterEach
  void stop() {
    if (clientVertx != null) TestNode.await(clientVertx.close());
  }

  private static JsonObject lifecycle(double graceSeconds, double idleSeconds, double channelIdleSeconds) {
    return new JsonObject()
        .put("endpoints", new JsonObject().put("ephemeralGraceSeconds", graceSeconds).put("idleSeconds", idleSeconds))
        .put("channels", new JsonObject().put("idleSeconds", channelIdleSeconds));
  }

  /** Waits (generously: 2 shared cores) until the condition holds. */
  private static void await(String what, long ms, BooleanSupplier cond) {
    Await.until(what, cond, Duration.ofMillis(ms));
  }


  private int ownedQueues() {
    return TestNode.await(server.server.gateway().endpointStatus()).size();
  }

  /**
   * 12,000 connect, subscribe, publish-and-receive, disconnect cycles, each on its own
   * ephemeral endpoint and its own channel, under a server-wide limit of 1,000 endpoints and
   * 2,500 channels: none is refused, and afterwards the endpoint and channel counts, the
   * owned queues and the routers are back where they started.
   */
  @Test
  void twelveThousandShortLivedClientsLeaveNothingBehind() throws Exception {
    server = startServer(lifecycle(0, 300, 0.5)
        .put("limits", new JsonObject().put("maxEndpoints", 1000).put("maxChannels", 2500)));
    Registry registry = server.server.registry();
    int endpoints0 = registry.endpointCount();
    int channels0 = registry.channelCount();
    port = server.port();
    int routers0 = countRouters();
    clientVertx = Vertx.vertx();
    WebSocketClient client = clientVertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(64));
    // one identity plays every client here: its channel quota must cover the channels alive
    // at once while reclaim catches up (per-identity quotas are IdentityQuotaTest's business)
    String token = server.token(new JsonObject().put("quotas", new JsonObject().put("channels", 2500)));
    int cycles = 12_000;
    int parallel = 24;
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    StringBuilder firstFailure = new StringBuilder();
    Promise<Void> all = Promise.promise();
    long started = System.nanoTime();
    for (int w = 0; w < parallel; w++) {
      clientVertx.runOnContext(v -> runCycles(client, token, cycles, next, done, failed, firstFailure, all));
    }
    TestNode.await(all.future(), 240_000);
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    System.out.println("ResourceLifecycleTest: " + cycles + " cycles in " + tookMs + " ms");
    assertThat(failed.get()).as("refused or failed cycles (first: %s)", firstFailure).isZero();
    assertThat(done.get()).isEqualTo(cycles);

    await("endpoints back to " + endpoints0, 30_000, () -> registry.endpointCount() == endpoints0);
    await("owned queues back to none", 30_000, () -> ownedQueues() == 0);
    await("channels back to " + channels0, 30_000, () -> registry.channelCount() == channels0);
    await("routers back to " + routers0, 30_000, () -> countRouters() <= routers0 + 1); // + system, deployed by events
    assertThat(registry.subscriptions().size()).isZero();
    assertThat(registry.messageSubscriptions().size()).isZero();
    // and the server still creates endpoints: the limit was never reached for good
    try (TestNode n = server.node("after-the-storm")) {
      n.command("subscribe.channel", "after-the-storm", "fine", "*");
      n.publish("fine", "s", "still works");
      assertThat(n.nextMessage().channel()).isEqualTo("fine");
    }
  }

  /** An admin monitor subscribed to the removal events. */
  private TestNode monitor() {
    TestNode m = server.node("monitor");
    m.command("subscribe.channel", "monitor", "system", "*.removed");
    m.sync("monitor");
    return m;
  }

  /** The next event with that subject naming {@code name} (others are acked and skipped). */
  private static void expectEvent(TestNode monitor, String subject, String name) {
    E2E.await(monitor, f -> "system".equals(f.channel()) && subject.equals(f.subject())
        && List.of(name).equals(TestNode.data(f)));
  }

  @Test
  void idleEndpointsAreReclaimedButNotThoseWithSubscriptions() {
    server = startServer(lifecycle(0, 1, 300));
    Registry registry = server.server.registry();
    try (TestNode monitor = monitor()) {
      try (TestNode a = server.node("idle-one"); TestNode b = server.node("subscribed-one")) {
        b.command("subscribe.channel", "subscribed-one", "news", "*");
        b.sync("subscribed-one");
        a.command("endpoint.create", "created-only");
        // (no sync on idle-one: the message subscription it makes would keep it for 30 s)
        await("created-only made", 10_000, () -> registry.hasEndpoint("created-only"));
        // asserted while its node is attached: once it leaves, a second of idleness (less,
        // on a busy machine, than a descheduled test thread) reclaims it
        assertThat(registry.hasEndpoint("idle-one")).isTrue();
      }
      expectEvent(monitor, "endpoint.removed", "idle-one");
      await("created-only reclaimed", 20_000, () -> !registry.hasEndpoint("created-only"));
      await("idle-one's queue gone", 20_000, () -> !TestNode.await(server.server.gateway().queueDepths())
          .containsKey("idle-one"));
      // an endpoint with a subscription collects messages for nodes that come later: it stays
      assertThat(registry.hasEndpoint("subscribed-one")).isTrue();
      assertThat(registry.isEphemeral("subscribed-one")).isFalse();
      try (TestNode p = server.node("publisher")) {
        p.publish("news", "s", "for later");
        await("queued for the absent node", 10_000, () -> TestNode.await(server.server.gateway().queueDepths())
            .getOrDefault("subscribed-one", 0) == 1);
      }
      TestNode.await(server.vertx.timer(1500));
      assertThat(registry.hasEndpoint("subscribed-one")).isTrue();
    }
  }

  @Test
  void ephemeralEndpointGoesWithItsSubscriptionsWhenItsLastNodeLeaves() {
    server = startServer(lifecycle(0, 0, 300)); // idle reclaim off: only the ephemeral rule acts
    Registry registry = server.server.registry();
    try (TestNode monitor = monitor()) {
      TestNode a = server.node("mine?ephemeral=1");
      TestNode b = server.node("mine?ephemeral=1");
      a.command("subscribe.channel", "mine", "orders.*", "*");
      a.command("subscribe.message", "mine", Ulids.next(), 600);
      a.sync("mine");
      assertThat(registry.isEphemeral("mine")).isTrue();
      a.close();
      TestNode.await(server.vertx.timer(300));
      assertThat(registry.hasEndpoint("mine")).as("a node is still attached").isTrue();
      b.close();
      expectEvent(monitor, "endpoint.removed", "mine");
      assertThat(registry.subscriptions().of("mine")).isEmpty();
      assertThat(registry.hasSubscriptions("mine")).isFalse();
      // attaching with ?ephemeral=1 to an existing shared endpoint does not make it ephemeral
      try (TestNode shared = server.node("shared")) {
        shared.command("subscribe.channel", "shared", "x", "*");
        shared.sync("shared");
      }
      server.node("shared?ephemeral=1").close();
      TestNode.await(server.vertx.timer(500));
      assertThat(registry.hasEndpoint("shared")).isTrue();
      assertThat(registry.subscriptions().of("shared")).hasSize(1);
    }
  }

  @Test
  void unusedChannelIsReclaimedAndItsRouterUndeployed() {
    // idle for 3 s: "lonely" must still be there (and its router) when the third router is
    // deployed and it is looked at; half a second was less than a busy machine can stall
    server = startServer(lifecycle(0, 300, 3));
    Registry registry = server.server.registry();
    try (TestNode monitor = monitor(); TestNode n = server.node("pub")) {
      n.command("subscribe.channel", "pub", "kept", "*");
      n.command("channel.priority", "configured", 7);
      n.sync("pub");
      int routersBefore = countRouters();
      n.publish("lonely", "s", "nobody listens");
      n.publish("kept", "s", "someone listens");
      n.ack(n.nextMessage());
      n.publish("configured", "s", "x");
      await("routers deployed", 10_000, () -> countRouters() >= routersBefore + 3);
      assertThat(registry.hasChannel("lonely")).isTrue();
      expectEvent(monitor, "channel.removed", "lonely");
      assertThat(registry.hasChannel("lonely")).isFalse();
      await("idle routers undeployed", 20_000, () -> countRouters() <= routersBefore);
      // a matching subscription keeps the channel, admin-made settings keep theirs
      assertThat(registry.hasChannel("kept")).isTrue();
      assertThat(registry.channel("configured").priority()).isEqualTo(7);
      // the next publish deploys a router again and is delivered
      n.publish("kept", "s", "again");
      assertThat(TestNode.data(n.nextMessage())).isEqualTo("again");
    }
  }

  /**
   * A graceful stop keeps a connected client's ephemeral endpoint (it may come back after the
   * restart); if nobody comes back it is reclaimed, and the next snapshot no longer has it.
   */
  @Test
  void ephemeralEndpointSurvivesARestartOnlyUntilItsGraceEnds(@TempDir Path dataDir) {
    // a grace of 5 s: long enough that the restored endpoint is still there when looked at
    // right after the start, however busy the machine
    JsonObject conf = lifecycle(5, 0, 300).put("dataDir", dataDir.toString());
    server = startServer(conf);
    TestNode a = server.node("client-x?ephemeral=1");
    a.command("subscribe.channel", "client-x", "orders", "*");
    a.sync("client-x");
    server.stopGracefully();
    server = startServer(conf);
    Registry registry = server.server.registry();
    assertThat(registry.hasEndpoint("client-x")).as("restored from the snapshot").isTrue();
    assertThat(registry.isEphemeral("client-x")).isTrue();
    await("reclaimed once nobody came back", 20_000, () -> !registry.hasEndpoint("client-x"));
    server.stopGracefully();
    server = startServer(conf);
    assertThat(server.server.registry().hasEndpoint("client-x")).as("the second snapshot no longer has it").isFalse();
    assertThat(server.server.registry().subscriptions().size()).isZero();
  }

  /** The Java client marks the endpoint it names itself ephemeral; a named one stays. */
  @Test
  void theJavaClientsGeneratedEndpointGoesWithTheClient() {
    server = startServer(lifecycle(0, 0, 300));
    Registry registry = server.server.registry();
    clientVertx = Vertx.vertx();
    io.wsmsg.client.ClientOptions o = new io.wsmsg.client.ClientOptions()
        .url("ws://127.0.0.1:" + server.port() + "/").token(server.token(null));
    io.wsmsg.client.WsmsgClient generated = TestNode.await(io.wsmsg.client.WsmsgClient.connect(clientVertx, o));
    io.wsmsg.client.WsmsgClient named = TestNode.await(io.wsmsg.client.WsmsgClient.connect(clientVertx,
        new io.wsmsg.client.ClientOptions(o).endpoint("billing")));
    String ep = generated.endpoint();
    assertThat(ep).contains("client-"); // <sub>~client-<ulid> with a token
    TestNode.await(generated.subscribe("news", "*", m -> io.vertx.core.Future.succeededFuture()));
    TestNode.await(named.subscribe("news", "*", m -> io.vertx.core.Future.succeededFuture()));
    assertThat(registry.isEphemeral(ep)).isTrue();
    assertThat(registry.isEphemeral("billing")).isFalse();
    TestNode.await(generated.close());
    TestNode.await(named.close());
    await("the generated endpoint removed", 20_000, () -> !registry.hasEndpoint(ep));
    assertThat(registry.subscriptions().of(ep)).isEmpty();
    assertThat(registry.hasEndpoint("billing")).isTrue();
    assertThat(registry.subscriptions().of("billing")).hasSize(1);
  }

  /**
   * In a cluster the owner of an ephemeral endpoint sees its nodes on every member: the
   * endpoint goes only when the last of them (here one attached to the other member) leaves,
   * and then from every member's registry, with its ownership claim.
   */
  @Test
  void inAClusterTheOwnerRemovesItEverywhereWhenTheLastNodeAnywhereLeaves() {
    try (io.wsmsg.testkit.TestCluster c = io.wsmsg.testkit.TestCluster.start(2, lifecycle(0, 0, 300))) {
      var m0 = c.member(0);
      var m1 = c.member(1);
      String admin = c.adminToken();
      clientVertx = Vertx.vertx();
      TestNode a = TestNode.connect(clientVertx, m0.port(), "cl-e?ephemeral=1", admin, WireOrder.SEED);
      a.command("subscribe.channel", "cl-e", "orders", "*");
      a.sync("cl-e");
      TestNode b = TestNode.connect(clientVertx, m1.port(), "cl-e?ephemeral=1", admin, WireOrder.SEED);
      await("m1 knows the owner", 20_000, () -> m1.server.gateway().ownerOf("cl-e") != null);
      // the owner serves b too (its ATTACH has arrived) before a leaves: a grace of 0 leaves no
      // time for an ATTACH still on its way (the docs ask for a grace above a second in a cluster)
      await("the owner serves both nodes", 20_000, () -> TestNode.await(m0.server.gateway().endpointStatus()).stream()
          .anyMatch(e -> e.name().equals("cl-e") && e.nodes() == 2));
      c.awaitOwner("cl-e", m0.id());
      // the subscription and the ephemeral mark were made at m0: m1 has them once replicated,
      // and the publish below is routed at m1 with m1's copy (it was lost, and b waited in vain)
      c.awaitRouted("orders", "s", "cl-e");
      await("m1 knows cl-e is ephemeral", 20_000, () -> m1.server.registry().isEphemeral("cl-e"));
      a.close();
      TestNode.await(clientVertx.timer(1000));
      assertThat(m0.server.registry().hasEndpoint("cl-e")).as("a node on the other member is still there").isTrue();
      // the remaining node, served through the owner, still gets messages
      try (TestNode p = TestNode.connect(clientVertx, m1.port(), "pub", admin, WireOrder.SEED)) {
        p.publish("orders", "s", "for b");
        Frame f = b.nextMessage();
        assertThat(TestNode.data(f)).isEqualTo("for b");
        b.ack(f);
      }
      b.close();
      await("removed on both members, with its subscription", 30_000, () -> !m0.server.registry().hasEndpoint("cl-e")
          && !m1.server.registry().hasEndpoint("cl-e") && m1.server.registry().subscriptions().of("cl-e").isEmpty());
      await("claims released on both members", 20_000, () -> m0.server.gateway().ownerOf("cl-e") == null
          && m1.server.gateway().ownerOf("cl-e") == null);
    }
  }

  private int countRouters() {
    return server.vertx.deploymentIDs().size() - 3; // registry, gateway, management
  }

  /** One worker: runs cycles one after the other until all are taken. */
  private static void runCycles(WebSocketClient client, String token, int cycles, AtomicInteger next,
      AtomicInteger done, AtomicInteger failed, StringBuilder firstFailure, Promise<Void> all) {
    int i = next.getAndIncrement();
    if (i >= cycles) return;
    cycle(client, token, i).onComplete(ar -> {
      if (ar.failed()) {
        failed.incrementAndGet();
        synchronized (firstFailure) {
          if (firstFailure.length() == 0) firstFailure.append(ar.cause().getMessage());
        }
      }
      if (done.incrementAndGet() == cycles) all.tryComplete();
      runCycles(client, token, cycles, next, done, failed, firstFailure, all);
    });
  }

  /** Connect as a fresh ephemeral endpoint, subscribe, publish, receive and ack, disconnect. */
  private static Future<Void> cycle(WebSocketClient client, String token, int i) {
    String ep = "cli-cycle-" + i;
    String channel = "cycle." + i;
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/" + ep + "?ephemeral=1").addHeader("Authorization", "Bearer " + token);
    Promise<Void> p = Promise.promise();
    client.connect(o).onFailure(p::tryFail).onSuccess(ws -> {
      ws.binaryMessageHandler(b -> {
        Frame f;
        try {
          f = FrameCodec.decode(b.getBytes());
        } catch (Exception e) {
          p.tryFail(e);
          return;
        }
        if ("system".equals(f.channel()) && "error".equals(f.subject())) {
          p.tryFail(new AssertionError("cycle " + i + " refused: " + TestNode.data(f)));
          ws.close();
          return;
        }
        if (channel.equals(f.channel())) {
          ws.writeBinaryMessage(frame("system", "ack", null, f.uid()));
          ws.close().onComplete(v -> p.tryComplete());
        }
      });
      ws.exceptionHandler(p::tryFail);
      ws.writeBinaryMessage(frame("system", "subscribe.channel", List.of(ep, channel, "*"), null));
      ws.writeBinaryMessage(frame(channel, "hello", i, null));
    });
    return p.future();
  }

  static int port;

  private static Buffer frame(String channel, String subject, Object data, byte[] reference) {
    return Buffer.buffer(FrameCodec.encode(Ulids.next(), channel, subject, reference, MsgPack.pack(data), WireOrder.SEED)
        .rawBytes());
  }
}
