package io.wsmsg.gateway;

import static io.wsmsg.testkit.E2E.assertError;
import static io.wsmsg.testkit.E2E.assertWorks;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.E2E;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every error code of SPEC section 6: a message on {@code system}, subject {@code error},
 * data {@code [code, text]}, reference = the offending uid when it could be read, sent to the
 * offending node only -- and the connection stays open and keeps working.
 */
class ErrorsE2ETest extends ServerTestBase {
  TestServer server;

  @BeforeEach
  void start() {
    // many deliberate errors per connection here: keep the garbage limit out of the way
    server = startServer(new JsonObject().put("limits", new JsonObject().put("errorBurst", 1000))
        .put("stop", new JsonObject().put("graceMillis", 3000)));
  }


  private static E2E.Packing bin(byte[] b) {
    return p -> p.packBinaryHeader(b.length).writePayload(b);
  }

  // ---- bad_frame ----

  @Test
  void aTextFrameIsABadFrame() {
    try (TestNode n = server.node("text")) {
      n.sendText("[\"uid\", \"channel\", \"subject\", null, 1]");
      assertError(n, "bad_frame", null);
      assertWorks(n, "text");
    }
  }

  @Test
  void bytesThatAreNotMsgpackAreABadFrame() {
    try (TestNode n = server.node("junk")) {
      n.sendRaw(new byte[] {(byte) 0xc1}); // the one byte msgpack never uses
      assertError(n, "bad_frame", null);
      n.sendRaw("hello, world".getBytes(StandardCharsets.UTF_8));
      assertError(n, "bad_frame", null);
      n.sendRaw(new byte[0]);
      assertError(n, "bad_frame", null);
      // an array announcing 5 elements that ends inside the uid
      n.sendRaw(new byte[] {(byte) 0x95, (byte) 0xc4, 16, 1, 2, 3});
      assertError(n, "bad_frame", null);
      assertWorks(n, "junk");
    }
  }

  @Test
  void anArrayOfTheWrongLengthIsABadFrameReferencingItsUid() {
    try (TestNode n = server.node("four")) {
      byte[] uid = Ulids.next();
      n.sendRaw(E2E.pack(p -> {
        p.packArrayHeader(4);
        p.packBinaryHeader(uid.length).writePayload(uid);
        p.packString("chan").packString("subj").packNil();
      }));
      assertError(n, "bad_frame", uid);
      byte[] uid6 = Ulids.next();
      n.sendRaw(E2E.pack(p -> {
        p.packArrayHeader(6);
        p.packBinaryHeader(uid6.length).writePayload(uid6);
        p.packString("chan").packString("subj").packNil().packInt(1).packInt(2);
      }));
      assertError(n, "bad_frame", uid6);
      // not an array at all
      n.sendRaw(MsgPack.pack(Map.of("uid", "x")));
      assertError(n, "bad_frame", null);
      assertWorks(n, "four");
    }
  }

  @Test
  void wrongElementTypesAreABadFrameReferencingTheUid() {
    try (TestNode n = server.node("types")) {
      byte[] uid = Ulids.next();
      // channel is an int (neither str = seed order nor bin/nil = legacy order)
      n.sendRaw(E2E.pack(p -> {
        p.packArrayHeader(5);
        p.packBinaryHeader(uid.length).writePayload(uid);
        p.packInt(7).packString("subj").packNil().packNil();
      }));
      assertError(n, "bad_frame", uid);
      // seed order with a subject that is not a str
      byte[] uid2 = Ulids.next();
      n.sendRaw(E2E.pack(p -> {
        p.packArrayHeader(5);
        p.packBinaryHeader(uid2.length).writePayload(uid2);
        p.packString("chan").packInt(1).packNil().packNil();
      }));
      assertError(n, "bad_frame", uid2);
      // seed order with a str reference
      byte[] uid3 = Ulids.next();
      n.sendRaw(E2E.pack(p -> {
        p.packArrayHeader(5);
        p.packBinaryHeader(uid3.length).writePayload(uid3);
        p.packString("chan").packString("subj").packString("not-a-uid").packNil();
      }));
      assertError(n, "bad_frame", uid3);
      // legacy order with a channel that is not a str
      byte[] uid4 = Ulids.next();
      n.sendRaw(E2E.pack(p -> {
        p.packArrayHeader(5);
        p.packBinaryHeader(uid4.length).writePayload(uid4);
        p.packNil().packBinaryHeader(1).writePayload(new byte[] {1}).packString("subj").packNil();
      }));
      assertError(n, "bad_frame", uid4);
      // an empty channel
      byte[] uid5 = Ulids.next();
      n.sendRaw(E2E.packSeed(uid5, "", "subj", null, p -> p.packNil()));
      assertError(n, "bad_frame", uid5);
      // stray bytes after data
      byte[] uid6 = Ulids.next();
      byte[] ok = E2E.packSeed(uid6, "chan", "subj", null, p -> p.packNil());
      byte[] stray = java.util.Arrays.copyOf(ok, ok.length + 1);
      n.sendRaw(stray);
      assertError(n, "bad_frame", uid6);
      // data that is not msgpack, and data that ends early
      byte[] uid7 = Ulids.next();
      n.sendRaw(E2E.packSeed(uid7, "chan", "subj", null, p -> p.addPayload(new byte[] {(byte) 0xc1})));
      assertError(n, "bad_frame", uid7);
      byte[] uid8 = Ulids.next();
      n.sendRaw(E2E.packSeed(uid8, "chan", "subj", null, p -> p.addPayload(new byte[] {(byte) 0x92, 1})));
      assertError(n, "bad_frame", uid8);
      assertWorks(n, "types");
    }
  }

  @Test
  void aMissingOrMalformedUidIsABadFrameWithoutReference() {
    try (TestNode n = server.node("nouid")) {
      // uid nil
      n.sendRaw(E2E.pack(p -> p.packArrayHeader(5).packNil().packString("chan").packString("s").packNil().packNil()));
      assertError(n, "bad_frame", null);
      // uid a str
      n.sendRaw(E2E.pack(p -> p.packArrayHeader(5).packString("01HZZZ").packString("chan").packString("s").packNil()
          .packNil()));
      assertError(n, "bad_frame", null);
      // uid an empty bin
      n.sendRaw(E2E.packSeed(new byte[0], "chan", "s", null, p -> p.packNil()));
      assertError(n, "bad_frame", null);
      // uid longer than 64 bytes
      n.sendRaw(E2E.packSeed(new byte[65], "chan", "s", null, p -> p.packNil()));
      assertError(n, "bad_frame", null);
      assertWorks(n, "nouid");
    }
  }

  // ---- bad_arguments ----

  @Test
  void badArgumentsAreRefusedReferencingTheCommand() {
    try (TestNode n = server.node("args")) {
      byte[] c = n.command("subscribe.channel", "args");
      assertError(n, "bad_arguments", c);
      c = n.command("subscribe.channel", "args", "a", "b", "c");
      assertError(n, "bad_arguments", c);
      c = n.command("subscribe.channel", "args", 5);
      assertError(n, "bad_arguments", c);
      c = n.command("subscribe.channel", 5, "chan");
      assertError(n, "bad_arguments", c);
      c = n.command("subscribe.message", "args", "not-bin");
      assertError(n, "bad_arguments", c);
      c = n.command("subscribe.message", "args", Ulids.next(), -5);
      assertError(n, "bad_arguments", c);
      c = n.command("unsubscribe.channel");
      assertError(n, "bad_arguments", c);
      c = n.command("channel.create", "");
      assertError(n, "bad_arguments", c);
      c = n.command("channel.priority", "chan", 100);
      assertError(n, "bad_arguments", c);
      c = n.command("channel.priority", "chan", -1);
      assertError(n, "bad_arguments", c);
      c = n.command("channel.priority", "chan", "high");
      assertError(n, "bad_arguments", c);
      c = n.command("channel.priority", "system", 50);
      assertError(n, "bad_arguments", c);
      c = n.command("channel.size", "chan", 0);
      assertError(n, "bad_arguments", c);
      c = n.command("endpoint.size", "args", 0);
      assertError(n, "bad_arguments", c);
      c = n.command("endpoint.size", "args", 1.5);
      assertError(n, "bad_arguments", c);
      // data must be an array (or nil)
      c = n.publish("system", "channel.create", Map.of("channel", "x"));
      assertError(n, "bad_arguments", c);
      // an ack without a reference
      c = n.publish("system", "ack", null);
      assertError(n, "bad_arguments", c);

      assertThat(server.server.registry().channel("chan").priority()).isZero();
      assertThat(server.server.registry().endpointSize("args")).isEqualTo(10_000);
      assertWorks(n, "args");
    }
  }

  // ---- unknown_command ----

  @Test
  void anUnknownCommandIsRefused() {
    try (TestNode n = server.node("unknown", server.adminToken(), WireOrder.LEGACY)) {
      byte[] c = n.command("frobnicate", 1, 2);
      String text = assertError(n, "unknown_command", c);
      assertThat(text).contains("frobnicate");
      assertWorks(n, "unknown");
    }
  }

  // ---- forbidden ----

  @Test
  void publishingOutsideThePublishGlobsIsForbidden() {
    // a claim is complete: name the keys that stay open too
    String token = server.token(new JsonObject().put("publish", new JsonArray().add("allowed.*"))
        .put("endpoints", new JsonArray().add("*")).put("subscribe", new JsonArray().add("*")));
    try (TestNode n = server.node("pubber", token, WireOrder.SEED)) {
      byte[] c = n.publish("secret.stuff", "s", 1);
      String text = assertError(n, "forbidden", c);
      assertThat(text).contains("secret.stuff");
      // commands on system are not publishes: a restricted publish list does not stop them
      n.command("subscribe.channel", "pubber", "allowed.*");
      byte[] ok = n.publish("allowed.thing", "s", 2);
      assertThat(E2E.awaitUid(n, ok).channel()).isEqualTo("allowed.thing");
    }
  }

  @Test
  void subscribingOutsideTheSubscribeGlobsIsForbidden() {
    String token = server.token(new JsonObject().put("subscribe", new JsonArray().add("orders.*"))
        .put("endpoints", new JsonArray().add("*")).put("publish", new JsonArray().add("*")));
    try (TestNode n = server.node("subber", token, WireOrder.SEED)) {
      byte[] c = n.command("subscribe.channel", "subber", "*");
      assertError(n, "forbidden", c);
      c = n.command("subscribe.channel", "subber", "order?.x");
      assertError(n, "forbidden", c);
      c = n.command("subscribe.channel", "subber", "system", "*");
      assertError(n, "forbidden", c);
      // allowed: the granted pattern itself and a narrower literal
      n.command("subscribe.channel", "subber", "orders.*", "new");
      n.command("subscribe.channel", "subber", "orders.eu");
      byte[] a = n.publish("orders.us", "new", 1);
      byte[] b = n.publish("orders.eu", "old", 2);
      var got = E2E.awaitUids(n, a, b);
      assertThat(got.get(io.wsmsg.protocol.Uid.of(a)).channel()).isEqualTo("orders.us");
      assertThat(got.get(io.wsmsg.protocol.Uid.of(b)).channel()).isEqualTo("orders.eu");
      assertThat(server.server.registry().subscriptions().of("subber")).hasSize(2);
    }
  }

  @Test
  void actingOnAnotherEndpointOutsideTheEndpointGlobsIsForbidden() {
    String token = server.token(new JsonObject().put("endpoints", new JsonArray().add("me").add("me.*"))
        .put("publish", new JsonArray().add("*")).put("subscribe", new JsonArray().add("*")));
    try (TestNode n = server.node("me", token, WireOrder.SEED)) {
      byte[] c = n.command("subscribe.channel", "other", "x");
      assertError(n, "forbidden", c);
      c = n.command("unsubscribe.channel", "other", "x");
      assertError(n, "forbidden", c);
      c = n.command("subscribe.message", "other", Ulids.next());
      assertError(n, "forbidden", c);
      c = n.command("unsubscribe.message", "other", Ulids.next());
      assertError(n, "forbidden", c);
      c = n.command("endpoint.create", "other");
      assertError(n, "forbidden", c);
      assertThat(server.server.registry().hasEndpoint("other")).isFalse();
      assertThat(server.server.registry().subscriptions().of("other")).isEmpty();
      // its own endpoints are fine
      n.command("endpoint.create", "me.too");
      assertWorks(n, "me");
      assertThat(server.server.registry().hasEndpoint("me.too")).isTrue();
    }
  }

  @Test
  void aClientPublishingAnEventSubjectIsForbidden() {
    try (TestNode n = server.node("faker"); TestNode monitor = server.node("mon")) {
      monitor.command("subscribe.channel", "mon", "system", "node.*");
      E2E.barrier(monitor, "mon");
      List<byte[]> fakes = new java.util.ArrayList<>();
      for (String event : List.of("node.joined", "node.left", "endpoint.created", "channel.sized", "error",
          "stopping")) {
        byte[] c = n.publish("system", event, List.of("faker", "fake"));
        fakes.add(c);
        assertError(n, "forbidden", c);
      }
      // nothing fake reached the monitor before the next real node event
      try (TestNode real = server.node("real")) {
        List<Frame> seen = new java.util.ArrayList<>();
        Frame f = E2E.await(monitor, x -> "node.joined".equals(x.subject())
            && "real".equals(((List<?>) TestNode.data(x)).get(0)), seen);
        assertThat(f.channel()).isEqualTo("system");
        assertThat(seen).extracting(Frame::uid)
            .noneMatch(u -> fakes.stream().anyMatch(fake -> java.util.Arrays.equals(fake, u)));
      }
      assertWorks(n, "faker");
    }
  }

  @Test
  void errorsGoToTheOffendingNodeOnly() {
    try (TestNode bad = server.node("bad"); TestNode bystander = server.node("bystander")) {
      bystander.command("subscribe.channel", "bystander", "system", "*");
      E2E.barrier(bystander, "bystander");
      byte[] c = bad.command("frobnicate");
      assertError(bad, "unknown_command", c);
      bad.sendText("oops");
      assertError(bad, "bad_frame", null);
      // a sentinel command from bad: the bystander sees it forwarded, and no error before it
      byte[] sentinel = bad.command("channel.create", "after.errors");
      List<Frame> seen = new java.util.ArrayList<>();
      E2E.await(bystander, f -> java.util.Arrays.equals(f.uid(), sentinel), seen);
      assertThat(seen).extracting(Frame::subject).doesNotContain("error");
    }
  }

  // ---- stopping ----

  @Test
  void afterAStopEveryNodeIsToldPublishesAreRefusedAndConnectionsCloseWith1001() {
    try (TestNode admin = server.node("admin"); TestNode other = server.node("other");
        TestNode monitor = server.node("stop-watch")) {
      monitor.command("subscribe.channel", "stop-watch", "system", "stop");
      E2E.barrier(monitor, "stop-watch");
      other.command("subscribe.channel", "other", "late");
      E2E.barrier(other, "other");

      byte[] stop = admin.command("stop");
      // every node is told, whatever its subscriptions
      Frame s1 = E2E.awaitSystem(admin, "stopping");
      Frame s2 = E2E.awaitSystem(other, "stopping");
      // the monitor gets the notice and the forwarded stop command, in either order
      boolean notice = false;
      boolean forwarded = false;
      while (!notice || !forwarded) {
        Frame f = E2E.await(monitor, x -> "system".equals(x.channel()));
        // the notice references the stop command that caused it (SPEC 6)
        notice |= "stopping".equals(f.subject()) && java.util.Arrays.equals(f.reference(), stop);
        forwarded |= "stop".equals(f.subject()) && java.util.Arrays.equals(f.uid(), stop);
      }
      assertThat(TestNode.data(s1)).isEqualTo(List.of());
      assertThat(TestNode.data(s2)).isEqualTo(List.of());

      byte[] late = other.publish("late", "s", "too late");
      assertError(other, "stopping", late);

      assertThat(E2E.awaitClose(admin)).isEqualTo((short) 1001);
      assertThat(E2E.awaitClose(other)).isEqualTo((short) 1001);
      assertThat(E2E.awaitClose(monitor)).isEqualTo((short) 1001);
      TestNode.await(server.server.stopped());
    }
  }
}
