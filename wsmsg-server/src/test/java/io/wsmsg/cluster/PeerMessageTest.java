package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.wsmsg.cluster.Claims.Claim;
import io.wsmsg.cluster.PeerWireException.Reason;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.Ulids;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Every reason a peer message is refused for, each from a crafted buffer; and fuzzing. */
class PeerMessageTest {
  private static final ServerConfig CONFIG = ServerConfig.of(new JsonObject()
      .put("limits", new JsonObject().put("maxEndpoints", 10).put("maxFrameBytes", 1024)));

  private static byte[] frame() {
    return FrameCodec.encode(Ulids.next(), "ch", "subj", null, io.wsmsg.protocol.MsgPack.pack("hello"), io.wsmsg.protocol.WireOrder.values()[0]).rawBytes();
  }

  private static Buffer msg(byte type, Consumer<PeerWire.Writer> body) {
    PeerWire.Writer w = new PeerWire.Writer(type, 64);
    body.accept(w);
    return w.buffer();
  }

  private static Reason reasonOf(Buffer b) {
    try {
      PeerMessage.decode(b, CONFIG);
    } catch (PeerWireException e) {
      return e.reason();
    }
    throw new AssertionError("accepted: " + b);
  }

  @Test
  void validMessagesDecodeToTheirRecords() {
    byte[] raw = frame();
    PeerMessage d = PeerMessage.decode(ClusterOutbound.deliver(decode(raw), List.of("a", "b"), 100, 1), CONFIG);
    assertThat(d).isInstanceOf(PeerMessage.Deliver.class);
    assertThat(((PeerMessage.Deliver) d).endpoints()).containsExactly("a", "b");
    assertThat(((PeerMessage.Deliver) d).priority()).isEqualTo(100);

    PeerMessage c = PeerMessage.decode(msg(PeerWire.CLAIMS, w -> w.i32(1).str("ep").str("m1").i64(7)), CONFIG);
    assertThat(((PeerMessage.ClaimSet) c).claims()).isEqualTo(Map.of("ep", new Claim("m1", 7)));

    assertThat(PeerMessage.decode(msg(PeerWire.LEAVING, w -> w.str("m3")), CONFIG)).isEqualTo(new PeerMessage.Leaving("m3"));
    assertThat(reasonOf(msg(PeerWire.LEAVING, w -> {}))).isEqualTo(Reason.TRUNCATED);
    assertThat(reasonOf(msg(PeerWire.LEAVING, w -> w.str("m3").str("extra")))).isNotNull();

    PeerMessage s = PeerMessage.decode(msg(PeerWire.STOP_ALL, w -> w.str("m1").bytes(new byte[] {9})), CONFIG);
    assertThat(((PeerMessage.StopAll) s).sender()).isEqualTo("m1");
    assertThat(PeerMessage.decode(msg(PeerWire.STOP_ALL, w -> w.str("m1")), CONFIG))
        .isEqualTo(new PeerMessage.StopAll("m1", null));

    PeerMessage h = PeerMessage.decode(msg(PeerWire.HANDOFF, w -> w.str("ep").str("m2").i64(3).str("id").bool(true)
        .i32(1).i32(5).i64(System.currentTimeMillis()).bytes(raw)), CONFIG);
    assertThat(((PeerMessage.Handoff) h).items()).hasSize(1);

    PeerMessage a = PeerMessage.decode(msg(PeerWire.ATTACH, w -> w.str("ep").str("node").str("m1").i32(10).bool(false)
        .bool(true)), CONFIG);
    assertThat(a).isEqualTo(new PeerMessage.Attach("ep", "node", "m1", 10, false, true));
  }

  private static Frame decode(byte[] raw) {
    try {
      return FrameCodec.decode(raw);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void eachReasonFromACraftedBuffer() {
    // truncated: a claim count of one with nothing after it... but count checks come first, so cut a field
    assertThat(reasonOf(msg(PeerWire.FLOW, w -> w.str("ep").str("node").bool(true)))).isEqualTo(Reason.TRUNCATED);
    assertThat(reasonOf(Buffer.buffer())).isEqualTo(Reason.TRUNCATED);
    // too_long: a frame over limits.maxFrameBytes, a name over 255 bytes
    assertThat(reasonOf(msg(PeerWire.TO_NODE, w -> w.str("n").str("ep").str("m1").bytes(new byte[2000]))))
        .isEqualTo(Reason.TOO_LONG);
    assertThat(reasonOf(msg(PeerWire.DETACH, w -> w.str("x".repeat(256)).str("node")))).isEqualTo(Reason.TOO_LONG);
    // bad_count: negative, or more than the bytes left can hold
    assertThat(reasonOf(msg(PeerWire.CLAIMS, w -> w.i32(-1)))).isEqualTo(Reason.BAD_COUNT);
    assertThat(reasonOf(msg(PeerWire.CLAIMS, w -> w.i32(1_000_000_000)))).isEqualTo(Reason.BAD_COUNT);
    assertThat(reasonOf(msg(PeerWire.DETACH, w -> w.i32(-5)))).isEqualTo(Reason.BAD_COUNT);
    // over_limit: more claims than limits.maxEndpoints (10), even with the bytes there
    assertThat(reasonOf(msg(PeerWire.CLAIMS, w -> {
      w.i32(11);
      for (int i = 0; i < 11; i++) w.str("e" + i).str("m1").i64(1);
    }))).isEqualTo(Reason.OVER_LIMIT);
    // trailing_bytes
    assertThat(reasonOf(msg(PeerWire.PING, w -> w.i32(0)))).isEqualTo(Reason.TRAILING_BYTES);
    // bad_name: empty endpoint, invalid UTF-8
    assertThat(reasonOf(msg(PeerWire.DETACH, w -> w.str("").str("node")))).isEqualTo(Reason.BAD_NAME);
    assertThat(reasonOf(msg(PeerWire.DETACH, w -> w.bytes(new byte[] {(byte) 0xff, (byte) 0xfe}).str("node"))))
        .isEqualTo(Reason.BAD_NAME);
    // bad_value: priority beyond 100, hops beyond the maximum, a window of 0, a flag of 7, a queued time in the future
    assertThat(reasonOf(msg(PeerWire.DELIVER, w -> w.i32(101).i32(0).i32(1).str("ep").bytes(frame()))))
        .isEqualTo(Reason.BAD_VALUE);
    assertThat(reasonOf(msg(PeerWire.DELIVER, w -> w.i32(1).i32(99).i32(1).str("ep").bytes(frame()))))
        .isEqualTo(Reason.BAD_VALUE);
    assertThat(reasonOf(msg(PeerWire.ATTACH, w -> w.str("ep").str("n").str("m1").i32(0).bool(false).bool(false))))
        .isEqualTo(Reason.BAD_VALUE);
    assertThat(reasonOf(msg(PeerWire.FLOW, w -> w.str("ep").str("node").i32(0x07000000)))).isEqualTo(Reason.BAD_VALUE);
    assertThat(reasonOf(msg(PeerWire.HANDOFF, w -> w.str("ep").str("m2").i64(3).str("id").bool(true)
        .i32(1).i32(5).i64(System.currentTimeMillis() + 3_600_000).bytes(frame())))).isEqualTo(Reason.BAD_VALUE);
    // bad_frame: bytes that are not a wsmsg frame
    assertThat(reasonOf(msg(PeerWire.DELIVER, w -> w.i32(1).i32(0).i32(1).str("ep").bytes(new byte[] {1, 2, 3}))))
        .isEqualTo(Reason.BAD_FRAME);
    // unknown_type
    assertThat(reasonOf(Buffer.buffer().appendByte((byte) 99))).isEqualTo(Reason.UNKNOWN_TYPE);
    // bad_epoch: negative, or beyond 2^62, already at decoding
    assertThat(reasonOf(msg(PeerWire.CLAIMS, w -> w.i32(1).str("ep").str("m1").i64(Long.MAX_VALUE))))
        .isEqualTo(Reason.BAD_EPOCH);
    assertThat(reasonOf(msg(PeerWire.RELEASE, w -> w.str("ep").str("m1").i64(-1)))).isEqualTo(Reason.BAD_EPOCH);
    // a handoff part with more messages than a part may hold
    assertThat(reasonOf(msg(PeerWire.HANDOFF, w -> {
      w.str("ep").str("m2").i64(3).str("id").bool(false).i32(PeerMessage.HANDOFF_CHUNK + 1);
      for (int i = 0; i <= PeerMessage.HANDOFF_CHUNK; i++) w.i32(1).i64(1).bytes(frame());
    }))).isEqualTo(Reason.OVER_LIMIT);
  }

  @Test
  void claimsAcceptOnlyMembersAndEpochsNearTheKnownOne() {
    Claims claims = new Claims();
    List<String> members = List.of("m1", "m2");
    assertThat(claims.refusal("ep", new Claim("m1", 1), members)).isNull();
    // unknown_member: an owner that is not in the cluster
    assertThat(claims.refusal("ep", new Claim("rogue", 1), members).reason()).isEqualTo(Reason.UNKNOWN_MEMBER);
    // bad_epoch: a huge epoch nobody could beat, relative to the known one
    assertThat(claims.refusal("ep", new Claim("m1", 1L << 40), members).reason()).isEqualTo(Reason.BAD_EPOCH);
    assertThat(claims.refusal("ep", new Claim("m1", PeerMessage.MAX_EPOCH_STEP), members)).isNull();
    claims.offer("ep", new Claim("m2", 1000));
    assertThat(claims.refusal("ep", new Claim("m1", 1000 + PeerMessage.MAX_EPOCH_STEP), members)).isNull();
    assertThat(claims.refusal("ep", new Claim("m1", 1001 + PeerMessage.MAX_EPOCH_STEP), members).reason())
        .isEqualTo(Reason.BAD_EPOCH);
    assertThat(claims.refusal("ep", new Claim("m1", Long.MAX_VALUE), members).reason()).isEqualTo(Reason.BAD_EPOCH);
  }

  @Test
  void aCountIsCheckedBeforeAnythingIsAllocatedForIt() {
    // a DELIVER claiming 2^31-1 endpoints in a 20-byte message must fail at once, not allocate
    Buffer b = msg(PeerWire.DELIVER, w -> w.i32(1).i32(0).i32(Integer.MAX_VALUE));
    assertThat(reasonOf(b)).isEqualTo(Reason.BAD_COUNT);
    Buffer h = msg(PeerWire.HANDOFF, w -> w.str("ep").str("m").i64(1).str("id").bool(true).i32(Integer.MAX_VALUE));
    assertThat(reasonOf(h)).isEqualTo(Reason.BAD_COUNT);
  }

  @Test
  void returnCarriesUidsWithinTwiceTheLargestWindow() {
    PeerMessage r = PeerMessage.decode(msg(PeerWire.RETURN, w -> w.str("ep").str("node").i32(2).bytes(new byte[] {1})
        .bytes(new byte[] {2})), CONFIG);
    assertThat(((PeerMessage.Return) r).uids()).hasSize(2);
    assertThat(((PeerMessage.Return) r).endpoint()).isEqualTo("ep");
    // an owner sends a node at most twice its window, so more cannot be given back
    int over = 2 * CONFIG.maxWindow + 1;
    assertThat(reasonOf(msg(PeerWire.RETURN, w -> {
      w.str("ep").str("node").i32(over);
      for (int i = 0; i < over; i++) w.bytes(new byte[] {1});
    }))).isEqualTo(Reason.OVER_LIMIT);
    assertThat(reasonOf(msg(PeerWire.RETURN, w -> w.str("ep").str("node").i32(2).bytes(new byte[0]).bytes(new byte[] {1, 2}))))
        .isEqualTo(Reason.BAD_VALUE);
  }

  @Test
  void randomAndTruncatedBuffersThrowNothingButPeerWireException() {
    Random rnd = new Random(11);
    byte[] raw = frame();
    List<Buffer> valid = List.of(
        ClusterOutbound.deliver(decode(raw), List.of("a", "b"), 3, 0),
        msg(PeerWire.CLAIMS, w -> w.i32(2).str("ep").str("m1").i64(7).str("ep2").str("m2").i64(1)),
        msg(PeerWire.HANDOFF, w -> w.str("ep").str("m2").i64(3).str("id").bool(true).i32(1).i32(5).i64(1).bytes(raw)),
        msg(PeerWire.ATTACH, w -> w.str("ep").str("node").str("m1").i32(10).bool(false).bool(true)),
        msg(PeerWire.TO_NODE, w -> w.str("node").str("ep").str("m1").bytes(raw)),
        msg(PeerWire.ACK, w -> w.str("ep").str("node").bytes(new byte[16])),
        msg(PeerWire.STOP_ALL, w -> w.str("m1").bytes(new byte[16])),
        msg(PeerWire.RELEASE, w -> w.str("ep").str("m1").i64(2)),
        msg(PeerWire.RETURN, w -> w.str("ep").str("node").i32(2).bytes(new byte[16]).bytes(new byte[16])));
    int refused = 0;
    for (Buffer v : valid) {
      assertThat(PeerMessage.decode(v, CONFIG)).isNotNull();
      for (int cut = 0; cut < v.length(); cut++) {
        // every prefix is refused, except one that ends where an optional field (STOP_ALL's cause) starts
        refused += decodesOrRefuses(v.getBuffer(0, cut));
      }
      for (int i = 0; i < 3000; i++) {
        byte[] b = v.getBytes();
        for (int k = 1 + rnd.nextInt(4); k > 0; k--) b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
        refused += decodesOrRefuses(Buffer.buffer(b));
      }
    }
    for (int i = 0; i < 20_000; i++) {
      byte[] b = new byte[rnd.nextInt(64)];
      rnd.nextBytes(b);
      if (b.length > 0) b[0] = (byte) rnd.nextInt(16);
      refused += decodesOrRefuses(Buffer.buffer(b));
    }
    assertThat(refused).isGreaterThan(20_000); // the fuzz did reach the checks
  }

  /** 1 when refused with a PeerWireException; 0 when it decoded; anything else fails the test. */
  private static int decodesOrRefuses(Buffer b) {
    try {
      PeerMessage.decode(b, CONFIG);
      return 0;
    } catch (PeerWireException e) {
      assertThat(e.reason()).isNotNull();
      return 1;
    }
  }
}
