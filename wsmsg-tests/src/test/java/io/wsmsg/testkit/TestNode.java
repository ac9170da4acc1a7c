package io.wsmsg.testkit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.ProtocolException;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A small test-side node that speaks the wire protocol directly over a real WebSocket: sends
 * frames, collects what the server sends, acks on request or automatically. Blocking calls
 * are meant for the test thread, never an event loop.
 */
public final class TestNode implements AutoCloseable {
  /**
   * How long to wait for something that must happen (a frame, a close, a future). Generous:
   * a passing test waits only as long as it must, and on two busy shared cores a delivery
   * through a cluster has been seen to take over 10 s. Nothing relies on it running out.
   */
  public static final long WAIT_MS = 30_000;

  private final WebSocketClient client; // kept in a field: an unreferenced client is closed by a cleaner
  private final WebSocket ws;
  private final WireOrder order;
  private final LinkedBlockingQueue<Frame> received = new LinkedBlockingQueue<>();
  private final List<Frame> notices = new ArrayList<>();
  private final CompletableFuture<Short> closed = new CompletableFuture<>();
  private volatile boolean autoAck;

  private TestNode(WebSocketClient client, WebSocket ws, WireOrder order) {
    this.client = client;
    this.ws = ws;
    this.order = order;
    ws.binaryMessageHandler(b -> {
      try {
        Frame f = FrameCodec.decode(b.getBytes());
        received.add(f);
        if (autoAck && !isNotice(f)) ack(f);
      } catch (ProtocolException e) {
        throw new AssertionError("the server sent a frame that is not a wsmsg message: " + e.getMessage());
      }
    });
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
  }

  private static boolean isNotice(Frame f) {
    return "system".equals(f.channel()) && ("error".equals(f.subject()) || "stopping".equals(f.subject()));
  }

  /** Connects to {@code ws://127.0.0.1:port/<path>} with an optional bearer token; fails on a refused upgrade. */
  public static TestNode connect(Vertx vertx, int port, String pathAndQuery, String token, WireOrder order) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(16 << 20)
        .setMaxMessageSize(16 << 20));
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI(pathAndQuery.startsWith("/") ? pathAndQuery : "/" + pathAndQuery);
    if (token != null) o.addHeader("Authorization", "Bearer " + token);
    // handlers go on before the handshake: a node attaching to an endpoint with queued
    // messages may receive one right after the upgrade, before connect() returns
    io.vertx.core.http.ClientWebSocket ws = client.webSocket();
    TestNode node = new TestNode(client, ws, order == null ? WireOrder.SEED : order);
    await(ws.connect(o));
    return node;
  }

  /** Attempts an upgrade and returns the HTTP status of the refusal (or 101 when it succeeded). */
  public static int upgradeStatus(Vertx vertx, int port, String pathAndQuery, String authorizationHeader) {
    WebSocketClient client = vertx.createWebSocketClient();
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(pathAndQuery);
    if (authorizationHeader != null) o.addHeader("Authorization", authorizationHeader);
    try {
      WebSocket ws = await(client.connect(o));
      await(ws.close());
      return 101;
    } catch (RuntimeException e) {
      Throwable c = e.getCause() != null ? e.getCause() : e;
      if (c instanceof io.vertx.core.http.UpgradeRejectedException u) return u.getStatus();
      throw e;
    } finally {
      client.close();
    }
  }

  public TestNode autoAck(boolean on) {
    this.autoAck = on;
    return this;
  }

  public WireOrder order() {
    return order;
  }

  // ---- sending ----

  /** Publishes and returns the uid used. */
  public byte[] publish(String channel, String subject, Object data) {
    return publish(channel, subject, data, null);
  }

  public byte[] publish(String channel, String subject, Object data, byte[] reference) {
    return publishAs(Ulids.next(), channel, subject, data, reference);
  }

  /** Publishes with a uid chosen by the caller (a request whose reply is awaited by uid). */
  public byte[] publishAs(byte[] uid, String channel, String subject, Object data, byte[] reference) {
    Frame f = FrameCodec.encode(uid, channel, subject, reference, MsgPack.pack(data), order);
    sendRaw(f.rawBytes());
    return uid;
  }

  /** Sends a command on channel system; returns its uid. */
  public byte[] command(String subject, Object... args) {
    return publish("system", subject, args.length == 0 ? null : Arrays.asList(args), null);
  }

  /**
   * Returns once every command this node sent before has been applied by the server: it asks
   * for messages referencing a fresh uid, publishes one, and waits for it to come back (the
   * server applies a node's commands before reading its next frame). Use it before another
   * node relies on this node's subscriptions. Other frames received meanwhile are kept.
   */
  public void sync(String endpoint) {
    byte[] probe = Ulids.next();
    command("subscribe.message", endpoint, probe, 30);
    publish("wsmsg.test.sync", "sync", null, probe);
    long deadline = System.currentTimeMillis() + WAIT_MS;
    List<Frame> others = new ArrayList<>();
    try {
      while (true) {
        Frame f = next(Math.max(1, deadline - System.currentTimeMillis()));
        if (java.util.Arrays.equals(f.reference(), probe) && "wsmsg.test.sync".equals(f.channel())) {
          if (!autoAck) ack(f);
          return;
        }
        others.add(f);
      }
    } finally {
      // put back what was not ours, in order, ahead of anything newer
      List<Frame> rest = new ArrayList<>();
      received.drainTo(rest);
      received.addAll(others);
      received.addAll(rest);
    }
  }

  public void ack(Frame f) {
    publish("system", "ack", null, f.uid());
  }

  public void sendRaw(byte[] frame) {
    Future<Void> written = ws.writeBinaryMessage(Buffer.buffer(frame));
    // autoAck sends from the client's event loop: waiting there for the write would block it
    if (!io.vertx.core.Context.isOnEventLoopThread()) await(written);
  }

  public void sendText(String text) {
    await(ws.writeTextMessage(text));
  }

  // ---- receiving ----

  /** The next frame, or an AssertionError after {@link #WAIT_MS}. */
  public Frame next() {
    return next(WAIT_MS);
  }

  public Frame next(long timeoutMs) {
    try {
      Frame f = received.poll(timeoutMs, TimeUnit.MILLISECONDS);
      if (f == null) throw new AssertionError("nothing received within " + timeoutMs + " ms");
      return f;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** The next frame that is not on channel system (skips events and notices). */
  public Frame nextMessage() {
    long deadline = System.currentTimeMillis() + WAIT_MS;
    while (true) {
      Frame f = next(Math.max(1, deadline - System.currentTimeMillis()));
      if (!"system".equals(f.channel())) return f;
      if (!isNotice(f) && !autoAck) ack(f);
    }
  }

  /** The next frame on system with the given subject (skips others, acking deliveries). */
  public Frame nextSystem(String subject) {
    long deadline = System.currentTimeMillis() + WAIT_MS;
    while (true) {
      Frame f = next(Math.max(1, deadline - System.currentTimeMillis()));
      if ("system".equals(f.channel()) && subject.equals(f.subject())) return f;
      if (!isNotice(f) && !autoAck) ack(f);
    }
  }

  /** Null when nothing arrives within {@code ms}. */
  public Frame poll(long ms) {
    try {
      return received.poll(ms, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** Asserts nothing arrives within {@code ms}. */
  public void expectNothing(long ms) {
    Frame f = poll(ms);
    if (f != null) throw new AssertionError("expected nothing, got " + f + " data=" + data(f));
  }

  public static Object data(Frame f) {
    return MsgPack.unpack(f.rawBytes(), f.dataOffset(), f.dataLength());
  }

  public static String text(byte[] utf8OrNull) {
    return utf8OrNull == null ? null : new String(utf8OrNull, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The close code the server used, waiting up to {@link #WAIT_MS}. */
  public short awaitClose() {
    try {
      return closed.get(WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("the connection was not closed within " + WAIT_MS + " ms");
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void close() {
    if (!closed.isDone()) {
      try {
        ws.close().toCompletionStage().toCompletableFuture().get(WAIT_MS, TimeUnit.MILLISECONDS);
      } catch (Exception ignored) {
        // already gone
      }
    }
    client.close();
  }

  public static <T> T await(Future<T> f) {
    return await(f, WAIT_MS);
  }

  public static <T> T await(Future<T> f, long timeoutMs) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new RuntimeException(e.getCause().getMessage(), e.getCause());
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }
}
