package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.testkit.E2E;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The garbage limit (close 1008) and the frame size limit (close 1009), over real WebSockets. */
@ExtendWith(VertxExtension.class)
class LimitsE2ETest extends ServerTestBase {
  static final int MAX_FRAME = 4096;

  TestServer server;
  /** Raw clients are kept referenced: an unreferenced Vert.x client is closed by a cleaner. */
  io.vertx.core.http.WebSocketClient rawClient;


  private static JsonObject limits(JsonObject l) {
    return new JsonObject().put("limits", l);
  }

  // ---- garbage ----

  /** Refused things of every kind: the server answers each with an error. */
  private static List<Runnable> garbageSenders(TestNode n) {
    return List.of(
        () -> n.sendRaw(new byte[] {(byte) 0xc1, 0, 1, 2}),
        () -> n.sendText("garbage"),
        () -> n.sendRaw("not msgpack at all".getBytes(StandardCharsets.UTF_8)),
        () -> n.sendRaw(MsgPack.pack(List.of(1, 2, 3, 4))),
        () -> n.command("no.such.command"),
        () -> n.publish("system", "node.joined", List.of("x", "y")));
  }

  /** The publisher publishes to the good node's channel; the good node must get it. */
  private static void roundTrip(TestNode pub, TestNode good, List<Frame> unexpected) {
    byte[] uid = pub.publish("steady", "tick", Ulids.nextText());
    Frame f = E2E.await(good, x -> Arrays.equals(x.uid(), uid), unexpected);
    assertThat(f.channel()).isEqualTo("steady");
  }

  @Test
  void aNodeSendingGarbageFastIsClosedWith1008WhileAWellBehavedNodeKeepsReceiving() {
    int burst = 100;
    server = startServer(limits(new JsonObject().put("errorBurst", burst).put("errorWindowSeconds", 600)));
    try (TestNode good = server.node("good"); TestNode pub = server.node("good-pub");
        TestNode garbage = server.node("garbage")) {
      pub.command("subscribe.channel", "good", "steady");
      List<Frame> unexpected = new ArrayList<>();
      roundTrip(pub, good, unexpected);

      List<Runnable> senders = garbageSenders(garbage);
      int sent = 0;
      int roundTripsDuringFlood = 0;
      flood:
      while (!garbage.isClosed() && sent < 50 * burst) {
        for (int i = 0; i < 20; i++) { // a fast batch...
          if (garbage.isClosed()) break flood;
          try {
            senders.get(sent % senders.size()).run();
          } catch (RuntimeException closedUnderneath) {
            break flood;
          }
          sent++;
        }
        if (sent <= burst) { // ...then, while the garbage node is certainly still open, the good node works
          roundTrip(pub, good, unexpected);
          roundTripsDuringFlood++;
        }
      }
      assertThat(E2E.awaitClose(garbage)).isEqualTo((short) 1008);
      assertThat(sent).as("closed only after the burst was exceeded").isGreaterThan(burst);
      assertThat(roundTripsDuringFlood).isGreaterThanOrEqualTo(burst / 20);

      // the garbage node was told about its mistakes until it was closed
      List<Frame> toGarbage = new ArrayList<>();
      for (Frame f; (f = garbage.poll(1)) != null; ) toGarbage.add(f);
      assertThat(toGarbage).isNotEmpty().hasSizeLessThanOrEqualTo(burst + 1)
          .allMatch(f -> "error".equals(f.subject()));

      for (int i = 0; i < 5; i++) roundTrip(pub, good, unexpected);
      assertThat(unexpected).as("nothing but its own messages reached the good node").isEmpty();
      E2E.assertWorks(pub, "good-pub");
    }
  }

  @Test
  void nothingANodeSendsAfterTheServerDecidedToCloseItIsCarriedOut() {
    server = startServer(limits(new JsonObject().put("errorBurst", 3).put("errorWindowSeconds", 600)));
    try (TestNode watcher = server.node("watcher"); TestNode garbage = server.node("garbage")) {
      watcher.command("subscribe.channel", "watcher", "after.close");
      E2E.barrier(watcher, "watcher");
      // back to back: enough garbage to be closed, then a valid publish and a valid command
      for (int i = 0; i < 4; i++) garbage.sendText("garbage " + i);
      byte[] late;
      try {
        late = garbage.publish("after.close", "late", "must not be routed");
        garbage.command("channel.create", "made.while.closing");
      } catch (RuntimeException alreadyClosed) {
        late = null; // closed before it could even be sent: nothing to check
      }
      assertThat(E2E.awaitClose(garbage)).isEqualTo((short) 1008);
      List<Frame> toGarbage = new ArrayList<>();
      for (Frame f; (f = garbage.poll(1)) != null; ) toGarbage.add(f);
      assertThat(toGarbage).as("one error per refused frame up to the close, nothing after")
          .hasSizeLessThanOrEqualTo(4);

      byte[] sentinel = watcher.publish("after.close", "sentinel", "s");
      List<Frame> before = new ArrayList<>();
      E2E.await(watcher, f -> Arrays.equals(f.uid(), sentinel), before);
      byte[] lateUid = late;
      assertThat(before).extracting(Frame::uid).noneMatch(u -> lateUid != null && Arrays.equals(u, lateUid));
      assertThat(server.server.registry().hasChannel("made.while.closing")).isFalse();
    }
  }

  @Test
  void errorsSpreadOverMoreThanTheWindowDoNotClose() {
    // two errors within 0.3 s would close; one error per 0.4 s never does
    server = startServer(limits(new JsonObject().put("errorBurst", 2).put("errorWindowSeconds", 0.3)));
    try (TestNode n = server.node("slow-mistakes")) {
      for (int i = 0; i < 5; i++) {
        byte[] c = n.command("no.such.command");
        E2E.assertError(n, "unknown_command", c);
        sleep(400); // the point: the errors come further apart than the 0.3 s window
      }
      assertThat(n.isClosed()).isFalse();
      E2E.assertWorks(n, "slow-mistakes");

      // and the same node is closed once it makes them quickly
      for (int i = 0; i < 10 && !n.isClosed(); i++) {
        try {
          n.sendText("x");
        } catch (RuntimeException closed) {
          break;
        }
      }
      assertThat(E2E.awaitClose(n)).isEqualTo((short) 1008);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  // ---- frame size ----

  /** A seed-order frame of exactly {@code size} bytes, its data a bin. */
  private static byte[] frameOfSize(byte[] uid, String channel, int size) {
    int overhead = E2E.packSeed(uid, channel, "s", null, p -> p.packBinaryHeader(1000).writePayload(new byte[1000]))
        .length - 1000;
    int len = size - overhead;
    assertThat(len).isBetween(256, 65535); // bin16 as assumed by the overhead
    byte[] f = E2E.packSeed(uid, channel, "s", null, p -> p.packBinaryHeader(len).writePayload(new byte[len]));
    assertThat(f).hasSize(size);
    return f;
  }

  @Test
  void aFrameUpToTheLimitIsFineAndALargerOneClosesWith1009() {
    server = startServer(limits(new JsonObject().put("maxFrameBytes", MAX_FRAME)));
    try (TestNode sub = server.node("big-sub"); TestNode n = server.node("big")) {
      n.command("subscribe.channel", "big-sub", "big");
      byte[] uid = Ulids.next();
      byte[] exact = frameOfSize(uid, "big", MAX_FRAME);
      n.sendRaw(exact);
      Frame got = E2E.awaitUid(sub, uid);
      assertThat(got.rawBytes()).isEqualTo(exact);
      byte[] smaller = Ulids.next();
      n.sendRaw(frameOfSize(smaller, "big", MAX_FRAME / 2));
      E2E.awaitUid(sub, smaller);

      try {
        n.sendRaw(frameOfSize(Ulids.next(), "big", MAX_FRAME + 1));
      } catch (RuntimeException closedWhileWriting) {
        // the server may close before the write completes
      }
      assertThat(E2E.awaitClose(n)).isEqualTo((short) 1009);
      // the other node is not disturbed
      E2E.assertWorks(sub, "big-sub");
    }
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void aFragmentedMessageOverTheLimitClosesWith1009(Vertx vertx, VertxTestContext ctx) {
    server = startServer(limits(new JsonObject().put("maxFrameBytes", MAX_FRAME)));
    byte[] big = frameOfSize(Ulids.next(), "frag", 3 * MAX_FRAME / 2);
    int half = big.length / 2;
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port())
        .setURI("/frag").addHeader("Authorization", "Bearer " + server.adminToken());
    rawClient = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1 << 20));
    rawClient.connect(o)
        .onComplete(ctx.succeeding(ws -> {
          ws.closeHandler(v -> ctx.verify(() -> {
            assertThat(ws.closeStatusCode()).isEqualTo((short) 1009);
            ctx.completeNow();
          }));
          // each fragment is within the limit; the message is not
          ws.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer(Arrays.copyOfRange(big, 0, half)), false));
          ws.writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(Arrays.copyOfRange(big, half, big.length)),
              true));
        }));
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void aFragmentedMessageWithinTheLimitIsAccepted(Vertx vertx, VertxTestContext ctx) {
    server = startServer(limits(new JsonObject().put("maxFrameBytes", MAX_FRAME)));
    byte[] uid = Ulids.next();
    byte[] msg = frameOfSize(uid, "frag-ok", MAX_FRAME - 10);
    int third = msg.length / 3;
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port())
        .setURI("/frag-ok").addHeader("Authorization", "Bearer " + server.adminToken());
    rawClient = vertx.createWebSocketClient();
    rawClient.connect(o).onComplete(ctx.succeeding(ws -> {
      ws.binaryMessageHandler(b -> ctx.verify(() -> {
        assertThat(b.getBytes()).isEqualTo(msg);
        ctx.completeNow();
      }));
      ws.writeBinaryMessage(Buffer.buffer(E2E.packSeed(Ulids.next(), "system", "subscribe.channel", null,
          p -> p.packArrayHeader(2).packString("frag-ok").packString("frag-ok"))));
      ws.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer(Arrays.copyOfRange(msg, 0, third)), false));
      ws.writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(Arrays.copyOfRange(msg, third, 2 * third)), false));
      ws.writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(Arrays.copyOfRange(msg, 2 * third, msg.length)),
          true));
    }));
  }
}
