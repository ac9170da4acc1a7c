package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.RawWs;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Item 5 of issue 9: a client that sends what is refused and never reads the refusals. Every
 * refusal counts towards limits.errorBurst (forbidden, bad frames, and limit too), and a full
 * write queue stops the server reading from that client, so its notices cannot pile up.
 */
class ErrorFloodTest extends ServerTestBase {
  TestServer ts;


  private static byte[] publish(String channel) {
    return FrameCodec.encode(Ulids.next(), channel, "s", null, MsgPack.pack(1), WireOrder.SEED).rawBytes();
  }

  /** Sends 1,000 frames without reading, then reads what came back: at most the burst, then 1008. */
  private void floodIsClosed(String token, IntFunction<byte[]> frame, int opcode) throws Exception {
    try (TestNode healthy = ts.node("healthy")) {
      healthy.command("subscribe.channel", "healthy", "h");
      healthy.sync("healthy");
      healthy.publish("h", "before", 1); // creates channel h before any bound is reached
      healthy.ack(healthy.nextMessage());
      try (RawWs attacker = RawWs.open(ts.port(), "/attacker", token)) {
        assertThat(attacker.status).isEqualTo(101);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < 1000; i++) all.write(RawWs.frame(opcode, frame.apply(i), false));
        try {
          attacker.out.write(all.toByteArray());
          attacker.out.flush();
        } catch (IOException closedMeanwhile) {
          // the server may close before the last frames are written
        }
        int notices = attacker.readUntilClose();
        assertThat(attacker.closeCode).isEqualTo(1008);
        // the (errorBurst + 1)th refusal within the window closes: 21 with the default burst of 20
        assertThat(notices).as("refusals sent before closing").isLessThanOrEqualTo(21);
      }
      assertThat(ts.server.counters().refusedAdder(Counters.Refusal.ERROR_FLOOD).sum()).isEqualTo(1);
      healthy.publish("h", "still", 1);
      assertThat(healthy.nextMessage().subject()).isEqualTo("still");
    }
  }

  @Test
  void aFloodOfBadFramesIsClosed() throws Exception {
    ts = startServer();
    floodIsClosed(ts.adminToken(), i -> new byte[] {(byte) 0xc1, 1, 2, 3}, 2);
  }

  @Test
  void aFloodOfForbiddenPublishesIsClosed() throws Exception {
    ts = startServer();
    // a claim grants nothing for the keys it omits: it names the endpoints it attaches to
    String token = ts.token(new JsonObject().put("publish", new JsonArray().add("allowed"))
        .put("endpoints", new JsonArray().add("attacker")));
    floodIsClosed(token, i -> publish("forbidden"), 2);
  }

  @Test
  void aFloodOfPublishesRefusedWithLimitIsClosed() throws Exception {
    // the healthy node's channels fill the bound (its sync channel and h, perhaps system): the
    // attacker's fresh channels are refused with "limit" (at most one is created)
    ts = startServer(new JsonObject().put("limits", new JsonObject().put("maxChannels", 3)));
    floodIsClosed(ts.adminToken(), i -> publish("fresh" + i), 2);
  }

  @Test
  void aClientThatNeverReadsStopsBeingReadOnceItsRefusalsFillTheWriteQueue() throws Exception {
    // refusals never close here (a window of 0 s), so only the paused reading bounds them
    ts = startServer(new JsonObject().put("limits", new JsonObject().put("errorWindowSeconds", 0)));
    try (TestNode healthy = ts.node("healthy")) {
      healthy.command("subscribe.channel", "healthy", "h");
      healthy.sync("healthy");
      // a small receive window: what the attacker does not read stays in the server
      RawWs attacker = RawWs.connect(ts.port(), null, 64 * 1024);
      attacker.upgrade("/attacker", ts.adminToken());
      assertThat(attacker.status).isEqualTo(101);
      byte[] text = "garbage garbage garbage garbage garbage!".getBytes(StandardCharsets.US_ASCII);
      byte[] chunk;
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (int i = 0; i < 1000; i++) b.write(RawWs.frame(1, text, false));
      chunk = b.toByteArray();
      long limit = 64L << 20; // 1.4 million refusals if all were read
      AtomicLong written = new AtomicLong();
      Thread writer = new Thread(() -> {
        try {
          while (written.get() < limit) {
            attacker.out.write(chunk);
            written.addAndGet(chunk.length);
          }
        } catch (IOException e) {
          // closed by the test
        }
      });
      writer.setDaemon(true);
      writer.start();
      try {
        // wait until the server stops answering (its count of refusals stays put for 2 s)
        long errorsBefore = -1;
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
          long now = ts.server.counters().errorsSent.sum();
          if (now == errorsBefore && now > 0) break;
          errorsBefore = now;
          Thread.sleep(2000);
        }
        long refusals = ts.server.counters().errorsSent.sum();
        // a notice is ~110 bytes; the server's socket buffers and write queue hold a few MiB
        assertThat(refusals).as("refusals written to a client that reads nothing").isLessThan(100_000);
        assertThat(writer.isAlive()).as("the attacker's writes are blocked").isTrue();
        assertThat(written.get()).isLessThan(limit);
        healthy.publish("h", "still", 1);
        assertThat(healthy.nextMessage().subject()).isEqualTo("still");
      } finally {
        attacker.close();
        writer.join(10_000);
      }
    }
  }

  /** The refusals say what was wrong, so a client that does read them learns why (sanity of the helper). */
  @Test
  void aReadingClientGetsItsRefusals() throws Exception {
    ts = startServer();
    try (RawWs ws = RawWs.open(ts.port(), "/ep", ts.adminToken())) {
      ws.send(1, "hello".getBytes(StandardCharsets.US_ASCII), false);
      Object[] f = ws.readFrame();
      Frame notice = FrameCodec.decode((byte[]) f[1]);
      assertThat(notice.subject()).isEqualTo("error");
      assertThat(TestNode.data(notice).toString()).contains("bad_frame");
    }
  }

  @Test
  void aFloodOfCommandsNobodyWatchesDoesNotQueueOnTheSystemChannel() {
    // pause and resume are never refused, so the error burst does not stop them; forwarded to
    // system (priority 100, which every other channel waits for) they would stall all routing
    ts = startServer();
    try (TestNode flooder = ts.node("flooder"); TestNode healthy = ts.node("healthy")) {
      healthy.command("subscribe.channel", "healthy", "h");
      healthy.sync("healthy");
      long noRoute = ts.server.counters().dropped(Counters.Drop.NO_ROUTE);
      for (int i = 0; i < 2000; i++) flooder.command(i % 2 == 0 ? "pause" : "resume");
      flooder.sync("flooder"); // all 2,000 carried out
      healthy.publish("h", "still", 1);
      assertThat(healthy.nextMessage().subject()).isEqualTo("still");
      assertThat(ts.server.counters().dropped(Counters.Drop.NO_ROUTE) - noRoute)
          .as("forwarded commands routed to nobody").isZero();
      assertThat(flooder.isClosed()).isFalse();
    }
  }
}
