package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.TestNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Helpers shared by the end-to-end tests. Everything waits for an event with a generous
 * deadline (the machine is small and busy); nothing asserts on speed.
 */
final class E2E {
  /** How long to wait for something that must happen. */
  static final long LONG_MS = 20_000;
  /** How long to watch for something that must not happen (a pass can only be weakened by load, never broken). */
  static final long QUIET_MS = 400;

  private static final AtomicInteger SEQ = new AtomicInteger();

  private E2E() {}

  static String unique(String prefix) {
    return prefix + "." + SEQ.incrementAndGet();
  }

  static boolean isNotice(Frame f) {
    return "system".equals(f.channel()) && ("error".equals(f.subject()) || "stopping".equals(f.subject()));
  }

  /**
   * Waits for the first frame matching {@code p}, acknowledging every delivery it takes
   * (skipped ones and the match; notices need no ack). Frames skipped on the way are returned
   * in {@code skipped} when it is not null.
   */
  static Frame await(TestNode n, Predicate<Frame> p, List<Frame> skipped) {
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

  static Frame await(TestNode n, Predicate<Frame> p) {
    return await(n, p, null);
  }

  /** The next frame, whatever it is, acknowledged when it is a delivery. */
  static Frame next(TestNode n) {
    Frame f = n.next(LONG_MS);
    if (!isNotice(f)) n.ack(f);
    return f;
  }

  /** The delivery with this uid. */
  static Frame awaitUid(TestNode n, byte[] uid) {
    return await(n, f -> Arrays.equals(f.uid(), uid));
  }

  /** The deliveries with these uids, in whatever order they come (others are acked and skipped). */
  static java.util.Map<io.wsmsg.protocol.Uid, Frame> awaitUids(TestNode n, byte[]... uids) {
    java.util.Map<io.wsmsg.protocol.Uid, Frame> got = new java.util.HashMap<>();
    java.util.Set<io.wsmsg.protocol.Uid> want = new java.util.HashSet<>();
    for (byte[] u : uids) want.add(io.wsmsg.protocol.Uid.of(u));
    while (!got.keySet().containsAll(want)) {
      Frame f = await(n, x -> want.contains(io.wsmsg.protocol.Uid.of(x.uid())));
      got.put(io.wsmsg.protocol.Uid.of(f.uid()), f);
    }
    return got;
  }

  /** The next message on a channel other than system (events skipped and acked). */
  static Frame nextMessage(TestNode n) {
    return await(n, f -> !"system".equals(f.channel()));
  }

  static Frame awaitSystem(TestNode n, String subject) {
    return await(n, f -> "system".equals(f.channel()) && subject.equals(f.subject()));
  }

  /** The next error notice; other frames met on the way are acked and skipped. */
  static Frame awaitError(TestNode n) {
    return awaitSystem(n, "error");
  }

  /**
   * Asserts the next error says {@code code} with a sentence, referencing {@code reference}
   * (null: the reference must be nil), and returns its text.
   */
  static String assertError(TestNode n, String code, byte[] reference) {
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
   * Proves that everything {@code n} sent before has been carried out: subscribes its own
   * endpoint to a fresh channel, publishes there and waits for the message. Commands of one
   * node are applied in order and a node's next message sees them, so once this returns the
   * earlier commands are in effect for every node.
   */
  static void barrier(TestNode n, String ownEndpoint) {
    String ch = unique("barrier");
    n.command("subscribe.channel", ownEndpoint, ch);
    byte[] uid = n.publish(ch, "barrier", null);
    awaitUid(n, uid);
  }

  /**
   * Shows a connection is open and works: the node subscribes its own endpoint to a fresh
   * channel, publishes a message there and receives it intact.
   */
  static void assertWorks(TestNode n, String ownEndpoint) {
    String ch = unique("works");
    n.command("subscribe.channel", ownEndpoint, ch, "*");
    byte[] uid = n.publish(ch, "still.here", List.of("ok", 42));
    Frame f = awaitUid(n, uid);
    assertThat(f.channel()).isEqualTo(ch);
    assertThat(TestNode.data(f)).isEqualTo(List.of("ok", 42L));
  }

  /** Waits until the server closes the connection; returns the close code. */
  static short awaitClose(TestNode n) {
    long deadline = System.currentTimeMillis() + LONG_MS;
    while (!n.isClosed() && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    return n.awaitClose();
  }

  static String text(Object o) {
    return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
  }

  /** A frame built with msgpack-core's packer, independently of FrameCodec. */
  static byte[] packSeed(byte[] uid, String channel, String subject, byte[] reference, Packing data) {
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

  static byte[] packLegacy(byte[] uid, byte[] reference, String channel, String subject, Packing data) {
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
  static byte[] pack(Packing what) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      what.pack(p);
      return p.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FunctionalInterface
  interface Packing {
    void pack(MessageBufferPacker p) throws IOException;
  }
}
