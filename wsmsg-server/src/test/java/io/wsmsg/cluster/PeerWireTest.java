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
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Names;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * The peer wire format: each field read back as written, each refusal with its reason and
 * text, and every message kind written the way its sender writes it and decoded whole.
 */
class PeerWireTest {
  private static final ServerConfig CONFIG = ServerConfig.of(new JsonObject()
      .put("limits", new JsonObject().put("maxEndpoints", 10).put("maxFrameBytes", 1024)));

  private static Frame frame() {
    return FrameCodec.encode(Ulids.next(), "orders", "new", null, MsgPack.pack("hello"), WireOrder.values()[0]);
  }

  private static PeerWire.Reader reader(Function<PeerWire.Writer, PeerWire.Writer> fields) {
    PeerWire.Reader r = new PeerWire.Reader(fields.apply(new PeerWire.Writer(PeerWire.PING, 0)).buffer());
    assertThat(r.type()).isEqualTo(PeerWire.PING);
    return r;
  }

  private static void refused(ThrowingCallable read, Reason reason, String text) {
    assertThatThrownBy(read).isInstanceOfSatisfying(PeerWireException.class, e -> {
      assertThat(e.reason()).isEqualTo(reason);
      assertThat(e.getMessage()).isEqualTo(reason.label() + ": " + text);
    });
  }

  private static PeerMessage decode(PeerWire.Writer w) {
    return PeerMessage.decode(w.buffer(), CONFIG);
  }

  // ---- fields ----

  @Test
  void everyFieldReadsBackAsWritten() {
    byte[] raw = {0, 1, (byte) 0xff};
    PeerWire.Reader r = reader(w -> w.str("zürich").bytes(raw).i32(-7).i64(Long.MIN_VALUE).bool(true).bool(false)
        .str("").bytes(new byte[] {42}));

    assertThat(r.name("endpoint")).isEqualTo("zürich");
    assertThat(r.bytes("frame", 3)).containsExactly(raw);
    assertThat(r.i32("n")).isEqualTo(-7);
    assertThat(r.i64("epoch")).isEqualTo(Long.MIN_VALUE);
    assertThat(r.bool("a")).isTrue();
    assertThat(r.bool("b")).isFalse();
    assertThat(r.more()).isTrue();
    assertThat(r.str("optional", 0, 10)).isEmpty();
    assertThat(r.uid("uid")).containsExactly(42);
    assertThat(r.more()).isFalse();
    r.end();
  }

  @Test
  void aMessageThatEndsEarlyIsTruncated() {
    refused(() -> new PeerWire.Reader(Buffer.buffer()).type(), Reason.TRUNCATED, "the message ends before its type");
    refused(() -> new PeerWire.Reader(null).type(), Reason.TRUNCATED, "the message ends before its type");
    refused(() -> reader(w -> w.i32(1)).i64("epoch"), Reason.TRUNCATED, "the message ends before its epoch");
    refused(() -> reader(w -> w).bool("paused"), Reason.TRUNCATED, "the message ends before its paused");
    refused(() -> reader(w -> w.i32(10).i32(0)).bytes("frame", 100), Reason.TRUNCATED,
        "the message ends before its frame");
    refused(() -> reader(w -> w.i32(10).i32(0)).name("endpoint"), Reason.TRUNCATED,
        "the message ends before its endpoint");
  }

  @Test
  void lengthsAreCheckedBeforeTheBytesAreRead() {
    refused(() -> reader(w -> w.i32(-1)).bytes("frame", 100), Reason.BAD_COUNT, "frame has a negative length -1");
    refused(() -> reader(w -> w.bytes(new byte[101])).bytes("frame", 100), Reason.TOO_LONG,
        "frame has 101 bytes, at most 100");
    assertThat(reader(w -> w.bytes(new byte[100])).bytes("frame", 100)).hasSize(100);
    // a length announced beyond the limit is refused as too long even when its bytes never came
    refused(() -> reader(w -> w.i32(Integer.MAX_VALUE)).bytes("frame", 100), Reason.TOO_LONG,
        "frame has 2147483647 bytes, at most 100");
  }

  @Test
  void namesAreOneTo255BytesOfStrictUtf8() {
    String longest = "n".repeat(Names.MAX_NAME_BYTES);
    assertThat(reader(w -> w.str(longest)).name("endpoint")).isEqualTo(longest);
    refused(() -> reader(w -> w.str(longest + "n")).name("endpoint"), Reason.TOO_LONG,
        "endpoint has 256 bytes, at most 255");
    refused(() -> reader(w -> w.str("")).name("endpoint"), Reason.BAD_NAME, "endpoint is empty");
    refused(() -> reader(w -> w.bytes(new byte[] {'a', (byte) 0xc3})).name("endpoint"), Reason.BAD_NAME,
        "endpoint is not valid UTF-8");
    // an overlong encoding of '/' is not strict UTF-8
    refused(() -> reader(w -> w.bytes(new byte[] {(byte) 0xc0, (byte) 0xaf})).name("endpoint"), Reason.BAD_NAME,
        "endpoint is not valid UTF-8");
  }

  @Test
  void uidsAreOneTo64Bytes() {
    assertThat(reader(w -> w.bytes(new byte[Names.MAX_UID_BYTES])).uid("uid")).hasSize(Names.MAX_UID_BYTES);
    refused(() -> reader(w -> w.bytes(new byte[0])).uid("uid"), Reason.BAD_VALUE, "uid is empty");
    refused(() -> reader(w -> w.bytes(new byte[Names.MAX_UID_BYTES + 1])).uid("uid"), Reason.TOO_LONG,
        "uid has 65 bytes, at most 64");
  }

  @Test
  void rangedIntsAndFlagsRefuseValuesOutsideThem() {
    assertThat(reader(w -> w.i32(0)).i32("priority", 0, 100)).isZero();
    assertThat(reader(w -> w.i32(100)).i32("priority", 0, 100)).isEqualTo(100);
    refused(() -> reader(w -> w.i32(101)).i32("priority", 0, 100), Reason.BAD_VALUE,
        "priority 101 is not within 0..100");
    refused(() -> reader(w -> w.i32(-1)).i32("priority", 0, 100), Reason.BAD_VALUE,
        "priority -1 is not within 0..100");
    refused(() -> reader(w -> w.i32(0x02000000)).bool("paused"), Reason.BAD_VALUE, "paused is not a flag (0 or 1)");
  }

  @Test
  void countsAreCheckedAgainstTheBytesLeftAndTheLimit() {
    // three items of at least 4 bytes: 12 bytes must follow
    assertThat(reader(w -> w.i32(3).i32(1).i32(2).i32(3)).count("items", 4, 3)).isEqualTo(3);
    refused(() -> reader(w -> w.i32(-1)).count("items", 4, 3), Reason.BAD_COUNT, "items is negative (-1)");
    refused(() -> reader(w -> w.i32(3).i32(1).i32(2)).count("items", 4, 3), Reason.BAD_COUNT,
        "items 3 is more than the 8 bytes left can hold");
    refused(() -> reader(w -> w.i32(4).i32(1).i32(2).i32(3).i32(4)).count("items", 4, 3), Reason.OVER_LIMIT,
        "items 4 is over the limit 3");
    assertThat(reader(w -> w.i32(0)).count("items", 4, 3)).isZero();
  }

  @Test
  void aMessageMustEndAfterItsLastField() {
    PeerWire.Reader r = reader(w -> w.i32(1).bool(true));
    r.i32("n");
    refused(r::end, Reason.TRAILING_BYTES, "1 bytes after the last field");
  }

  @Test
  void theRefusalIsTheOnlyExceptionAndCarriesNoStackTrace() {
    PeerWireException e = new PeerWireException(Reason.MISDIRECTED, "for m2");
    assertThat(e.getStackTrace()).isEmpty();
    assertThat(e.getMessage()).isEqualTo("misdirected: for m2");
    assertThat(Reason.UNKNOWN_TYPE.label()).isEqualTo("unknown_type");
  }

  // ---- message kinds, written as their senders write them ----

  @Test
  void deliverCarriesTheFramesOriginalBytes() {
    Frame f = frame();
    PeerMessage.Deliver d = (PeerMessage.Deliver) PeerMessage.decode(
        ClusterOutbound.deliver(f, List.of("a", "b"), 7, 2), CONFIG);
    assertThat(d.priority()).isEqualTo(7);
    assertThat(d.hops()).isEqualTo(2);
    assertThat(d.endpoints()).containsExactly("a", "b");
    assertThat(d.frame().rawBytes()).isEqualTo(f.rawBytes());
    assertThat(d.type()).isEqualTo(PeerWire.DELIVER);
    refused(() -> PeerMessage.decode(ClusterOutbound.deliver(f, List.of(), 7, 0), CONFIG), Reason.BAD_COUNT,
        "a delivery for no endpoint");
    refused(() -> PeerMessage.decode(ClusterOutbound.deliver(f, List.of("a"), 7, PeerMessage.MAX_HOPS + 1), CONFIG),
        Reason.BAD_VALUE, "hops 4 is not within 0..3");
  }

  @Test
  void toNodeCarriesNodeEndpointOwnerAndFrame() {
    Frame f = frame();
    PeerMessage.ToNode m = (PeerMessage.ToNode) decode(new PeerWire.Writer(PeerWire.TO_NODE, 0)
        .str("node").str("ep").str("m1").bytes(f.rawBytes()));
    assertThat(m.nodeId()).isEqualTo("node");
    assertThat(m.endpoint()).isEqualTo("ep");
    assertThat(m.owner()).isEqualTo("m1");
    assertThat(m.frame().rawBytes()).isEqualTo(f.rawBytes());
  }

  @Test
  void ackCarriesTheUid() {
    PeerMessage.Ack m = (PeerMessage.Ack) decode(new PeerWire.Writer(PeerWire.ACK, 0).str("ep").str("node")
        .bytes(new byte[] {5, 6}));
    assertThat(m.endpoint()).isEqualTo("ep");
    assertThat(m.nodeId()).isEqualTo("node");
    assertThat(m.uid()).containsExactly(5, 6);
  }

  @Test
  void flowAttachAndDetachDescribeARemoteNode() {
    assertThat(decode(new PeerWire.Writer(PeerWire.FLOW, 0).str("ep").str("node").bool(true).bool(false)))
        .isEqualTo(new PeerMessage.Flow("ep", "node", true, false));
    assertThat(decode(new PeerWire.Writer(PeerWire.ATTACH, 0).str("ep").str("node").str("m2").i32(CONFIG.maxWindow)
        .bool(false).bool(true))).isEqualTo(new PeerMessage.Attach("ep", "node", "m2", CONFIG.maxWindow, false, true));
    refused(() -> decode(new PeerWire.Writer(PeerWire.ATTACH, 0).str("ep").str("node").str("m2")
        .i32(CONFIG.maxWindow + 1).bool(false).bool(true)), Reason.BAD_VALUE,
        "window " + (CONFIG.maxWindow + 1) + " is not within 1.." + CONFIG.maxWindow);
    assertThat(decode(new PeerWire.Writer(PeerWire.DETACH, 0).str("ep").str("node")))
        .isEqualTo(new PeerMessage.Detach("ep", "node"));
  }

  @Test
  void claimsKeepTheirOrderAndAreReadTheSameByDecodeClaims() {
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.CLAIMS, 0).i32(2).str("b").str("m1").i64(3).str("a").str("m2")
        .i64(0);
    PeerMessage.ClaimSet m = (PeerMessage.ClaimSet) decode(w);
    assertThat(m.claims()).containsExactly(Map.entry("b", new Claim("m1", 3)), Map.entry("a", new Claim("m2", 0)));
    assertThat(PeerMessage.decodeClaims(w.buffer(), CONFIG)).isEqualTo(m.claims());
    refused(() -> PeerMessage.decodeClaims(new PeerWire.Writer(PeerWire.PING, 0).buffer(), CONFIG),
        Reason.UNKNOWN_TYPE, "expected CLAIMS, got type 11");
    refused(() -> decode(new PeerWire.Writer(PeerWire.CLAIMS, 0).i32(1).str("a").str("m1")
        .i64(PeerMessage.MAX_EPOCH + 1)), Reason.BAD_EPOCH, "epoch " + (PeerMessage.MAX_EPOCH + 1)
        + " is not within 0..2^62");
  }

  @Test
  void handoffCarriesItsClaimAndEachQueuedMessage() {
    Frame f = frame();
    long queuedAt = System.currentTimeMillis() - 1000;
    PeerMessage.Handoff m = (PeerMessage.Handoff) decode(new PeerWire.Writer(PeerWire.HANDOFF, 0)
        .str("ep").str("m2").i64(4).str("handoff-1").bool(true).i32(1).i32(9).i64(queuedAt).bytes(f.rawBytes()));
    assertThat(m.endpoint()).isEqualTo("ep");
    assertThat(m.claim()).isEqualTo(new Claim("m2", 4));
    assertThat(m.id()).isEqualTo("handoff-1");
    assertThat(m.last()).isTrue();
    assertThat(m.items()).singleElement().satisfies(i -> {
      assertThat(i.priority()).isEqualTo(9);
      assertThat(i.enqueuedAt()).isEqualTo(queuedAt);
      assertThat(i.frame().rawBytes()).isEqualTo(f.rawBytes());
    });
    assertThat(m.bytes()).isEqualTo(f.size());
    refused(() -> decode(new PeerWire.Writer(PeerWire.HANDOFF, 0).str("ep").str("m2").i64(4).str("x".repeat(65))
        .bool(true).i32(0)), Reason.TOO_LONG, "handoff id has 65 bytes, at most 64");
  }

  @Test
  void stopAllHasAnOptionalCause() {
    PeerMessage.StopAll with = (PeerMessage.StopAll) decode(new PeerWire.Writer(PeerWire.STOP_ALL, 0).str("m1")
        .bytes(new byte[] {7}));
    assertThat(with.sender()).isEqualTo("m1");
    assertThat(with.cause()).containsExactly(7);
    assertThat(decode(new PeerWire.Writer(PeerWire.STOP_ALL, 0).str("m1")))
        .isEqualTo(new PeerMessage.StopAll("m1", null));
  }

  @Test
  void theMemberOnlyMessagesNameTheirMember() {
    assertThat(decode(new PeerWire.Writer(PeerWire.CLAIMS_PULL, 0).str("m3")))
        .isEqualTo(new PeerMessage.ClaimsPull("m3"));
    assertThat(decode(new PeerWire.Writer(PeerWire.VIEW, 0).str("m3"))).isEqualTo(new PeerMessage.View("m3"));
    assertThat(decode(new PeerWire.Writer(PeerWire.LEAVING, 0).str("m3"))).isEqualTo(new PeerMessage.Leaving("m3"));
    assertThat(decode(new PeerWire.Writer(PeerWire.PING, 0))).isEqualTo(new PeerMessage.Ping());
    refused(() -> decode(new PeerWire.Writer(PeerWire.VIEW, 0).str("")), Reason.BAD_NAME, "requester is empty");
  }

  @Test
  void releaseCarriesTheReleasedClaim() {
    assertThat(decode(new PeerWire.Writer(PeerWire.RELEASE, 0).str("ep").str("m1").i64(6)))
        .isEqualTo(new PeerMessage.Release("ep", new Claim("m1", 6)));
  }

  @Test
  void returnCarriesUidsInOrder() {
    PeerMessage.Return m = (PeerMessage.Return) decode(new PeerWire.Writer(PeerWire.RETURN, 0).str("ep").str("node")
        .i32(2).bytes(new byte[] {1}).bytes(new byte[] {2, 2}));
    assertThat(m.uids()).containsExactly(new byte[] {1}, new byte[] {2, 2});
  }

  @Test
  void registryTypesAndUnknownOnesAreNotGatewayMessages() {
    refused(() -> decode(new PeerWire.Writer(PeerWire.DUMP, 0).str("m1")), Reason.UNKNOWN_TYPE, "type 21");
    refused(() -> PeerMessage.decode(Buffer.buffer().appendByte((byte) -1), CONFIG), Reason.UNKNOWN_TYPE, "type -1");
    assertThat(PeerMessage.typeOf(new PeerWire.Writer(PeerWire.HANDOFF, 0).buffer())).isEqualTo("handoff");
    assertThat(PeerMessage.typeOf(Buffer.buffer())).isEqualTo("unknown");
    assertThat(PeerMessage.typeOf(null)).isEqualTo("unknown");
  }

  @Test
  void addressesAreDistinctPerMemberAndPurpose() {
    assertThat(PeerWire.gatewayAddress("m1")).isEqualTo("wsmsg.peer.m1");
    assertThat(PeerWire.registryAddress("m1")).isEqualTo("wsmsg.registry.m1");
  }
}
