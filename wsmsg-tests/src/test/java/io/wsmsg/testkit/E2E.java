package io.wsmsg.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Uid;
import io.wsmsg.registry.Subscription;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Helpers shared by the end-to-end tests: waiting on server state instead of sleeping,
 * collecting frames, asserting error notices, and frames packed independently of FrameCodec.
 * Everything waits for an event with a generous deadline (the build machine is small and
 * shared); nothing asserts on speed.
 */
public final class E2E {
  /** How long to wait for something that must happen. */
  public static final long LONG_MS = 20_000;
  /** How long to watch for something that must not happen (a pass can only be weakened by load, never broken). */
  public static final long QUIET_MS = 400;

  private static final AtomicInteger SEQ = new AtomicInteger();

  private E2E() {}

  // ---- waiting on server state ----

  /** Waits until {@code condition} holds, polling; fails after {@link #LONG_MS}. */
  public static void until(String what, BooleanSupplier condition) {
    Await.until(what, condition, Duration.ofMillis(LONG_MS));
  }

  public static <T> void until(String what, Supplier<T> value, Predicate<T> condition) {
    Await.until(what, value, condition, Duration.ofMillis(LONG_MS));
  }

  public static long drops(TestServer ts, Counters.Drop why) {
    return ts.server.counters().dropped(why);
  }

  /** Waits until the drop counter reaches {@code expected}. */
  public static void awaitDrops(TestServer ts, Counters.Drop why, long expected) {
    until(why + " drops == " + expected, () -> drops(ts, why), n -> n == expected);
  }

  /** Messages waiting in the endpoint's queue on the gateway. */
  public static int depth(TestServer ts, String endpoint) {
    return ts.queueDepth(endpoint);
  }

  public static void awaitDepth(TestServer ts, String endpoint, int expected) {
    until("queue depth of " + endpoint + " == " + expected, () -> depth(ts, endpoint), d -> d == expected);
  }

  /** Waits until the registry holds a subscription of the endpoint with this channel pattern. */
  public static void awaitSubscribed(TestServer ts, String endpoint, String channelPattern) {
    until(endpoint + " subscribed to " + channelPattern, () -> {
      for (Subscription s : ts.server.registry().subscriptions().of(endpoint)) {
        if (s.channel().pattern().equals(channelPattern)) return true;
      }
      return false;
    });
  }

  /** Subscribes with the node's command and waits until the registry has it. */
  public static void subscribe(TestServer ts, TestNode node, String endpoint, String channel, String subject) {
    node.command("subscribe.channel", endpoint, channel, subject);
    awaitSubscribed(ts, endpoint, channel);
  }

  public static void subscribe(TestServer ts, TestNode node, String endpoint, String channel) {
    subscribe(ts, node, endpoint, channel, "*");
  }

  /** Sets a channel's priority (admin node) and waits until the registry has it. */
  public static void prioritize(TestServer ts, TestNode admin, String channel, int priority) {
    admin.command("channel.priority", channel, priority);
    until(channel + " priority " + priority, () -> ts.server.registry().hasChannel(channel)
        && ts.server.registry().channel(channel).priority() == priority);
  }

  public static void awaitConnections(TestServer ts, long n) {
    until(n + " connections", () -> ts.server.counters().connections.get(), c -> c == n);
  }

  /**
   * Subscribes an endpoint with no node attached to everything on {@code system}, so events
   * and forwarded commands are routed somewhere and do not count as NO_ROUTE drops.
   */
  public static void sinkSystem(TestServer ts, TestNode anyNode) {
    subscribe(ts, anyNode, "system-sink", "system");
  }

  // ---- sending ----

  private static String unique(String prefix) {
    return prefix + "." + SEQ.incrementAndGet();
  }

  /** Publishes with a uid chosen by the test (for RPC with message subscriptions). */
  public static void publishWithUid(TestNode node, byte[] uid, String channel, String subject, Object data,
      byte[] reference) {
    Frame f = FrameCodec.encode(uid, channel, subject, reference, MsgPack.pack(data), node.order());
    node.sendRaw(f.rawBytes());
  }

  /**
   * Proves that everything {@code n} sent before has been carried out: subscribes its own
   * endpoint to a fresh channel, publishes there and waits for the message. Commands of one
   * node are applied in order and a node's next message sees them, so once this returns the
   * earlier commands are in effect for every node.
   */
  public static void barrier(TestNode n, String ownEndpoint) {
    String ch = unique("barrier");
    n.command("subscribe.channel", ownEndpoint, ch);
    byte[] uid = n.publish(ch, "barrier", null);
    awaitUid(n, uid);
  }

  // ---- receiving: without acknowledging (the test decides when to ack) ----

  /** The next frame, waiting up to {@link #LONG_MS}, not acknowledged. */
  public static Frame nextUnacked(TestNode node) {
    return node.next(LONG_MS);
  }

  /** The next {@code n} frames, not acknowledged. */
  public static List<Frame> nextUnacked(TestNode node, int n) {
    List<Frame> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(nextUnacked(node));
    return out;
  }

  /** The next frame on system with the subject, not acknowledged; other frames are acked and skipped. */
  public static Frame nextSystem(TestNode node, String subject) {
    long deadline = System.currentTimeMillis() + LONG_MS;
    while (true) {
      Frame f = node.next(Math.max(1, deadline - System.currentTimeMillis()));
      if ("system".equals(f.channel()) && subject.equals(f.subject())) return f;
      if (!isNotice(f)) node.ack(f);
    }
  }

  /**
   * Frames on system until one of each subject has arrived, in any order; deliveries among
   * them are acked, other frames skipped (and acked).
   */
  public static Map<String, Frame> nextSystemAll(TestNode node, String... subjects) {
    Map<String, Frame> out = new HashMap<>();
    Set<String> want = Set.of(subjects);
    long deadline = System.currentTimeMillis() + LONG_MS;
    while (out.size() < want.size()) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) throw new AssertionError("only " + out.keySet() + " of " + want + " arrived");
      Frame f = node.next(left);
      if (!isNotice(f)) node.ack(f);
      if ("system".equals(f.channel()) && want.contains(f.subject())) out.putIfAbsent(f.subject(), f);
    }
    return out;
  }

  // ---- receiving: acknowledging every delivery taken ----

  private static boolean isNotice(Frame f) {
    return "system".equals(f.channel()) && ("error".equals(f.subject()) || "stopping".equals(f.subject()));
  }

  /**
   * Waits for the first frame matching {@code p}, acknowledging every delivery it takes
   * (skipped ones and the match; notices need no ack). Frames skipped on the way are returned
   * in {@code skipped} when it is not null.
   */
  public static Frame await(TestNode n, Predicate<Frame> p, List<Frame> skipped) {
    long deadline = System.currentTimeMillis() + LONG_MS;
    List<Frame> seen = new ArrayList<>();
    while (true) {
      long left = deadline - System.currentTimeMillis();
      Frame f = left > 0 ? n.poll(left) : null;
      if (f == null) throw new AssertionError("nothing matching arrived within " + LONG_MS + " ms; got " + seen);
      if (!isNotice(f)) n.ack(f);
      if (p.test(f)) return f;
      seen.add(f);
      if (skipped != null) skipped.add(f);
    }
  }

  public static Frame await(TestNode n, Predicate<Frame> p) {
    return await(n, p, null);
  }

  /** The next frame, whatever it is, acknowledged when it is a delivery. */
  public static Frame next(TestNode n) {
    Frame f = n.next(LONG_MS);
    if (!isNotice(f)) n.ack(f);
    return f;
  }

  /** The delivery with this uid. */
  public static Frame awaitUid(TestNode n, byte[] uid) {
    return await(n, f -> Arrays.equals(f.uid(), uid));
  }

  /** The deliveries with these uids, in whatever order they come (others are acked and skipped). */
  public static Map<Uid, Frame> awaitUids(TestNode n, byte[]... uids) {
    Map<Uid, Frame> got = new HashMap<>();
    Set<Uid> want = new HashSet<>();
    for (byte[] u : uids) want.add(Uid.of(u));
    while (!got.keySet().containsAll(want)) {
      Frame f = await(n, x -> want.contains(Uid.of(x.uid())));
      got.put(Uid.of(f.uid()), f);
    }
    return got;
  }

  public static Frame awaitSystem(TestNode n, String subject) {
    return await(n, f -> "system".equals(f.channel()) && subject.equals(f.subject()));
  }

  /** The next error notice; other frames met on the way are acked and skipped. */
  private static Frame awaitError(TestNode n) {
    return awaitSystem(n, "error");
  }

  // ---- asserting ----

  /**
   * Asserts the next error says {@code code} with a sentence, referencing {@code reference}
   * (null: the reference must be nil), and returns its text.
   */
  public static String assertError(TestNode n, String code, byte[] reference) {
    Frame e = awaitError(n);
    Object data = TestNode.data(e);
    assertThat(data).as("error data is [code, text]").isInstanceOf(List.class);
    List<?> args = (List<?>) data;
    assertThat(args).hasSize(2);
    assertThat(args.get(0)).as("error code; text: %s", args.get(1)).isEqualTo(code);
    assertThat(args.get(1)).isInstanceOf(String.class);
    assertThat(((String) args.get(1)).trim()).as("error text").hasSizeGreaterThan(10);
    if (reference == null) {
      assertThat(e.reference()).as("error reference").isNull();
    } else {
      assertThat(e.reference()).as("error reference = the offending uid").isEqualTo(reference);
    }
    return (String) args.get(1);
  }

  /**
   * Shows a connection is open and works: the node subscribes its own endpoint to a fresh
   * channel, publishes a message there and receives it intact.
   */
  public static void assertWorks(TestNode n, String ownEndpoint) {
    String ch = unique("works");
    n.command("subscribe.channel", ownEndpoint, ch, "*");
    byte[] uid = n.publish(ch, "still.here", List.of("ok", 42));
    Frame f = awaitUid(n, uid);
    assertThat(f.channel()).isEqualTo(ch);
    assertThat(TestNode.data(f)).isEqualTo(List.of("ok", 42L));
  }

  /** Watches for {@link #QUIET_MS} that nothing arrives. */
  public static void assertNothing(TestNode node) {
    node.expectNothing(QUIET_MS);
  }

  /** Waits until the server closes the connection; returns the close code. */
  public static short awaitClose(TestNode n) {
    return n.awaitClose();
  }

  // ---- data ----

  public static Object data(Frame f) {
    return TestNode.data(f);
  }

  public static List<Object> dataOf(List<Frame> frames) {
    List<Object> out = new ArrayList<>();
    for (Frame f : frames) out.add(data(f));
    return out;
  }

  public static String text(Object o) {
    return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
  }

  /** A frame built with msgpack-core's packer, independently of FrameCodec. */
  public static byte[] packSeed(byte[] uid, String channel, String subject, byte[] reference, Packing data) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      p.packArrayHeader(5);
      p.packBinaryHeader(uid.length).writePayload(uid);
      p.packString(channel);
      p.packString(subject);
      if (reference == null) p.packNil();
      else p.packBinaryHeader(reference.length).writePayload(reference);
      data.pack(p);
      return p.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] packLegacy(byte[] uid, byte[] reference, String channel, String subject, Packing data) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      p.packArrayHeader(5);
      p.packBinaryHeader(uid.length).writePayload(uid);
      if (reference == null) p.packNil();
      else p.packBinaryHeader(reference.length).writePayload(reference);
      p.packString(channel);
      p.packString(subject);
      data.pack(p);
      return p.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Any packing (a few elements, or none). */
  public static byte[] pack(Packing what) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      what.pack(p);
      return p.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FunctionalInterface
  public interface Packing {
    void pack(MessageBufferPacker p) throws IOException;
  }
}
