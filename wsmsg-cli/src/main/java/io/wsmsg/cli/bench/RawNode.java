package io.wsmsg.cli.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.ProtocolException;
import io.wsmsg.protocol.WireOrder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One node driven with hand-built frames on a plain Vert.x WebSocket: the lightest client
 * the protocol allows, so the load generator spends its CPU on the wire rather than in a
 * client library. Every delivery is handed to {@link #onDelivery} and then acknowledged;
 * server notices ({@code error}, {@code stopping}) go to {@link #onNotice}. Everything runs
 * on the node's context (its lane); call {@link #send} there only.
 */
final class RawNode {
  final BenchEnv env;
  final String endpoint;
  final int window;
  final Context ctx;
  final Frames.Uids uids = new Frames.Uids();
  private WebSocket ws;
  /** Called with each delivery before it is acked; runs on ctx. */
  Handler<Frame> onDelivery = f -> { };
  /** Called with server notices (error, stopping); runs on ctx. */
  Handler<Frame> onNotice = f -> { };
  Handler<Void> onClose = v -> { };
  /** conns: sends this node's ping. Runs on ctx. */
  Runnable pinger = () -> { };
  volatile boolean closed;

  private RawNode(BenchEnv env, String endpoint, int window, Context ctx) {
    this.env = env;
    this.endpoint = endpoint;
    this.window = window;
    this.ctx = ctx;
  }

  /**
   * Opens the WebSocket to server {@code t} on the next receiver lane, counted for
   * {@code role}; the future completes on that lane.
   */
  static Future<RawNode> connect(BenchEnv env, BenchEnv.Target t, String role, String endpoint, int window) {
    return connect(env, env.nextLane(), t, role, endpoint, window);
  }

  /** Opens the WebSocket to server {@code t} on {@code lane}; the future completes there. */
  static Future<RawNode> connect(BenchEnv env, Context lane, BenchEnv.Target t, String role, String endpoint,
      int window) {
    RawNode n = new RawNode(env, endpoint, window, lane);
    Promise<RawNode> p = Promise.promise();
    n.ctx.runOnContext(v -> {
      WebSocketConnectOptions o = new WebSocketConnectOptions()
          .setHost(t.host).setPort(t.port).setSsl(t.ssl)
          .setURI(t.root + URLEncoder.encode(endpoint, StandardCharsets.UTF_8) + "?window=" + window + "&order=seed")
          .setConnectTimeout(10_000);
      if (env.s.token != null && !env.s.token.isEmpty()) o.putHeader("Authorization", "Bearer " + env.s.token);
      env.wsClient.connect(o).onComplete(ar -> {
        if (ar.failed()) {
          p.fail(ar.cause());
          return;
        }
        n.attached(ar.result());
        env.opened(t, role);
        p.complete(n);
      });
    });
    return p.future();
  }

  private void attached(WebSocket w) {
    ws = w;
    w.binaryMessageHandler(this::onBinary);
    w.textMessageHandler(t -> { });
    w.exceptionHandler(e -> { });
    w.closeHandler(v -> {
      closed = true;
      onClose.handle(null);
    });
  }

  private void onBinary(Buffer b) {
    Frame f;
    try {
      f = FrameCodec.decode(b.getBytes());
    } catch (ProtocolException e) {
      return; // the server only sends well-formed frames
    }
    if ("system".equals(f.channel()) && ("error".equals(f.subject()) || "stopping".equals(f.subject()))) {
      onNotice.handle(f); // notices need no ack
      return;
    }
    onDelivery.handle(f);
    send(Frames.ack(uids, f.uid()));
  }

  void send(byte[] frame) {
    WebSocket w = ws;
    if (w != null && !closed) w.writeBinaryMessage(Buffer.buffer(frame));
  }

  /** True while the socket's write queue is over its high-water mark. */
  boolean writeQueueFull() {
    WebSocket w = ws;
    return w == null || closed || w.writeQueueFull();
  }

  /** Calls {@code h} once when the write queue drains. */
  void onDrain(Handler<Void> h) {
    WebSocket w = ws;
    if (w != null) w.drainHandler(h);
  }

  /** Sends a command (no confirmation: commands from one node are applied in order). */
  void command(String subject, List<?> args) {
    send(FrameCodec.encode(uids.next(), "system", subject, null, MsgPack.pack(args), WireOrder.SEED).rawBytes());
  }

  Future<Void> close() {
    Promise<Void> p = Promise.promise();
    ctx.runOnContext(v -> {
      WebSocket w = ws;
      if (w == null || w.isClosed()) {
        p.complete();
        return;
      }
      w.close((short) 1000, "bench done").onComplete(ar -> p.complete());
    });
    return p.future();
  }
}
