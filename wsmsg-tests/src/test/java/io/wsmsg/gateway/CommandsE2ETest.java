package io.wsmsg.gateway;

import static io.wsmsg.testkit.E2E.await;
import static io.wsmsg.testkit.E2E.awaitUid;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.E2E;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every command of SPEC section 6 over real WebSockets, with the events it causes
 * ({@code reference} = the command's uid) and its forwarding to {@code system} subscribers.
 */
class CommandsE2ETest extends ServerTestBase {
  TestServer server;

  @BeforeEach
  void start() {
    server = startServer();
  }


  private static Predicate<Frame> event(String subject, Object data) {
    return f -> "system".equals(f.channel()) && subject.equals(f.subject()) && data.equals(TestNode.data(f));
  }

  private static Predicate<Frame> onChannel(String channel, String subject) {
    return f -> channel.equals(f.channel()) && subject.equals(f.subject());
  }

  // ---- subscribe.channel / unsubscribe.channel ----

  @Test
  void subscribeChannelIsIdempotentAndAnOmittedSubjectPatternMeansStar() {
    try (TestNode sub = server.node("idem"); TestNode pub = server.node("idem-pub")) {
      // the publisher acts on the subscriber's endpoint, so its next message sees the subscription
      pub.command("subscribe.channel", "idem", "idem.ch");
      pub.command("subscribe.channel", "idem", "idem.ch");
      pub.command("subscribe.channel", "idem", "idem.ch", "*");
      byte[] a = pub.publish("idem.ch", "", "empty subject");
      byte[] b = pub.publish("idem.ch", "any.thing.at.all", "dotted subject");
      byte[] c = pub.publish("idem.ch", "last", "last");
      assertThat(E2E.next(sub).uid()).isEqualTo(a);
      assertThat(E2E.next(sub).uid()).isEqualTo(b);
      assertThat(E2E.next(sub).uid()).as("each message once").isEqualTo(c);
      sub.expectNothing(E2E.QUIET_MS);
      assertThat(server.server.registry().subscriptions().of("idem")).as("one subscription").hasSize(1);
      assertThat(server.server.registry().subscriptions().of("idem").get(0).subject().pattern()).isEqualTo("*");
    }
  }

  @Test
  void subjectPatternsFilterAndStarCrossesDots() {
    try (TestNode sub = server.node("filt"); TestNode pub = server.node("filt-pub")) {
      pub.command("subscribe.channel", "filt", "orders", "order.*");
      pub.publish("orders", "other", 1);
      pub.publish("orders", "order", 2); // "order.*" needs the dot
      byte[] hit = pub.publish("orders", "order.get.request", 3);
      Frame f = E2E.next(sub);
      assertThat(f.uid()).as("the non-matching ones were not delivered").isEqualTo(hit);
      assertThat(f.subject()).isEqualTo("order.get.request");
    }
  }

  @Test
  void unsubscribeChannelRemovesSubscriptionsWhoseChannelPatternTakenLiterallyMatches() {
    try (TestNode sub = server.node("unsub"); TestNode pub = server.node("unsub-pub")) {
      pub.command("subscribe.channel", "unsub", "orders.*", "a");
      pub.command("subscribe.channel", "unsub", "orders.*", "b");
      pub.command("subscribe.channel", "unsub", "orders.new");
      pub.command("subscribe.channel", "unsub", "audit");

      // "orders.new" taken literally does not match the string "orders.*": that one stays
      pub.command("unsubscribe.channel", "unsub", "orders.new");
      byte[] viaStar = pub.publish("orders.new", "a", "x");
      assertThat(E2E.next(sub).uid()).isEqualTo(viaStar);
      assertThat(server.server.registry().subscriptions().of("unsub")).hasSize(3);

      // "orders.*" matches the strings "orders.*" (both subject filters) -- and would match "orders.new"
      pub.command("subscribe.channel", "unsub", "orders.new");
      pub.command("unsubscribe.channel", "unsub", "orders.*");
      pub.command("subscribe.channel", "unsub", "orders.new", "sentinel");
      pub.publish("orders.new", "a", "gone");
      pub.publish("orders.new", "b", "gone");
      pub.publish("orders.new", "c", "gone");
      byte[] sentinel = pub.publish("orders.new", "sentinel", "s");
      assertThat(E2E.next(sub).uid()).as("nothing on orders.* got through").isEqualTo(sentinel);

      byte[] audit = pub.publish("audit", "whatever", "kept");
      assertThat(E2E.next(sub).uid()).as("unrelated subscription kept").isEqualTo(audit);
      assertThat(server.server.registry().subscriptions().of("unsub"))
          .extracting(s -> s.channel().pattern() + "/" + s.subject().pattern())
          .containsExactlyInAnyOrder("audit/*", "orders.new/sentinel");
    }
  }

  // ---- subscribe.message / unsubscribe.message ----

  @Test
  void messageSubscriptionsDeliverRepliesUntilRemovedOrExpired() {
    try (TestNode caller = server.node("caller"); TestNode replier = server.node("replier")) {
      byte[] request = Ulids.next();
      byte[] other = Ulids.next();
      byte[] past = Ulids.next();
      // caller subscribes itself to replies; its next frame sees it
      caller.command("subscribe.message", "caller", request);
      caller.command("subscribe.message", "caller", other, 30);
      caller.command("subscribe.message", "caller", past, 1_000_000_000L); // a unix time in 2001: over
      E2E.barrier(caller, "caller");

      // no channel subscription at all: delivered by reference
      byte[] reply = replier.publish("replies.anywhere", "reply", "42", request);
      Frame got = awaitUid(caller, reply);
      assertThat(got.reference()).isEqualTo(request);
      assertThat(TestNode.data(got)).isEqualTo("42");

      byte[] expired = replier.publish("replies.anywhere", "reply", "late", past);
      byte[] second = replier.publish("replies.anywhere", "reply", "again", other);
      assertThat(E2E.next(caller).uid()).as("the expired subscription delivered nothing").isEqualTo(second);
      assertThat(expired).isNotNull();

      caller.command("unsubscribe.message", "caller", request);
      E2E.barrier(caller, "caller");
      replier.publish("replies.anywhere", "reply", "unwanted", request);
      byte[] sentinel = replier.publish("replies.anywhere", "reply", "wanted", other);
      assertThat(E2E.next(caller).uid()).as("after unsubscribe.message").isEqualTo(sentinel);
    }
  }

  @Test
  void aMessageMatchingBothASubscriptionAndAMessageSubscriptionArrivesOnce() {
    try (TestNode n = server.node("both")) {
      byte[] ref = Ulids.next();
      n.command("subscribe.message", "both", ref);
      n.command("subscribe.channel", "both", "twice");
      byte[] uid = n.publish("twice", "s", null, ref);
      byte[] sentinel = n.publish("twice", "s", null);
      assertThat(E2E.next(n).uid()).isEqualTo(uid);
      assertThat(E2E.next(n).uid()).isEqualTo(sentinel);
    }
  }

  // ---- pause / resume ----

  @Test
  void pauseStopsDeliveriesToThatNodeOnlyAndResumeRestartsThem() {
    try (TestNode a = server.node("pz"); TestNode b = server.node("pz"); TestNode pub = server.node("pz-pub")) {
      pub.command("subscribe.channel", "pz-pub", "pz.marks");
      pub.command("subscribe.channel", "pz", "pz.work");
      E2E.barrier(pub, "pz-pub");

      a.command("pause");
      // a paused node can still publish (and its frames are handled in order: the pause is in effect)
      byte[] mark = a.publish("pz.marks", "paused", null);
      awaitUid(pub, mark);

      List<byte[]> sent = new ArrayList<>();
      for (int i = 0; i < 4; i++) sent.add(pub.publish("pz.work", "job", i));
      for (byte[] uid : sent) assertThat(E2E.next(b).uid()).as("all work goes to the ready node").isEqualTo(uid);
      a.expectNothing(E2E.QUIET_MS);

      // ... and send commands
      a.command("subscribe.channel", "pz", "pz.more");
      b.command("pause");
      byte[] bMark = b.publish("pz.marks", "paused", null);
      awaitUid(pub, bMark);
      byte[] queued = pub.publish("pz.work", "job", "waits");
      a.expectNothing(E2E.QUIET_MS);
      b.expectNothing(E2E.QUIET_MS);

      a.command("resume");
      assertThat(E2E.next(a).uid()).as("the queued message after resume").isEqualTo(queued);
      byte[] more = pub.publish("pz.more", "job", "more");
      assertThat(E2E.next(a).uid()).as("the command sent while paused took effect").isEqualTo(more);
      b.expectNothing(E2E.QUIET_MS);
    }
  }

  // ---- channel.* and endpoint.* with their events ----

  @Test
  void channelAndEndpointCommandsEmitEventsReferencingTheCommand() {
    try (TestNode admin = server.node("ops")) {
      admin.command("subscribe.channel", "ops", "system", "channel.*");
      admin.command("subscribe.channel", "ops", "system", "endpoint.*");

      byte[] c1 = admin.command("channel.create", "made.by.command");
      Frame created = await(admin, event("channel.created", List.of("made.by.command")));
      assertThat(created.reference()).isEqualTo(c1);
      assertThat(created.uid()).as("a fresh ULID").hasSize(16).isNotEqualTo(c1);
      assertThat(server.server.registry().hasChannel("made.by.command")).isTrue();

      byte[] c2 = admin.command("channel.size", "made.by.command", 7);
      Frame sized = await(admin, event("channel.sized", List.of("made.by.command", 7L)));
      assertThat(sized.reference()).isEqualTo(c2);
      assertThat(server.server.registry().channel("made.by.command").size()).isEqualTo(7);

      byte[] c3 = admin.command("channel.priority", "made.by.command", 99);
      Frame prio = await(admin, event("channel.prioritized", List.of("made.by.command", 99L)));
      assertThat(prio.reference()).isEqualTo(c3);
      assertThat(server.server.registry().channel("made.by.command").priority()).isEqualTo(99);

      byte[] c4 = admin.command("endpoint.create", "made.ep");
      Frame epCreated = await(admin, event("endpoint.created", List.of("made.ep")));
      assertThat(epCreated.reference()).isEqualTo(c4);
      assertThat(server.server.registry().hasEndpoint("made.ep")).isTrue();

      byte[] c5 = admin.command("endpoint.size", "made.ep", 3);
      Frame epSized = await(admin, event("endpoint.sized", List.of("made.ep", 3L)));
      assertThat(epSized.reference()).isEqualTo(c5);
      assertThat(server.server.registry().endpointSize("made.ep")).isEqualTo(3);

      // first use creates too: a publish to a new channel, a subscribe naming a new endpoint
      // a publish is not a command: its channel.created references nil, or a message
      // subscription waiting for replies to the publish would take the event for a reply
      admin.publish("made.by.publish", "s", null);
      assertThat(await(admin, event("channel.created", List.of("made.by.publish"))).reference()).isNull();
      byte[] s = admin.command("subscribe.channel", "made.by.subscribe", "x");
      assertThat(await(admin, event("endpoint.created", List.of("made.by.subscribe"))).reference()).isEqualTo(s);
    }
  }

  @Test
  void endpointSizeBoundsTheQueueOfAnEndpointWithoutNodes() {
    try (TestNode admin = server.node("sizer"); TestNode witness = server.node("witness")) {
      admin.command("endpoint.size", "small", 2);
      admin.command("subscribe.channel", "small", "fill");
      admin.command("subscribe.channel", "witness", "fill");
      List<byte[]> sent = new ArrayList<>();
      for (int i = 0; i < 5; i++) sent.add(admin.publish("fill", "n", i));
      // every message goes to both endpoints in one pass: once the witness has them all,
      // the small endpoint's queue has seen them all too
      for (byte[] uid : sent) assertThat(E2E.next(witness).uid()).isEqualTo(uid);
      try (TestNode late = server.node("small")) {
        assertThat(E2E.next(late).uid()).as("the oldest were dropped").isEqualTo(sent.get(3));
        assertThat(E2E.next(late).uid()).isEqualTo(sent.get(4));
        late.expectNothing(E2E.QUIET_MS);
      }
    }
  }

  @Test
  void nodeJoinedAndNodeLeftAreEmittedWhenNodesConnectAndDisconnect() {
    try (TestNode monitor = server.node("monitor")) {
      monitor.command("subscribe.channel", "monitor", "system", "node.*");
      E2E.barrier(monitor, "monitor");

      String nodeId;
      try (TestNode joiner = server.node("joiner")) {
        Frame joined = await(monitor, f -> "node.joined".equals(f.subject())
            && "joiner".equals(((List<?>) TestNode.data(f)).get(0)));
        assertThat(joined.channel()).isEqualTo("system");
        assertThat(joined.reference()).isNull();
        List<?> args = (List<?>) TestNode.data(joined);
        assertThat(args).hasSize(2);
        nodeId = E2E.text(args.get(1));
        assertThat(nodeId).isNotBlank();
        E2E.assertWorks(joiner, "joiner");
      }
      Frame left = await(monitor, f -> "node.left".equals(f.subject())
          && "joiner".equals(((List<?>) TestNode.data(f)).get(0)));
      assertThat(E2E.text(((List<?>) TestNode.data(left)).get(1))).as("the same node").isEqualTo(nodeId);
      assertThat(left.reference()).isNull();
    }
  }

  // ---- forwarding ----

  @Test
  void commandsAreForwardedToSystemSubscribersWithMatchingSubjects() {
    try (TestNode monitor = server.node("watch"); TestNode actor = server.node("actor")) {
      monitor.command("subscribe.channel", "watch", "system", "subscribe.*");
      E2E.barrier(monitor, "watch");

      byte[] c1 = actor.command("subscribe.channel", "actor", "a.*", "x");
      byte[] uidArg = Ulids.next();
      byte[] c2 = actor.command("subscribe.message", "actor", uidArg);
      actor.command("channel.create", "not.watched"); // subject does not match subscribe.*

      Frame f1 = awaitUid(monitor, c1);
      assertThat(f1.channel()).isEqualTo("system");
      assertThat(f1.subject()).isEqualTo("subscribe.channel");
      assertThat(f1.dataBytes()).isEqualTo(MsgPack.pack(List.of("actor", "a.*", "x")));
      List<Frame> between = new ArrayList<>();
      Frame f2 = await(monitor, f -> Arrays.equals(f.uid(), c2), between);
      assertThat(f2.subject()).isEqualTo("subscribe.message");
      assertThat(f2.dataBytes()).isEqualTo(MsgPack.pack(List.of("actor", uidArg)));
      assertThat(between).isEmpty();

      // the monitor's own subscription for a sentinel, then nothing else was forwarded
      byte[] c3 = actor.command("subscribe.channel", "actor", "b");
      assertThat(E2E.next(monitor).uid()).as("channel.create was not forwarded").isEqualTo(c3);
    }
  }

  @Test
  void everyCommandButAckIsForwarded() {
    try (TestNode monitor = server.node("all-watch"); TestNode actor = server.node("acts")) {
      monitor.command("subscribe.channel", "all-watch", "system", "*");
      monitor.command("subscribe.channel", "all-watch", "system", "ack");
      E2E.barrier(monitor, "all-watch");

      actor.command("subscribe.channel", "acts", "work");
      byte[] job = actor.publish("work", "job", null);
      Frame delivered = actor.next(E2E.LONG_MS);
      assertThat(delivered.uid()).isEqualTo(job);
      actor.ack(delivered);
      List<byte[]> cmds = List.of(
          actor.command("pause"),
          actor.command("resume"),
          actor.command("unsubscribe.channel", "acts", "work"),
          actor.command("unsubscribe.message", "acts", Ulids.next()),
          actor.command("endpoint.create", "acts.more"),
          actor.command("channel.create", "sentinel.channel"));
      List<String> subjects = List.of("pause", "resume", "unsubscribe.channel", "unsubscribe.message",
          "endpoint.create", "channel.create");
      List<Frame> seen = new ArrayList<>();
      await(monitor, f -> Arrays.equals(f.uid(), cmds.get(cmds.size() - 1)), seen);
      // the monitor also sees its own acks' absence, events, and its own barrier traffic
      assertThat(seen).extracting(Frame::subject).doesNotContain("ack");
      List<String> forwarded = new ArrayList<>();
      for (Frame f : seen) {
        for (int i = 0; i < cmds.size(); i++) if (Arrays.equals(f.uid(), cmds.get(i))) forwarded.add(subjects.get(i));
      }
      forwarded.add("channel.create");
      assertThat(forwarded).containsExactlyElementsOf(subjects);
    }
  }

  @Test
  void aRefusedCommandIsNotForwarded() {
    String plain = server.token(io.wsmsg.auth.Permissions.ALL.toJson().put("admin", false));
    try (TestNode monitor = server.node("refuse-watch");
        TestNode actor = server.node("refuser", plain, WireOrder.SEED)) {
      monitor.command("subscribe.channel", "refuse-watch", "system", "channel.*");
      E2E.barrier(monitor, "refuse-watch");
      byte[] refused = actor.command("channel.size", "c", 5);
      E2E.assertError(actor, "forbidden", refused);
      byte[] ok = actor.command("channel.create", "c.sentinel");
      List<Frame> seen = new ArrayList<>();
      await(monitor, f -> Arrays.equals(f.uid(), ok), seen);
      assertThat(seen).extracting(Frame::uid).noneMatch(u -> Arrays.equals(u, refused));
    }
  }

  // ---- admin-only commands ----

  @Test
  void adminOnlyCommandsAreForbiddenForANonAdminToken() {
    String plain = server.token(null); // default permissions: admin false
    try (TestNode n = server.node("plain", plain, WireOrder.SEED)) {
      n.command("channel.create", "guarded");
      E2E.barrier(n, "plain");
      byte[] c1 = n.command("channel.size", "guarded", 5);
      E2E.assertError(n, "forbidden", c1);
      byte[] c2 = n.command("channel.priority", "guarded", 50);
      E2E.assertError(n, "forbidden", c2);
      byte[] c3 = n.command("endpoint.size", "plain", 5);
      E2E.assertError(n, "forbidden", c3);
      byte[] c4 = n.command("stop");
      E2E.assertError(n, "forbidden", c4);

      E2E.assertWorks(n, "plain");
      assertThat(server.server.registry().channel("guarded").size()).isEqualTo(10_000);
      assertThat(server.server.registry().channel("guarded").priority()).isZero();
      assertThat(server.server.registry().endpointSize("plain")).isEqualTo(10_000);
      assertThat(server.server.stopped().isComplete()).as("the server did not stop").isFalse();
    }
  }
}
