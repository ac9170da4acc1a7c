package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.RawWs;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/**
 * Item 1 of issue 9: a small compressed frame must not inflate into a huge one. Compression is
 * off by default; when turned on, each frame inflates to at most limits.maxFrameBytes.
 */
class CompressionBombTest extends ServerTestBase {
  static final String OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-webkit-deflate-frame";
  TestServer ts;


  @Test
  void byDefaultNoCompressionIsNegotiated() throws Exception {
    ts = startServer();
    try (RawWs ws = RawWs.open(ts.port(), "/ep", ts.adminToken(), OFFER)) {
      assertThat(ws.status).isEqualTo(101);
      assertThat(ws.headers).doesNotContainKey("sec-websocket-extensions");
      // and a frame marked compressed is a protocol error, not something inflated
      ws.send(2, deflate(1 << 20, true), true);
      assertThat(ws.readUntilClose()).isZero();
      assertThat(ws.closeCode).isEqualTo(1002);
    }
  }

  @Test
  void withCompressionOnAPerMessageDeflateBombIsClosedWith1009AndOthersCarryOn() throws Exception {
    bomb("permessage-deflate", true);
  }

  @Test
  void withCompressionOnADeflateFrameBombIsClosedWith1009() throws Exception {
    bomb("x-webkit-deflate-frame", false);
  }

  private void bomb(String extension, boolean perMessage) throws Exception {
    ts = startServer(new JsonObject().put("limits", new JsonObject().put("compression", true)));
    try (TestNode healthy = ts.node("healthy")) {
      healthy.command("subscribe.channel", "healthy", "h");
      healthy.sync("healthy");

      // compression, when on, works for a well-behaved client: a compressed publish is routed
      try (RawWs ok = RawWs.open(ts.port(), "/ok", ts.adminToken(), "Sec-WebSocket-Extensions: " + extension)) {
        assertThat(ok.status).isEqualTo(101);
        assertThat(ok.headers.get("sec-websocket-extensions")).contains(extension);
        byte[] publish = FrameCodec.encode(Ulids.next(), "h", "compressed", null, MsgPack.pack("x".repeat(5000)),
            WireOrder.SEED).rawBytes();
        ok.send(2, deflate(publish, perMessage), true);
        io.wsmsg.protocol.Frame got = healthy.nextMessage();
        assertThat(got.subject()).isEqualTo("compressed");
        healthy.ack(got);
      }

      // 256 MiB of zeros deflate to about 256 KiB: under the 1 MiB frame limit
      byte[] bomb = deflate(256 << 20, perMessage);
      assertThat(bomb.length).isLessThan(1 << 20);
      MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
      System.gc();
      long base = mem.getHeapMemoryUsage().getUsed();
      AtomicLong peak = new AtomicLong(base);
      AtomicBoolean sampling = new AtomicBoolean(true);
      Thread sampler = new Thread(() -> {
        while (sampling.get()) {
          peak.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
          try {
            Thread.sleep(2);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      sampler.start();
      try (RawWs attacker = RawWs.open(ts.port(), "/attacker", ts.adminToken(), "Sec-WebSocket-Extensions: " + extension)) {
        assertThat(attacker.status).isEqualTo(101);
        attacker.send(2, bomb, true);
        attacker.readUntilClose();
        assertThat(attacker.closeCode).isEqualTo(1009);
      } finally {
        sampling.set(false);
        sampler.join();
      }
      assertThat(ts.server.counters().refusedAdder(Counters.Refusal.INFLATED_TOO_BIG).sum()).isEqualTo(1);
      // inflating it whole would take 256 MiB at least; bounded, it takes about maxFrameBytes
      assertThat(peak.get() - base).as("heap growth while the bomb was handled").isLessThan(96L << 20);

      healthy.publish("h", "after", 1);
      assertThat(healthy.nextMessage().subject()).isEqualTo("after");
    }
  }

  /** {@code n} zero bytes deflated as one WebSocket message of the given extension. */
  static byte[] deflate(int n, boolean perMessage) {
    byte[] zeros = new byte[Math.min(n, 1 << 20)];
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64 << 10];
    for (int left = n; left > 0; left -= zeros.length) {
      d.setInput(zeros, 0, Math.min(left, zeros.length));
      while (!d.needsInput()) out.write(buf, 0, d.deflate(buf, 0, buf.length, Deflater.NO_FLUSH));
    }
    return finish(d, out, buf, perMessage);
  }

  static byte[] deflate(byte[] data, boolean perMessage) {
    Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64 << 10];
    d.setInput(data);
    while (!d.needsInput()) out.write(buf, 0, d.deflate(buf, 0, buf.length, Deflater.NO_FLUSH));
    return finish(d, out, buf, perMessage);
  }

  private static byte[] finish(Deflater d, ByteArrayOutputStream out, byte[] buf, boolean perMessage) {
    int k;
    while ((k = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH)) > 0) {
      out.write(buf, 0, k);
      if (k < buf.length) break;
    }
    d.end();
    byte[] all = out.toByteArray();
    // both extensions end a message with an empty stored block (00 00 ff ff): permessage-deflate
    // strips it (RFC 7692), deflate-frame as Netty implements it strips it too
    if (all.length >= 4 && Arrays.equals(Arrays.copyOfRange(all, all.length - 4, all.length),
        new byte[] {0, 0, (byte) 0xff, (byte) 0xff})) {
      return Arrays.copyOf(all, all.length - 4);
    }
    return all;
  }
}
