package io.wsmsg.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.wsmsg.client.ClientOptions.GatewayUrl;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The client's connection: the WebSocket to a gateway and its frames, pings and closing;
 * connecting and reconnecting (backoff with jitter, rotation over the URLs, the token supplier
 * asked again on every attempt, giving up on a refused token); the connection state; and the
 * client's context, on which everything here runs. What the socket's life means for
 * subscriptions and requests is the {@link Listener}'s business.
 */
final class Connection {
  static final String SYSTEM = "system";
  /** msgpack nil: the data of pause, resume and ack. */
  static final byte[] NIL = {(byte) 0xc0};
  private static final Logger LOG = Logger.getLogger(WsmsgClient.class.getName());
  /** insecure(true) is said once per JVM: a load tool makes thousands of clients. */
  private static final AtomicBoolean INSECURE_WARNED = new AtomicBoolean();

  /** What the rest of the client does as the socket comes and goes; called on the client's context. */
  interface Listener {
    /** A socket is open: send again what the endpoint and this node need, then call {@link #ready}. */
    void attached(WebSocket w, int generation);

    /** A binary frame came on the socket of {@code generation}. */
    void received(Buffer frame, int generation);

    /** The socket is gone; reconnection (or closing, when reconnect is off) follows. */
    void lost(WsmsgException cause);

    /** The client closes for good: fail whatever is pending. */
    void closed(WsmsgException cause);

    /** Periodic housekeeping, before the ping check. */
    void tick(long nowMs);
  }

  private final Vertx vertx;
  private final boolean ownsVertx;
  private final ClientOptions options;
  private final List<GatewayUrl> urls;
  private final String endpoint;
  private final boolean ephemeral;
  private final WireOrder order;
  private final Context ctx;
  private final WebSocketClient wsClient; // a field: an unreferenced client is closed by a cleaner
  private final Listener listener;

  private final CopyOnWriteArrayList<Consumer<ConnectionState>> stateListeners = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Consumer<WsmsgException>> connectFailureListeners = new CopyOnWriteArrayList<>();
  private volatile ConnectionState state = ConnectionState.CONNECTING;
  /** Why the client closed by itself, once it did. */
  private volatile WsmsgException closeCause;
  private final Promise<Void> connected = Promise.promise();

  // ---- everything below is touched on ctx only ----
  private WebSocket ws;
  private int generation;
  private boolean closing;
  private Future<Void> closeFuture;
  private final Backoff backoff;
  private final TokenRefusals refusals;
  private int nextUrl;
  private long reconnectTimer = -1;
  /** The token of the connection attempt in progress (see {@link TokenRefusals}). */
  private String triedToken;
  private long housekeepingTimer = -1;
  private long lastReceived;
  private long lastPing;
  private boolean paused;

  /** {@code options} is the client's own copy. */
  Connection(Vertx vertx, boolean ownsVertx, ClientOptions options, Listener listener) {
    this.vertx = vertx;
    this.ownsVertx = ownsVertx;
    this.options = options;
    this.listener = listener;
    List<GatewayUrl> parsed = new ArrayList<>();
    for (String u : options.urls()) parsed.add(GatewayUrl.parse(u));
    this.urls = List.copyOf(parsed);
    this.endpoint = options.endpoint() != null ? options.endpoint() : options.generatedEndpoint();
    // the generated endpoint is this client's alone: the server removes it once the client is gone
    this.ephemeral = options.endpoint() == null || options.ephemeral();
    this.order = options.order();
    this.paused = options.paused();
    this.backoff = new Backoff(options.backoffInitial(), options.backoffMax());
    this.refusals = new TokenRefusals(urls.size(), options.suppliesTokens());
    this.ctx = vertx.getOrCreateContext();
    int closingSeconds = 1;
    if (options.tls().insecure() && INSECURE_WARNED.compareAndSet(false, true)) {
      LOG.warning("ClientOptions.insecure(true): the server's TLS certificate is not checked; anyone in the path can"
          + " read and change this connection's traffic (development only)");
    }
    this.wsClient = vertx.createWebSocketClient(options.tls().apply(new WebSocketClientOptions()
        .setMaxFrameSize(options.maxFrameBytes())
        .setMaxMessageSize(options.maxFrameBytes())
        .setClosingTimeout(closingSeconds)
        .setTcpNoDelay(true)));
  }

  // =====================================================================================
  // connecting
  // =====================================================================================

  /** Starts connecting; the future completes once attached and restored (see {@link #ready}). */
  Future<Void> start() {
    ctx.runOnContext(v -> {
      housekeepingTimer = vertx.setPeriodic(Math.max(50, Math.min(1000, options.pingInterval().toMillis() / 2)),
          id -> housekeep());
      nextUrl = ThreadLocalRandom.current().nextInt(urls.size());
      firstConnect(0, null);
    });
    return connected.future();
  }

  private void firstConnect(int tried, Throwable last) {
    if (closing) return;
    if (tried >= urls.size()) {
      WsmsgException e = last instanceof WsmsgException w ? w
          : new WsmsgException(WsmsgException.CONNECT_FAILED, "could not connect", last);
      connected.tryFail(e);
      shutdown(e);
      return;
    }
    GatewayUrl u = urls.get(nextUrl);
    nextUrl = (nextUrl + 1) % urls.size();
    open(u).onComplete(ar -> {
      if (closing) {
        if (ar.succeeded()) ar.result().close();
        return;
      }
      if (ar.succeeded()) {
        attached(ar.result(), u);
      } else {
        LOG.fine(() -> "connecting to " + u.text() + " failed: " + ar.cause().getMessage());
        notifyConnectFailure(ar.cause());
        firstConnect(tried + 1, ar.cause());
      }
    });
  }

  /**
   * The token, delivered on this client's context: a supplier may complete its future on any
   * thread (an HTTP client's, say), and everything after it must run on ctx.
   */
  private Future<String> token() {
    Promise<String> onCtx = Promise.promise();
    suppliedToken().onComplete(ar -> ctx.runOnContext(v -> onCtx.handle(ar)));
    return onCtx.future();
  }

  private Future<String> suppliedToken() {
    try {
      if (options.tokenSupplier() != null) {
        Future<String> f = options.tokenSupplier().get();
        return f != null ? f : Future.succeededFuture();
      }
      if (options.blockingTokenSupplier() != null) {
        Supplier<String> s = options.blockingTokenSupplier();
        return vertx.executeBlocking(s::get, false);
      }
      return Future.succeededFuture();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<WebSocket> open(GatewayUrl u) {
    long timeoutMs = options.connectTimeout().toMillis();
    return token().recover(e -> Future.failedFuture(new WsmsgException(WsmsgException.CONNECT_FAILED,
        "the token supplier failed: " + e.getMessage(), e))).compose(tok -> {
          triedToken = tok;
          WebSocketConnectOptions o = new WebSocketConnectOptions()
              .setHost(u.host())
              .setPort(u.port())
              .setSsl(u.ssl())
              .setURI(u.root() + encodeSegment(endpoint) + "?window=" + options.window() + "&order="
                  + order.wireName() + (ephemeral ? "&ephemeral=1" : "")
                  // paused from the first moment: no delivery slips in before the pause command
                  + (paused ? "&paused=1" : ""))
              .setConnectTimeout(timeoutMs);
          if (tok != null) o.putHeader("Authorization", "Bearer " + tok);
          Promise<WebSocket> p = Promise.promise();
          long guard = vertx.setTimer(timeoutMs, id -> p.tryFail(new WsmsgException(WsmsgException.CONNECT_FAILED,
              "no WebSocket handshake with " + u.text() + " within " + timeoutMs + " ms")));
          wsClient.connect(o).onComplete(ar -> {
            vertx.cancelTimer(guard);
            if (ar.succeeded()) {
              if (!p.tryComplete(ar.result())) ar.result().close();
            } else {
              p.tryFail(connectError(u, ar.cause()));
            }
          });
          return p.future();
        });
  }

  private static WsmsgException connectError(GatewayUrl u, Throwable t) {
    if (t instanceof UpgradeRejectedException r) {
      String body = r.getBody() == null ? "" : r.getBody().toString(StandardCharsets.UTF_8).trim();
      int status = r.getStatus();
      return new WsmsgException(status == 401 || status == 403 ? WsmsgException.UNAUTHORIZED
          : WsmsgException.CONNECT_FAILED, u.text() + " refused the connection with HTTP " + status
          + (body.isEmpty() ? "" : ": " + body), null, status, r);
    }
    String tls = ClientTls.explain(t, u.ssl(), u.host());
    if (tls != null) return new WsmsgException(WsmsgException.CONNECT_FAILED, "could not connect to " + u.text() + ": "
        + tls, null, 0, t);
    return new WsmsgException(WsmsgException.CONNECT_FAILED, "could not connect to " + u.text() + ": "
        + (t.getMessage() != null ? t.getMessage() : t.toString())
        // a TLS port answers plain HTTP by closing: say what that likely means
        + (!u.ssl() && String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("closed")
            ? " (if the server uses TLS, connect with wss://)" : ""), null, 0, t);
  }

  /** Percent-encodes one path segment (everything but RFC 3986 unreserved characters). */
  static String encodeSegment(String s) {
    StringBuilder sb = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
          || c == '_' || c == '~') {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return sb.toString();
  }

  private void attached(WebSocket w, GatewayUrl u) {
    refusals.reset();
    triedToken = null;
    generation++;
    int gen = generation;
    ws = w;
    lastReceived = System.currentTimeMillis();
    w.binaryMessageHandler(b -> {
      lastReceived = System.currentTimeMillis();
      listener.received(b, gen);
    });
    w.textMessageHandler(t -> LOG.fine("ignoring a text frame from the server"));
    w.pongHandler(b -> lastReceived = System.currentTimeMillis());
    w.exceptionHandler(e -> LOG.fine(() -> "connection to " + u.text() + ": " + e.getMessage()));
    w.closeHandler(v -> lost(gen, "the server closed the connection (" + w.closeStatusCode()
        + (w.closeReason() != null ? " " + w.closeReason() : "") + ")"));
    LOG.fine(() -> "attached to endpoint " + endpoint + " at " + u.text());
    listener.attached(w, gen);
  }

  /** The socket of {@code gen} is restored: reports CONNECTED (unless it is gone already). */
  void ready(int gen) {
    if (gen != generation || ws == null || closing) return;
    backoff.reset();
    setState(ConnectionState.CONNECTED);
    connected.tryComplete();
  }

  /** The connection is gone (closed by the server, dropped, or unanswered pings). */
  private void lost(int gen, String why) {
    if (gen != generation || ws == null) return;
    WebSocket w = ws;
    ws = null;
    WsmsgException e = new WsmsgException(WsmsgException.CONNECTION_LOST, "the connection was lost: " + why);
    listener.lost(e);
    if (!w.isClosed()) w.close();
    if (closing) return;
    if (!options.reconnect()) {
      LOG.info(() -> "endpoint " + endpoint + ": " + why + "; not reconnecting (reconnect is off)");
      connected.tryFail(e);
      shutdown(e);
      return;
    }
    LOG.info(() -> "endpoint " + endpoint + ": " + why + "; reconnecting");
    setState(ConnectionState.RECONNECTING);
    scheduleReconnect();
  }

  private void scheduleReconnect() {
    if (closing) return;
    long delay = backoff.nextDelayMs(ThreadLocalRandom.current());
    reconnectTimer = vertx.setTimer(delay, id -> {
      reconnectTimer = -1;
      reconnectNow();
    });
  }

  private void reconnectNow() {
    if (closing) return;
    GatewayUrl u = urls.get(nextUrl);
    nextUrl = (nextUrl + 1) % urls.size();
    int n = backoff.attempts();
    open(u).onComplete(ar -> {
      if (closing) {
        if (ar.succeeded()) ar.result().close();
        return;
      }
      if (ar.succeeded()) {
        LOG.info(() -> "endpoint " + endpoint + ": reconnected to " + u.text() + " (attempt " + n + ")");
        attached(ar.result(), u);
      } else {
        LOG.fine(() -> "reconnecting to " + u.text() + " failed (attempt " + n + "): " + ar.cause().getMessage());
        if (refusals.refused(ar.cause(), triedToken)) {
          WsmsgException e = (WsmsgException) ar.cause();
          // said by the onConnectFailure listeners when there are some (as errors and onError)
          LOG.log(connectFailureListeners.isEmpty() ? Level.WARNING : Level.FINE, () -> "endpoint " + endpoint
              + ": " + e.getMessage() + "; the token will not change, so the client stops reconnecting and closes");
          shutdown(e);
        } else {
          scheduleReconnect();
        }
        notifyConnectFailure(ar.cause());
      }
    });
  }

  private void notifyConnectFailure(Throwable t) {
    WsmsgException e = t instanceof WsmsgException w ? w
        : new WsmsgException(WsmsgException.CONNECT_FAILED, String.valueOf(t.getMessage()), t);
    for (Consumer<WsmsgException> l : connectFailureListeners) {
      try {
        l.accept(e);
      } catch (RuntimeException x) {
        LOG.log(Level.WARNING, "a connect failure listener failed", x);
      }
    }
  }

  private void housekeep() {
    long now = System.currentTimeMillis();
    listener.tick(now);
    WebSocket w = ws;
    if (w == null) return;
    long ping = options.pingInterval().toMillis();
    long idle = now - lastReceived;
    if (idle > 2 * ping) {
      lost(generation, "nothing received for " + idle + " ms, pings unanswered");
    } else if (idle >= ping && now - lastPing >= ping) {
      lastPing = now;
      w.writePing(Buffer.buffer("wsmsg"));
    }
  }

  private void setState(ConnectionState s) {
    if (state == s) return;
    state = s;
    for (Consumer<ConnectionState> l : stateListeners) {
      try {
        l.accept(s);
      } catch (RuntimeException x) {
        LOG.log(Level.WARNING, "a connection state listener failed", x);
      }
    }
  }

  // =====================================================================================
  // the socket and its frames
  // =====================================================================================

  /** The open socket, or null while there is none; on ctx only. */
  WebSocket socket() {
    return ws;
  }

  /** Counts the sockets opened: a delivery belongs to the one it came on. */
  int generation() {
    return generation;
  }

  boolean closing() {
    return closing;
  }

  boolean paused() {
    return paused;
  }

  /**
   * {@code pause} or {@code resume}: kept across reconnections (a new socket asks to be paused
   * from the first moment), written now when a socket is open.
   */
  Future<Void> pause(boolean pause) {
    paused = pause;
    WebSocket w = ws;
    return w == null ? Future.succeededFuture() : send(w, Ulids.next(), SYSTEM, pause ? "pause" : "resume", null, NIL);
  }

  /** One frame's bytes; {@code data} is a value to pack, {@link #NIL} or a {@link MsgPack.Raw} sent as is. */
  byte[] encode(byte[] uid, String channel, String subject, byte[] reference, Object data) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(subject, "subject");
    if (channel.isEmpty()) throw new IllegalArgumentException("the channel must not be empty");
    byte[] payload = data instanceof byte[] raw && raw == NIL ? NIL
        : data instanceof MsgPack.Raw r ? r.bytes() : MsgPack.pack(data);
    return FrameCodec.encode(uid, channel, subject, reference, payload, order).rawBytes();
  }

  Future<Void> send(WebSocket w, byte[] uid, String channel, String subject, byte[] reference, Object data) {
    return w.writeBinaryMessage(Buffer.buffer(encode(uid, channel, subject, reference, data)));
  }

  /** The failure of something that needs a socket while there is none. */
  <T> Future<T> notConnected() {
    if (closing) return Future.failedFuture(new WsmsgException(WsmsgException.CLOSED, "the client is closed"));
    return Future.failedFuture(new WsmsgException(WsmsgException.NOT_CONNECTED,
        "not connected to a gateway (" + state.name().toLowerCase() + ")"));
  }

  static WsmsgException invalid(RuntimeException e) {
    return new WsmsgException(WsmsgException.INVALID, e.getMessage(), e);
  }

  // =====================================================================================
  // the client's context
  // =====================================================================================

  boolean onContextNow() {
    return Vertx.currentContext() == ctx;
  }

  void runOnContext(Runnable r) {
    if (onContextNow()) r.run();
    else ctx.runOnContext(v -> r.run());
  }

  /** Runs on the client's context; exceptions become failed futures. */
  <T> Future<T> onContext(Supplier<Future<T>> action) {
    if (onContextNow()) return call(action);
    Promise<T> p = Promise.promise();
    ctx.runOnContext(v -> call(action).onComplete(p));
    return p.future();
  }

  private static <T> Future<T> call(Supplier<Future<T>> action) {
    try {
      return action.get();
    } catch (WsmsgException e) {
      return Future.failedFuture(e);
    } catch (IllegalArgumentException | UnsupportedOperationException | NullPointerException e) {
      return Future.failedFuture(invalid(e));
    }
  }

  // =====================================================================================
  // state, listeners, closing
  // =====================================================================================

  void onStateChange(Consumer<ConnectionState> l) {
    stateListeners.add(Objects.requireNonNull(l));
  }

  void onConnectFailure(Consumer<WsmsgException> l) {
    connectFailureListeners.add(Objects.requireNonNull(l));
  }

  ConnectionState state() {
    return state;
  }

  WsmsgException closeCause() {
    return closeCause;
  }

  String endpoint() {
    return endpoint;
  }

  Vertx vertx() {
    return vertx;
  }

  /** Closes (code 1000) and stops reconnecting; idempotent. */
  Future<Void> close() {
    Promise<Void> p = Promise.promise();
    ctx.runOnContext(v -> {
      if (closeFuture == null) shutdown(new WsmsgException(WsmsgException.CLOSED, "the client was closed"));
      closeFuture.onComplete(p);
    });
    return p.future();
  }

  /** Final: fails everything pending, closes the socket, the WebSocket client and an owned Vert.x. */
  private void shutdown(WsmsgException e) {
    if (closeFuture != null) return;
    closing = true;
    if (!WsmsgException.CLOSED.equals(e.code())) closeCause = e; // before CLOSED is reported
    triedToken = null;
    refusals.reset();
    if (reconnectTimer >= 0) vertx.cancelTimer(reconnectTimer);
    if (housekeepingTimer >= 0) vertx.cancelTimer(housekeepingTimer);
    setState(ConnectionState.CLOSED); // before failing futures: their callbacks see the final state
    listener.closed(e);
    connected.tryFail(e);
    WebSocket w = ws;
    ws = null;
    Future<Void> f = w == null || w.isClosed() ? Future.succeededFuture()
        : w.close((short) 1000, "client closed").otherwiseEmpty();
    Future<Void> done = f.eventually(() -> wsClient.close().otherwiseEmpty());
    // A promise bound to no context: listeners of futures bound to ctx would be dispatched to
    // an event loop that no longer runs once an owned Vert.x is closed.
    Promise<Void> closed = Promise.promise();
    done.onComplete(ar -> {
      if (ownsVertx) closeVertx(vertx).onComplete(closed);
      else closed.complete();
    });
    closeFuture = closed.future();
  }

  /**
   * Closes a Vert.x instance from a thread of its own (called on one of its event loops,
   * {@code vertx.close()} would wait for that very loop) and completes from that thread.
   */
  static Future<Void> closeVertx(Vertx v) {
    Promise<Void> p = Promise.promise();
    Thread t = new Thread(() -> {
      try {
        v.close().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.log(Level.FINE, "closing the client's Vert.x instance", e);
      }
      p.tryComplete();
    }, "wsmsg-client-close");
    t.setDaemon(true);
    t.start();
    return p.future();
  }
}
