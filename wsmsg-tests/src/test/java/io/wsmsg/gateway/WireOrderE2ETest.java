package io.wsmsg.gateway;

import static io.wsmsg.testkit.E2E.awaitUid;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.protocol.Uid;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.testkit.E2E;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SPEC section 3 over real WebSockets: both element orders are accepted on every connection,
 * each connection is written in the order it uses, and {@code data} travels byte for byte.
 */
class WireOrderE2ETest extends ServerTestBase {
  TestServer server;


  private TestNode node(String endpoint, WireOrder order) {
    return server.node(endpoint, server.adminToken(), order);
  }

  @Test
  void seedAndLegacyPublishersAreBothAcceptedAndEachReceivesInItsOwnOrder() {
    server = startServer();
    try (TestNode seed = node("seed-ep", WireOrder.SEED); TestNode legacy = node("legacy-ep", WireOrder.LEGACY)) {
      // the first frame of each settles its order
      seed.command("subscribe.channel", "seed-ep", "from.legacy");
      legacy.command("subscribe.channel", "legacy-ep", "from.seed");
      E2E.barrier(seed, "seed-ep");
      E2E.barrier(legacy, "legacy-ep");

      Object payload = List.of("hello", 1, Map.of("k", List.of(true, false)));
      byte[] fromSeed = seed.publish("from.seed", "greeting", payload);
      byte[] fromLegacy = legacy.publish("from.legacy", "greeting", payload);

      Frame atLegacy = awaitUid(legacy, fromSeed);
      assertThat(atLegacy.order()).isEqualTo(WireOrder.LEGACY);
      assertThat(atLegacy.channel()).isEqualTo("from.seed");
      assertThat(atLegacy.subject()).isEqualTo("greeting");
      assertThat(atLegacy.reference()).isNull();
      assertThat(TestNode.data(atLegacy)).isEqualTo(List.of("hello", 1L, Map.of("k", List.of(true, false))));

      Frame atSeed = awaitUid(seed, fromLegacy);
      assertThat(atSeed.order()).isEqualTo(WireOrder.SEED);
      assertThat(atSeed.channel()).isEqualTo("from.legacy");
      assertThat(atSeed.subject()).isEqualTo("greeting");
      assertThat(TestNode.data(atSeed)).isEqualTo(TestNode.data(atLegacy));
    }
  }

  @Test
  void dataBytesAreIdenticalAcrossOrdersWithHandPackedFrames() {
    server = startServer();
    try (TestNode seed = node("bytes-seed", WireOrder.SEED); TestNode legacy = node("bytes-legacy", WireOrder.LEGACY)) {
      seed.command("subscribe.channel", "bytes-seed", "bytes.*");
      legacy.command("subscribe.channel", "bytes-legacy", "bytes.*");
      E2E.barrier(seed, "bytes-seed");
      E2E.barrier(legacy, "bytes-legacy");

      // Data the server must never re-encode: a float32 (a re-encoder would widen it), a
      // str8 holding a short string (a re-encoder would use fixstr), an ext, a non-minimal
      // int encoding and a map with a bin key.
      E2E.Packing data = p -> {
        p.packArrayHeader(6);
        p.packFloat(1.5f);
        p.addPayload(new byte[] {(byte) 0xd9, 3, 'a', 'b', 'c'}); // str8 "abc"
        p.packExtensionTypeHeader((byte) 7, 3).writePayload(new byte[] {1, 2, 3});
        p.addPayload(new byte[] {(byte) 0xcd, 0x00, 0x05}); // uint16 5
        p.packMapHeader(1).packBinaryHeader(1).writePayload(new byte[] {'k'}).packNil();
        p.packBinaryHeader(300).writePayload(new byte[300]);
      };
      byte[] dataBytes = E2E.pack(data);
      byte[] ref = Ulids.next();

      // a seed-order frame from the seed node, by hand
      byte[] uid1 = Ulids.next();
      seed.sendRaw(E2E.packSeed(uid1, "bytes.one", "sub", ref, data));
      // a legacy-order frame from the legacy node, by hand
      byte[] uid2 = Ulids.next();
      legacy.sendRaw(E2E.packLegacy(uid2, ref, "bytes.two", "sub", data));

      var bySeed = E2E.awaitUids(seed, uid1, uid2);
      var byLegacy = E2E.awaitUids(legacy, uid1, uid2);
      for (byte[] uid : List.of(uid1, uid2)) {
        Frame atSeed = bySeed.get(Uid.of(uid));
        Frame atLegacy = byLegacy.get(Uid.of(uid));
        assertThat(atSeed.order()).isEqualTo(WireOrder.SEED);
        assertThat(atLegacy.order()).isEqualTo(WireOrder.LEGACY);
        assertThat(atSeed.dataBytes()).isEqualTo(dataBytes);
        assertThat(atLegacy.dataBytes()).isEqualTo(dataBytes);
        assertThat(atSeed.reference()).isEqualTo(ref);
        assertThat(atLegacy.reference()).isEqualTo(ref);
        assertThat(atSeed.subject()).isEqualTo("sub");
        assertThat(atLegacy.subject()).isEqualTo("sub");
        // the whole frame is the hand-built one with the header moved, nothing else
        assertThat(atSeed.rawBytes()).isEqualTo(E2E.packSeed(uid, atSeed.channel(), "sub", ref, data));
        assertThat(atLegacy.rawBytes()).isEqualTo(E2E.packLegacy(uid, ref, atLegacy.channel(), "sub", data));
      }
    }
  }

  @Test
  void pythonDatetimeMapWithBinKeysPassesThroughUntouched() {
    server = startServer();
    try (TestNode py = node("python", WireOrder.LEGACY); TestNode java = node("java", WireOrder.SEED)) {
      java.command("subscribe.channel", "java", "clock");
      py.command("subscribe.channel", "python", "clock");
      E2E.barrier(java, "java");
      E2E.barrier(py, "python");

      // what the Python package's default encoder makes of a datetime (old msgpack: raw = bin keys)
      E2E.Packing dt = p -> {
        p.packMapHeader(2);
        byte[] k1 = "__datetime__".getBytes(StandardCharsets.UTF_8);
        p.packBinaryHeader(k1.length).writePayload(k1);
        p.packBoolean(true);
        byte[] k2 = "as_str".getBytes(StandardCharsets.UTF_8);
        byte[] v2 = "20240229T23:59:58.123456".getBytes(StandardCharsets.UTF_8);
        p.packBinaryHeader(k2.length).writePayload(k2);
        p.packBinaryHeader(v2.length).writePayload(v2);
      };
      byte[] expected = E2E.pack(dt);
      byte[] uid = Ulids.next();
      py.sendRaw(E2E.packLegacy(uid, null, "clock", "now", dt));

      Frame atJava = awaitUid(java, uid);
      Frame atPy = awaitUid(py, uid);
      assertThat(atJava.dataBytes()).isEqualTo(expected);
      assertThat(atPy.dataBytes()).isEqualTo(expected);
      assertThat(atJava.order()).isEqualTo(WireOrder.SEED);
      assertThat(atPy.order()).isEqualTo(WireOrder.LEGACY);
      @SuppressWarnings("unchecked")
      Map<Object, Object> m = (Map<Object, Object>) TestNode.data(atJava);
      assertThat(m).containsEntry(new MsgPack.BinKey("__datetime__".getBytes(StandardCharsets.UTF_8)), true);
      assertThat(E2E.text(m.get(new MsgPack.BinKey("as_str".getBytes(StandardCharsets.UTF_8)))))
          .isEqualTo("20240229T23:59:58.123456");
    }
  }

  @Test
  void aNodeThatHasSentNothingReceivesInTheConfiguredDefaultUntilItsFirstFrameSettlesTheOrder() {
    server = startServer(new JsonObject().put("delivery", new JsonObject().put("order", "legacy")));
    try (TestNode quiet = node("quiet", WireOrder.SEED); TestNode pub = node("pub", WireOrder.SEED)) {
      pub.command("subscribe.channel", "quiet", "q");
      byte[] first = pub.publish("q", "one", List.of(1));
      Frame f1 = quiet.next(E2E.LONG_MS);
      assertThat(f1.uid()).isEqualTo(first);
      assertThat(f1.order()).as("no frame sent yet: the configured default").isEqualTo(WireOrder.LEGACY);
      quiet.ack(f1); // its first frame, in seed order

      byte[] second = pub.publish("q", "two", List.of(2));
      Frame f2 = awaitUid(quiet, second);
      assertThat(f2.order()).as("settled by the first frame").isEqualTo(WireOrder.SEED);
      assertThat(f2.dataBytes()).isEqualTo(MsgPack.pack(List.of(2)));
    }
  }

  @Test
  void theOrderQueryParameterSetsTheOrderBeforeAnyFrame() {
    server = startServer(); // default seed
    try (TestNode asked = node("asked?order=legacy", WireOrder.LEGACY);
        TestNode askedSeed = node("asked-seed?order=seed", WireOrder.SEED);
        TestNode pub = node("pub", WireOrder.SEED)) {
      pub.command("subscribe.channel", "asked", "p");
      pub.command("subscribe.channel", "asked-seed", "p");
      byte[] uid = pub.publish("p", "x", "data");
      Frame a = asked.next(E2E.LONG_MS);
      assertThat(a.uid()).isEqualTo(uid);
      assertThat(a.order()).isEqualTo(WireOrder.LEGACY);
      Frame s = askedSeed.next(E2E.LONG_MS);
      assertThat(s.uid()).isEqualTo(uid);
      assertThat(s.order()).isEqualTo(WireOrder.SEED);
      asked.ack(a);
      askedSeed.ack(s);
    }
    // and ?order=seed overrides a legacy default
    server.close();
    server = startServer(new JsonObject().put("delivery", new JsonObject().put("order", "legacy")));
    try (TestNode asked = node("asked?order=seed", WireOrder.SEED); TestNode pub = node("pub", WireOrder.LEGACY)) {
      pub.command("subscribe.channel", "asked", "p");
      byte[] uid = pub.publish("p", "x", "data");
      Frame a = asked.next(E2E.LONG_MS);
      assertThat(a.uid()).isEqualTo(uid);
      assertThat(a.order()).isEqualTo(WireOrder.SEED);
    }
  }

  @Test
  void aBadOrderParameterIsRefusedWith400() {
    server = startServer();
    assertThat(server.upgradeStatus("/ep?order=sideways", "Bearer " + server.adminToken())).isEqualTo(400);
  }

  @Test
  void noticesAndEventsAreWrittenInTheNodesOrderToo() {
    server = startServer();
    try (TestNode legacy = node("leg", WireOrder.LEGACY)) {
      byte[] bad = legacy.command("no.such.command");
      Frame err = legacy.next(E2E.LONG_MS);
      assertThat(err.subject()).isEqualTo("error");
      assertThat(err.order()).isEqualTo(WireOrder.LEGACY);
      assertThat(err.reference()).isEqualTo(bad);

      // a server-made event, delivered by subscription
      legacy.command("subscribe.channel", "leg", "system", "channel.created");
      E2E.barrier(legacy, "leg");
      byte[] create = legacy.command("channel.create", "brand.new");
      Frame ev = E2E.await(legacy, f -> "channel.created".equals(f.subject())
          && List.of("brand.new").equals(TestNode.data(f)));
      assertThat(ev.order()).isEqualTo(WireOrder.LEGACY);
      assertThat(ev.reference()).isEqualTo(create);
    }
  }
}
