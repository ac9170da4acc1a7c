package io.wsmsg.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A graceful stop writes the state; the next start on the same data directory restores it. */
class RestartTest extends ServerTestBase {
  @TempDir Path dataDir;
  TestServer server;


  private TestServer start(JsonObject extra) {
    JsonObject conf = new JsonObject().put("dataDir", dataDir.toString());
    if (extra != null) extra.forEach(e -> conf.put(e.getKey(), e.getValue()));
    return startServer(conf);
  }

  private void awaitQueued(String endpoint, int n) {
    Await.until("endpoint " + endpoint + " holds " + n, () -> server.queueDepth(endpoint), depth -> depth == n,
        Duration.ofMillis(TestNode.WAIT_MS));
  }

  @Test
  void queuedMessagesSurviveAndComeOutInPriorityOrder() throws Exception {
    server = start(null);
    try (TestNode admin = server.node("admin")) {
      admin.command("channel.priority", "urgent", 9);
      admin.command("subscribe.channel", "offline", "routine", "*");
      admin.command("subscribe.channel", "offline", "urgent", "*");
      admin.publish("routine", "r1", 1);
      admin.publish("urgent", "u1", 2);
      admin.publish("routine", "r2", 3);
      admin.publish("urgent", "u2", 4);
      awaitQueued("offline", 4);
    }
    server.stopGracefully();
    assertThat(Files.exists(dataDir.resolve(StateStore.FILE))).isTrue();

    server = start(null);
    assertThat(Files.exists(dataDir.resolve(StateStore.FILE))).as("moved aside once loaded").isFalse();
    try (TestNode node = server.node("offline")) {
      List<String> subjects = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Frame f = node.nextMessage();
        subjects.add(f.subject());
        node.ack(f);
      }
      assertThat(subjects).containsExactly("u1", "u2", "r1", "r2");
      // the subscriptions came back too: a new publish is routed to the endpoint
      try (TestNode pub = server.node("publisher")) {
        pub.publish("routine", "after-restart", "x");
      }
      assertThat(node.nextMessage().subject()).isEqualTo("after-restart");
    }
  }

  @Test
  void aMessageSubscriptionSurvivesSoAReplyAfterTheRestartReachesTheRequester() throws Exception {
    server = start(null);
    byte[] requestUid = Ulids.next();
    try (TestNode requester = server.node("app")) {
      requester.command("subscribe.message", "app", requestUid, 600);
      requester.publish("calc", "add.request", List.of(2, 3));
    }
    server.stopGracefully();

    server = start(null);
    try (TestNode responder = server.node("calc"); TestNode requester = server.node("app")) {
      responder.publish("calc", "add.reply", 5, requestUid);
      Frame reply = requester.nextMessage();
      assertThat(reply.reference()).isEqualTo(requestUid);
      assertThat(TestNode.data(reply)).isEqualTo(5L);
    }
  }

  @Test
  void messagesOlderThanTheTtlAreNotResurrected() throws Exception {
    JsonObject shortTtl = new JsonObject().put("endpoints", new JsonObject().put("ttlSeconds", 1));
    server = start(shortTtl);
    try (TestNode admin = server.node("admin")) {
      admin.command("subscribe.channel", "offline", "news", "*");
      admin.publish("news", "old", 1);
      awaitQueued("offline", 1);
    }
    TestServer first = server;
    server.stopGracefully();
    Thread.sleep(1500); // the point: the 1 s TTL runs out while no server holds the message

    server = start(shortTtl);
    // expired at the load, or already while the first server stopped (a slow stop can take
    // longer than the 1 s TTL): either way counted once, and never delivered
    assertThat(first.server.counters().dropped(Counters.Drop.TTL) + server.server.counters().dropped(Counters.Drop.TTL))
        .isEqualTo(1);
    try (TestNode node = server.node("offline")) {
      node.expectNothing(500);
    }
  }

  @Test
  void anUnreadableSnapshotIsKeptAsideAndTheServerStartsEmpty() throws Exception {
    Files.createDirectories(dataDir);
    byte[] junk = "WSMSGSNP but then nothing sensible".getBytes();
    Files.write(dataDir.resolve(StateStore.FILE), junk);
    server = start(null);
    assertThat(server.server.registry().subscriptions().size()).isZero();
    try (var files = Files.list(dataDir)) {
      Path aside = files.filter(p -> p.toString().endsWith(".unreadable")).findFirst().orElseThrow();
      assertThat(Files.readAllBytes(aside)).isEqualTo(junk);
    }
    try (TestNode a = server.node("a")) {
      a.command("subscribe.channel", "a", "ping");
      a.publish("ping", "p", 1);
      assertThat(a.nextMessage().subject()).isEqualTo("p");
    }
  }
}
