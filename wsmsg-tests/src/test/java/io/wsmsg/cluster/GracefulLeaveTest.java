package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A graceful leave (SIGTERM) of one of three members, as separate JVM processes with the
 * mutual-TLS event bus, while numbered messages flow: every number arrives exactly once.
 * First the leaver owns the endpoint (its queue is handed over while messages keep coming),
 * then the leaver is the gateway of consumers whose endpoints another member owns (they
 * reconnect elsewhere).
 */
class GracefulLeaveTest {
  @TempDir Path dir;
  private MemberProcesses m;

  @AfterEach
  void stopEverything() throws Exception {
    if (m != null) m.close();
  }

  private void startCluster() throws Exception {
    for (int i = 0; i < 3; i++) m.start(i);
    for (int i = 0; i < 3; i++) m.awaitMembers(i, 3);
  }

  private String memberId(int i) {
    return Await.until("member " + i + "'s status", () -> m.status(i), s -> s != null).getJsonObject("cluster")
        .getString("member");
  }

  private int subscriptions(int i) {
    JsonObject s = m.status(i);
    return s == null ? -1 : s.getInteger("subscriptions");
  }

  /** Makes {@code endpoint} at member {@code at} (which claims it) and subscribes it to {@code channel}. */
  private void owned(int at, String endpoint, String channel, int... others) {
    int[] before = new int[others.length];
    for (int k = 0; k < others.length; k++) {
      int o = others[k];
      before[k] = Await.until("member " + o + "'s status", () -> subscriptions(o), c -> c >= 0);
    }
    try (TestNode n = TestNode.connect(m.clientVertx, m.ws[at], endpoint, m.token, WireOrder.SEED)) {
      n.command("subscribe.channel", endpoint, channel, "*");
      n.sync(endpoint);
    }
    String owner = memberId(at);
    for (int k = 0; k < others.length; k++) {
      int o = others[k];
      int b = before[k];
      Await.until("member " + o + " to know the subscription of " + endpoint, () -> subscriptions(o), c -> c > b);
      Await.until("member " + o + " to say " + owner + " owns " + endpoint,
          () -> MemberProcesses.owner(m.status(o), endpoint), owner::equals);
    }
  }

  private static void publishPaced(TestNode pub, String channel, int from, int to, long nanosEach) {
    long start = System.nanoTime();
    for (int i = from; i < to; i++) {
      pub.publish(channel, "n", i);
      long due = start + (i - from + 1) * nanosEach;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(wait);
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
      }
    }
  }

  /** Counts each number received on {@code channel}: true once all of 0..n-1 came. */
  private static boolean take(TestNode node, String channel, TreeMap<Integer, Integer> seen, int n, long ms) {
    Frame f = node.poll(ms);
    while (f != null) {
      if (channel.equals(f.channel())) seen.merge(((Number) TestNode.data(f)).intValue(), 1, Integer::sum);
      f = node.poll(0);
    }
    return seen.size() >= n;
  }

  private static void assertExactlyOnce(String what, TreeMap<Integer, Integer> seen, int n) {
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < n; i++) if (!seen.containsKey(i)) missing.add(i);
    List<Integer> twice = new ArrayList<>();
    seen.forEach((k, v) -> {
      if (v > 1) twice.add(k);
    });
    assertThat(missing).as(what + ": numbers never received").isEmpty();
    assertThat(twice).as(what + ": numbers received more than once").isEmpty();
    assertThat(seen.size()).as(what + ": numbers received").isEqualTo(n);
  }

  /** What the member counts as dropped, by reason (all zero when nothing was lost). */
  private JsonObject dropped(int i) {
    return Await.until("member " + i + "'s status", () -> m.status(i), s -> s != null).getJsonObject("messages")
        .getJsonObject("dropped");
  }

  private static long total(JsonObject dropped) {
    long n = 0;
    for (String k : dropped.fieldNames()) n += dropped.getLong(k);
    return n;
  }

  private void awaitCleanExit(int i) throws Exception {
    Process p = m.processes.get(i);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("exit code; log:%n%s", Files.readString(m.logs[i])).isZero();
  }

  /**
   * Q is owned by member 0 and has no node; numbered messages are published on C through
   * member 1, first a burst (so the queue handed over is large and goes in parts), then at
   * about 300/s, and member 0 gets SIGTERM meanwhile. Drained from member 2: all, once each.
   */
  @Test
  void leavingOwnerHandsOverEveryMessageInTransitExactlyOnce() throws Exception {
    m = new MemberProcesses(dir, 3, 0);
    startCluster();
    owned(0, "Q", "C", 1, 2);
    int burst = 2500; // more than one HANDOFF part (PeerMessage.HANDOFF_CHUNK)
    int total = 4000;
    try (TestNode pub = TestNode.connect(m.clientVertx, m.ws[1], "pub", m.token, WireOrder.SEED)) {
      publishPaced(pub, "C", 0, burst, 0);
      publishPaced(pub, "C", burst, burst + 150, 3_300_000L); // ~0.5 s at ~300/s
      m.processes.get(0).destroy(); // SIGTERM: a graceful leave
      publishPaced(pub, "C", burst + 150, total, 3_300_000L);
      for (Frame f = pub.poll(0); f != null; f = pub.poll(0)) {
        assertThat(f.subject()).as("the publisher at a member that stays up is refused nothing").isNotEqualTo("error");
      }
    }
    awaitCleanExit(0);
    TreeMap<Integer, Integer> seen = new TreeMap<>();
    try (TestNode q = TestNode.connect(m.clientVertx, m.ws[2], "Q", m.token, WireOrder.SEED).autoAck(true)) {
      long deadline = System.currentTimeMillis() + 30_000;
      while (!take(q, "C", seen, total, 200) && System.currentTimeMillis() < deadline) {
        // draining
      }
      take(q, "C", seen, total, 1000); // anything more would be a duplicate
    }
    assertExactlyOnce("Q drained after its owner left", seen, total);
    assertThat(total(dropped(1)) + total(dropped(2))).as("drops counted by the members that stayed: %s %s",
        dropped(1), dropped(2)).isZero();
  }

  /**
   * Endpoints W (at most once, the default) and RW (requeues unacked deliveries) are owned by
   * member 1; their consumers (window 8, acking each message as it comes) are attached
   * through member 2, which gets SIGTERM while numbered messages flow through member 0. Each
   * consumer reconnects to member 0 when its connection closes. Each gets every number once:
   * the stopping gateway took nothing new after it said {@code stopping}, and gave back what
   * it held unwritten.
   */
  @Test
  void stoppingGatewayOfRemoteConsumersGivesBackWhatItHeld() throws Exception {
    m = new MemberProcesses(dir, 3, 0);
    m.extraConf = new JsonObject().put("endpoints", new JsonObject().put("requeueUnacked", new JsonArray().add("RW")));
    startCluster();
    owned(1, "W", "D", 0, 2);
    owned(1, "RW", "D", 0, 2);
    int total = 1500;
    String[] names = {"W", "RW"};
    List<TreeMap<Integer, Integer>> seen = List.of(new TreeMap<>(), new TreeMap<>());
    List<TestNode> first = new ArrayList<>();
    for (String ep : names) {
      first.add(TestNode.connect(m.clientVertx, m.ws[2], ep + "?window=8", m.token, WireOrder.SEED).autoAck(true));
    }
    try (TestNode pub = TestNode.connect(m.clientVertx, m.ws[0], "pub", m.token, WireOrder.SEED)) {
      // the consumers must be served before the stop, for it to find deliveries in flight
      pub.publish("D", "n", 0);
      for (int k = 0; k < 2; k++) {
        int kk = k;
        Await.until(names[k] + "'s consumer to get the first number", () -> take(first.get(kk), "D", seen.get(kk), 1, 100),
            done -> done);
      }
      publishPaced(pub, "D", 1, 500, 3_300_000L);
      m.processes.get(2).destroy(); // SIGTERM the consumers' gateway
      publishPaced(pub, "D", 500, total, 3_300_000L);
    }
    List<TestNode> second = new ArrayList<>();
    try {
      for (int k = 0; k < 2; k++) {
        TestNode a = first.get(k);
        while (!a.isClosed()) take(a, "D", seen.get(k), total, 100);
        take(a, "D", seen.get(k), total, 0);
        assertThat((int) a.awaitClose()).as("the stopping gateway closes with 1001").isEqualTo(1001);
        a.close();
        second.add(TestNode.connect(m.clientVertx, m.ws[0], names[k] + "?window=8", m.token, WireOrder.SEED)
            .autoAck(true));
      }
      for (int k = 0; k < 2; k++) {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!take(second.get(k), "D", seen.get(k), total, 200) && System.currentTimeMillis() < deadline) {
          // draining
        }
        take(second.get(k), "D", seen.get(k), total, 1000);
      }
    } finally {
      for (TestNode n : second) n.close();
    }
    awaitCleanExit(2);
    for (int k = 0; k < 2; k++) assertExactlyOnce(names[k] + " across the restart of its gateway", seen.get(k), total);
    assertThat(total(dropped(1))).as("drops counted by the owner: %s", dropped(1)).isZero();
  }
}
