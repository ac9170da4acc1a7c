package io.wsmsg.hostile;

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
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.nio.file.Path;
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
class ResourceLifecycleTest {
  TestServer server;
  Vertx clientVertx;

  @AfterEach
  void stop() {
    if (server != null) server.close();
    if (clientVertx != null) TestNode.await(clientVertx.close());
  }

  private static JsonObject lifecycle(double graceSeconds, double idleSeconds, double channelIdleSeconds) {
    return new JsonObject()
        .put("endpoints", new JsonObject().put("ephemeralGraceSeconds", graceSeconds).put("idleSeconds", idleSeconds))
        .put("channels", new JsonObject().put("idleSeconds", channelIdleSeconds));
  }

  /** Waits (generously: 2 shared cores) until the condition holds. */
  private static void await(String what, long ms, BooleanSupplier cond) {
    long deadline = System.currentTimeMillis() + ms;
    while (!cond.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) throw new AssertionError("not within " + ms + " ms: " + what);
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
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
    server = TestServer.start(lifecycle(0, 300, 0.5)
        .put("limits", new JsonObject().put("maxEndpoints", 1000).put("maxChannels", 2500)));
    Registry registry = server.server.registry();
    int endpoints0 = registry.endpointCount();
    int channels0 = registry.channelCount();
    port = server.port();
    int routers0 = countRouters();
    clientVertx = Vertx.vertx();
    WebSocketClient client = clientVertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(64));
    String token = server.token(null);
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
