package io.wsmsg.server;

import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.registry.Subscription;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Helpers for the end-to-end tests: waiting on server state instead of sleeping, and
 * collecting frames with generous timeouts (the build machine is small and shared).
 */
final class E2e {
  /** How long to wait for something that must happen. */
  static final long LONG_MS = 20_000;
  /** How long to watch for something that must not happen (a negative check, after a positive wait). */
  static final long QUIET_MS = 400;

  private E2e() {}

  /** Waits until {@code condition} holds, polling; fails after {@link #LONG_MS}. */
  static void until(String what, BooleanSupplier condition) {
    Await.until(what, condition, Duration.ofMillis(LONG_MS));
  }

  static <T> void until(String what, Supplier<T> value, Predicate<T> condition) {
    Await.until(what, value, condition, Duration.ofMillis(LONG_MS));
  }

  static long drops(TestServer ts, Counters.Drop why) {
    return ts.server.counters().dropped(why);
  }

  /** Waits until the drop counter reaches {@code expected}. */
  static void awaitDrops(TestServer ts, Counters.Drop why, long expected) {
    until(why + " drops == " + expected, () -> drops(ts, why), n -> n == expected);
  }

  /** Messages waiting in the endpoint's queue on the gateway. */
  static int depth(TestServer ts, String endpoint) {
    return TestNode.await(ts.server.gateway().queueDepths()).getOrDefault(endpoint, 0);
  }

  static void awaitDepth(TestServer ts, String endpoint, int expected) {
    until("queue depth of " + endpoint + " == " + expected, () -> depth(ts, endpoint), d -> d == expected);
  }

  /** Waits until the registry holds a subscription of the endpoint with this channel pattern. */
  static void awaitSubscribed(TestServer ts, String endpoint, String channelPattern) {
    until(endpoint + " subscribed to " + channelPattern, () -> {
      for (Subscription s : ts.server.registry().subscriptions().of(endpoint)) {
        if (s.channel().pattern().equals(channelPattern)) return true;
      }
      return false;
    });
  }

  /** Subscribes with the node's command and waits until the registry has it. */
  static void subscribe(TestServer ts, TestNode node, String endpoint, String channel, String subject) {
    node.command("subscribe.channel", endpoint, channel, subject);
    awaitSubscribed(ts, endpoint, channel);
  }

  static void subscribe(TestServer ts, TestNode node, String endpoint, String channel) {
    subscribe(ts, node, endpoint, channel, "*");
  }

  /** Sets a channel's priority (admin node) and waits until the registry has it. */
  static void prioritize(TestServer ts, TestNode admin, String channel, int priority) {
    admin.command("channel.priority", channel, priority);
    until(channel + " priority " + priority, () -> ts.server.registry().hasChannel(channel)
        && ts.server.registry().channel(channel).priority() == priority);
  }

  static void awaitConnections(TestServer ts, long n) {
    until(n + " connections", () -> ts.server.counters().connections.get(), c -> c == n);
  }

  /**
   * Subscribes an endpoint with no node attached to everything on {@code system}, so events
   * and forwarded commands are routed somewhere and do not count as NO_ROUTE drops.
   */
  static void sinkSystem(TestServer ts, TestNode anyNode) {
    subscribe(ts, anyNode, "system-sink", "system");
  }

  /** Publishes with a uid chosen by the test (for RPC with message subscriptions). */
  static void publishWithUid(TestNode node, byte[] uid, String channel, String subject, Object data, byte[] reference) {
    Frame f = FrameCodec.encode(uid, channel, subject, reference, MsgPack.pack(data), node.order());
    node.sendRaw(f.rawBytes());
  }

  /** The next frame, waiting up to {@link #LONG_MS}. */
  static Frame next(TestNode node) {
    return node.next(LONG_MS);
  }

  /** The next {@code n} frames. */
  static List<Frame> next(TestNode node, int n) {
    List<Frame> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(next(node));
    return out;
  }

  /** The next frame on system with the subject; other frames are acked and skipped. */
  static Frame nextSystem(TestNode node, String subject) {
    long deadline = System.currentTimeMillis() + LONG_MS;
    while (true) {
      Frame f = node.next(Math.max(1, deadline - System.currentTimeMillis()));
      if ("system".equals(f.channel()) && subject.equals(f.subject())) return f;
      if (!"error".equals(f.subject()) && !"stopping".equals(f.subject())) node.ack(f);
    }
  }

  /**
   * Frames on system until one of each subject has arrived, in any order; deliveries among
   * them are acked, other frames skipped (and acked).
   */
  static java.util.Map<String, Frame> nextSystemAll(TestNode node, String... subjects) {
    java.util.Map<String, Frame> out = new java.util.HashMap<>();
    java.util.Set<String> want = java.util.Set.of(subjects);
    long deadline = System.currentTimeMillis() + LONG_MS;
    while (out.size() < want.size()) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) throw new AssertionError("only " + out.keySet() + " of " + want + " arrived");
      Frame f = node.next(left);
      boolean notice = "system".equals(f.channel()) && ("error".equals(f.subject()) || "stopping".equals(f.subject()));
      if (!notice) node.ack(f);
      if ("system".equals(f.channel()) && want.contains(f.subject())) out.putIfAbsent(f.subject(), f);
    }
    return out;
  }

  static Object data(Frame f) {
    return TestNode.data(f);
  }

  static List<Object> dataOf(List<Frame> frames) {
    List<Object> out = new ArrayList<>();
    for (Frame f : frames) out.add(data(f));
    return out;
  }

  static void assertNothing(TestNode node) {
    node.expectNothing(QUIET_MS);
  }
}
