package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.f4b6a3.ulid.Ulid;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.client.ClientOptions;
import io.wsmsg.client.Message;
import io.wsmsg.client.WsmsgClient;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 9 item 6: a reply reaches only its requester. The attack: watch {@code system} for
 * another node's {@code subscribe.message} (it carries the request uid), or guess the next
 * uid of a client whose uids are monotonic, then subscribe one's own endpoint to that uid
 * and receive a copy of the reply.
 */
class ReplyPrivacyTest extends ServerTestBase {
  TestServer server;
  Vertx clientVertx;

  @BeforeEach
  void start() {
    server = startServer();
    clientVertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    TestNode.await(clientVertx.close());
  }

  private String token(String sub, JsonObject claim) {
    return server.token(sub, claim);
  }

  private TestNode node(String endpoint, String token) {
    return server.node(endpoint, token, WireOrder.SEED).autoAck(true);
  }

  /** The error notice that answers the frame {@code uid}. */
  private static Frame errorFor(TestNode n, byte[] uid) {
    while (true) {
      Frame f = n.nextSystem("error");
      if (Arrays.equals(f.reference(), uid)) return f;
    }
  }

  /** Every frame up to and including the first one {@code last} accepts. */
  private static List<Frame> until(TestNode n, Predicate<Frame> last) {
    List<Frame> out = new ArrayList<>();
    while (true) {
      Frame f = n.next();
      out.add(f);
      if (last.test(f)) return out;
    }
  }

  private static Predicate<Frame> joined(String endpoint) {
    return f -> "system".equals(f.channel()) && "node.joined".equals(f.subject())
        && endpoint.equals(((List<?>) TestNode.data(f)).get(0));
  }

  private static boolean isCommand(Frame f) {
    return "system".equals(f.channel()) && !io.wsmsg.protocol.SystemEvents.isEvent(f.subject());
  }

  private void waitForSubscription(String endpoint) {
    io.wsmsg.testkit.Await.until("a subscription of " + endpoint,
        () -> !server.server.registry().subscriptions().of(endpoint).isEmpty());
  }

  @Test
  void aTokenWithTheDefaultGrantCannotSubscribeToSystemByAnyPattern() {
    try (TestNode b = node("mallory", token("mallory", null))) {
      for (String pattern : List.of("system", "*", "sys*", "[s]ystem", "?ystem", "s*m", "[!x]*", "*[m]")) {
        byte[] uid = b.command("subscribe.channel", "mallory", pattern);
        List<?> data = (List<?>) TestNode.data(errorFor(b, uid));
        assertThat(data.get(0)).as("pattern %s", pattern).isEqualTo("forbidden");
        assertThat((String) data.get(1)).contains(pattern);
      }
      byte[] ok = b.command("subscribe.channel", "mallory", "orders.*");
      b.command("subscribe.channel", "mallory", "sys"); // cannot match system: allowed
      waitForSubscription("mallory");
      assertThat(server.server.registry().subscriptions().of("mallory"))
          .extracting(s -> s.channel().pattern()).doesNotContain("system", "*", "sys*", "[s]ystem");
      assertThat(ok).isNotNull();
    }
  }

  @Test
  void anExplicitSystemGrantSeesEventsButNotOtherNodesCommands() {
    JsonObject monitorClaim = new JsonObject().put("endpoints", new JsonArray().add("watch"))
        .put("publish", new JsonArray()).put("subscribe", new JsonArray().add("system"));
    try (TestNode admin = node("ops", server.adminToken());
        TestNode watcher = node("watch", token("watcher", monitorClaim))) {
      admin.command("subscribe.channel", "ops", "system", "*");
      waitForSubscription("ops");
      watcher.command("subscribe.channel", "watch", "system", "*");
      waitForSubscription("watch");

      byte[] request = Ulids.next();
      try (TestNode alice = node("alice", token("alice", null))) {
        byte[] cmd = alice.command("subscribe.message", "alice", request, 30);
        // the admin monitor still sees other nodes' commands, request uid included
        List<Frame> seen = until(admin, f -> Arrays.equals(f.uid(), cmd));
        Frame forwarded = seen.get(seen.size() - 1);
        assertThat(forwarded.subject()).isEqualTo("subscribe.message");
        assertThat(((List<?>) TestNode.data(forwarded)).get(1)).isEqualTo(request);
        // an event after the command: whatever the watcher got before it is all it will get of that time
        try (TestNode late = node("late", server.adminToken())) {
          List<Frame> got = until(watcher, joined("late"));
          assertThat(got).as("events reach the non-admin monitor").anyMatch(joined("alice"));
          assertThat(got).as("but no command of another node").noneMatch(ReplyPrivacyTest::isCommand);
          assertThat(got).noneMatch(f -> f.uid() != null && Arrays.equals(f.uid(), cmd));
          until(admin, joined("late"));
        }
      }
    }
  }

  @Test
  void aReplyReachesOnlyItsRequester() {
    // mallory may watch system (an explicit grant) and read one public channel of alice's
    JsonObject malloryClaim = new JsonObject().put("endpoints", new JsonArray().add("mallory"))
        .put("publish", new JsonArray().add("*"))
        .put("subscribe", new JsonArray().add("system").add("public.*"));
    try (TestNode responder = node("svc", server.adminToken());
        TestNode mallory = node("mallory", token("mallory", malloryClaim))) {
      responder.command("subscribe.channel", "svc", "rpc", "*.request");
      waitForSubscription("svc");
      mallory.command("subscribe.channel", "mallory", "system", "*");
      mallory.command("subscribe.channel", "mallory", "public.*");
      io.wsmsg.testkit.Await.until("mallory's 2 subscriptions",
          () -> server.server.registry().subscriptions().of("mallory").size(), n -> n >= 2);

      WsmsgClient alice = TestNode.await(WsmsgClient.connect(clientVertx, new ClientOptions()
          .url("ws://127.0.0.1:" + server.port() + "/").token(token("alice", null))
          .confirmTimeout(Duration.ofSeconds(60))));
      try {
        // mallory learns one of alice's uids legitimately, then guesses the ones that follow
        Ulid seen = TestNode.await(alice.publish("public.news", "hello", "hi"));
        Frame news = mallory.nextMessage();
        assertThat(news.uid()).isEqualTo(seen.toBytes());
        Ulid guess = seen;
        for (int i = 0; i < 32; i++) {
          guess = guess.increment();
          mallory.command("subscribe.message", "mallory", guess.toBytes(), 30);
        }
        io.wsmsg.testkit.Await.until("mallory's 32 guesses applied",
            () -> server.server.registry().messageSubscriptions().copy().values().stream()
                .filter(m -> m.containsKey("mallory")).count(), n -> n >= 32);
        Future<Message> reply = alice.request("rpc", "add.request", List.of(2, 3), Duration.ofSeconds(30));
        Frame req = responder.nextMessage();
        responder.publish("rpc", "add.reply", 5L, req.uid());
        assertThat(TestNode.await(reply).data()).isEqualTo(5L);

        // an event after the reply closes the window: nothing of the request reached mallory
        try (TestNode late = node("late-after-reply", server.adminToken())) {
          List<Frame> got = until(mallory, joined("late-after-reply"));
          assertThat(got).as("no reply").noneMatch(f -> "rpc".equals(f.channel()));
          assertThat(got).as("no request uid seen on system").noneMatch(ReplyPrivacyTest::isCommand);
          assertThat(got).noneMatch(f -> f.reference() != null && Arrays.equals(f.reference(), req.uid()));
        }
        assertThat(req.uid()).as("the request uid was not guessable").isNotEqualTo(seen.increment().toBytes());
      } finally {
        TestNode.await(alice.close());
      }
    }
  }

  @Test
  void forwardedPauseAndResumeCarryNoClientData() {
    try (TestNode admin = node("ops", server.adminToken()); TestNode x = node("x", token("x", null))) {
      admin.command("subscribe.channel", "ops", "system", "*");
      waitForSubscription("ops");
      byte[] secret = "private bytes the monitor must not see".getBytes();
      byte[] pause = x.command("pause", "secret", secret);
      byte[] resume = x.command("resume", List.of(1, 2, 3));
      List<Frame> got = until(admin, f -> Arrays.equals(f.uid(), resume));
      Frame p = got.stream().filter(f -> Arrays.equals(f.uid(), pause)).findFirst().orElseThrow();
      assertThat(p.subject()).isEqualTo("pause");
      assertThat(TestNode.data(p)).isEqualTo(List.of());
      assertThat(TestNode.data(got.get(got.size() - 1))).isEqualTo(List.of());
      assertThat(new String(p.rawBytes(), java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("private");
    }
  }

  @Test
  void clientUidsFollowNoSequence() {
    WsmsgClient c = TestNode.await(WsmsgClient.connect(clientVertx, new ClientOptions()
        .url("ws://127.0.0.1:" + server.port() + "/").token(server.adminToken())));
    try {
      int differentFirstRandomByte = 0;
      Ulid prev = TestNode.await(c.publish("nowhere", "x", null));
      for (int i = 0; i < 40; i++) {
        Ulid next = TestNode.await(c.publish("nowhere", "x", null));
        assertThat(next).as("not the previous uid plus one").isNotEqualTo(prev.increment());
        if (prev.toBytes()[6] != next.toBytes()[6]) differentFirstRandomByte++;
        prev = next;
      }
      // a monotonic ULID keeps its random part within a millisecond; random ones differ at once
      assertThat(differentFirstRandomByte).isGreaterThan(30);
      byte[] a = Ulids.next();
      byte[] b = Ulids.next();
      assertThat(Ulid.from(b)).isNotEqualTo(Ulid.from(a).increment());
      assertThat(Arrays.copyOfRange(a, 6, 12)).isNotEqualTo(Arrays.copyOfRange(b, 6, 12));
    } finally {
      TestNode.await(c.close());
    }
  }

  @Test
  void aNonAdminNodeOnAnAdminsMonitorEndpointIsNotShownOtherNodesCommands() {
    // the admin's monitor endpoint watches forwarded subscribe.message commands
    try (TestNode admin = server.node("monitor").autoAck(true)) {
      admin.command("subscribe.channel", "monitor", "system", "subscribe.*");
      admin.sync("monitor");
    }
    // a token with the default grant (endpoints *) attaches to that endpoint and waits
    try (TestNode snoop = node("monitor", token("mallory", null));
        TestNode requester = node("alice~req", token("alice", null))) {
      snoop.sync("monitor");
      long before = server.server.counters().dropped(io.wsmsg.metrics.Counters.Drop.FORBIDDEN);
      byte[] request = Ulids.next();
      requester.command("subscribe.message", "alice~req", request, 30);
      requester.sync("alice~req"); // applied, and forwarded to the monitor endpoint by now
      io.wsmsg.testkit.Await.until("the forwarded command reached the monitor endpoint",
          () -> server.server.counters().dropped(io.wsmsg.metrics.Counters.Drop.FORBIDDEN), n -> n > before);
      // the snoop saw nothing of it: not the command, not the request uid
      for (Frame f; (f = snoop.poll(300)) != null; ) {
        assertThat(f.subject()).as("frames shown to a non-admin node").doesNotStartWith("subscribe.");
      }
    }
  }
}
