package io.wsmsg.client;

import com.github.f4b6a3.ulid.Ulid;
import com.github.f4b6a3.ulid.UlidCreator;
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
import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.ProtocolException;
import io.wsmsg.protocol.Uid;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The asynchronous wsmsg client: one WebSocket connection (a node) attached to one endpoint,
 * with publish, subscribe, request/reply, flow control, every command of the system channel,
 * and automatic reconnection. All methods are thread-safe and return Vert.x futures; for code
 * that is not reactive, see {@link BlockingClient}.
 *
 * <pre>{@code
 * WsmsgClient client = WsmsgClient.connect(vertx, new ClientOptions()
 *     .url("ws://localhost:8765/").token(jwt)).await();       // or .onSuccess(...)
 *
 * // pub/sub: the handler's future says when the message is processed (then it is acked)
 * client.subscribe("orders", "order.*", m -> store.save(m.dataAs(JsonObject.class)));
 * client.publish("orders", "order.new", Map.of("id", 42));
 *
 * // RPC: replies go on <x>.reply (or <x>.exception when the handler fails)
 * client.reply("math", "add.request", m -> {
 *   List<?> xs = (List<?>) m.data();
 *   return Future.succeededFuture((Long) xs.get(0) + (Long) xs.get(1));
 * });
 * client.request("math", "add.request", List.of(1, 2), Duration.ofSeconds(5))
 *     .onSuccess(reply -> System.out.println(reply.data()));   // 3
 * }</pre>
 *
 * <h2>Semantics</h2>
 *
 * <ul>
 *   <li><b>Subscriptions belong to the endpoint</b>, not the connection (SPEC section 4).
 *       {@link #subscribe} sends {@code subscribe.channel [endpoint, channel, subject]} and
 *       keeps the handler locally; every received message is handed to the local handlers
 *       whose patterns match (globs as the server uses them), then acknowledged exactly once,
 *       when all of their futures are done. On a shared endpoint, give every node the same
 *       subscriptions: the server hands each message to one node of the endpoint, whatever that
 *       node subscribed.
 *   <li><b>A delivery no handler matches is held, never acked away.</b> A node attaching to an
 *       endpoint that already holds messages is sent the first ones at once, before the code
 *       after {@code connect} has registered its handlers. Such a delivery is kept
 *       unacknowledged (it occupies its window slot, so the server sends no more than the
 *       window) and handed, in arrival order, to the first handler registered with
 *       {@link #subscribe}, {@link #consume} or {@link #reply} that matches it; it is acked
 *       once that handler is done, as usual. If no such handler comes: a delivery held for
 *       more than 5 s is logged (once, level WARNING); when the connection ends (lost or
 *       {@link #close closed}) the held deliveries are not acked, and the server's rules for a
 *       node that left apply (dropped and counted {@code disconnected}, or put back at the
 *       head of the queue for an endpoint in {@code endpoints.requeueUnacked}); one held past
 *       the server's {@code delivery.ackTimeoutSeconds} is counted lost by the server. So
 *       register the handlers of a shared endpoint right after connecting, and attach a node
 *       that only publishes with {@link ClientOptions#paused} (or to an endpoint of its own).
 *       Messages on {@code system} that no handler matches (events, forwarded commands) go to
 *       the {@link #onSystemEvent} listeners and are acked at once.
 *   <li><b>Publish futures</b> complete when the frame is written to the socket: the server
 *       does not confirm publishes. A refusal ({@code forbidden}, {@code stopping}) comes
 *       later as an {@code error} referencing the publish's uid and goes to the
 *       {@link #onError} listeners. Call {@link #sync()} after publishing when you need to
 *       know that everything before it was accepted.
 *   <li><b>Command futures</b> (subscribe, unsubscribe, the admin commands, {@link #sync()})
 *       complete when the server has applied the command. The client learns it from the
 *       command itself: it is sent with {@code reference} = its own uid, after a
 *       {@code subscribe.message} for that uid, so the server's forwarding of the applied
 *       command (SPEC section 6) comes back to this endpoint. An {@code error} referencing the
 *       command fails the future with a {@link WsmsgException} carrying the server's code. If
 *       the echo does not come back (a shared endpoint gave it to another node), the future
 *       completes after {@link ClientOptions#confirmTimeout} when no error came: errors are
 *       sent at once, outside the window, so silence means success. When the echo cannot
 *       come (the node is paused, or every window slot is held by a delivery still being
 *       handled, typically because the command is awaited inside a handler) the client
 *       waits only a short grace (250 ms at most) for an error. {@code pause} and
 *       {@code resume} complete when written.
 *   <li><b>Requests</b> ({@link #request}, {@link #requestStream}): the client sends
 *       {@code subscribe.message [endpoint, uid, expires]} then the request with that uid
 *       (commands are applied in order per connection, so no reply can be missed), and takes
 *       the messages whose {@code reference} is the uid. Such replies are consumed by the
 *       request and not given to subscription handlers. A reply arriving after the request
 *       finished (timeout, or a second reply to {@link #request}) is acked and dropped
 *       quietly. Note that a reply needs a free window slot: a handler that makes a request
 *       and waits for it needs {@code window >= 2}.
 *   <li><b>Reconnection</b>: after an unexpected close the client reconnects with exponential
 *       backoff and jitter, rotating over the URLs and asking the token supplier again. It
 *       then sends again every {@code subscribe.channel} (idempotent on the server), its
 *       pause state, and a {@code subscribe.message} for every request in flight. <b>Requests
 *       in flight survive a reconnection</b>: their replies wait in the endpoint's queue on
 *       the server (or, after a server restart, find the renewed message subscription) and
 *       complete them before their timeout. Publishes and commands made while no connection
 *       is open fail at once with {@code not_connected}; a command whose confirmation was
 *       pending when the connection dropped fails with {@code connection_lost} (it may or may
 *       not have been applied). {@link #subscribe}, {@link #pause} and {@link #resume} made
 *       while disconnected are kept and sent on reconnection. Deliveries are never handled
 *       twice: the client remembers the uids it handled recently and acks a redelivery
 *       without calling handlers again; a handler that finishes after its connection was
 *       lost is not acked (the new connection does not know that delivery).
 *       Every failed attempt goes to the {@link #onConnectFailure} listeners. <b>A refused
 *       token ends reconnection</b>: when every URL in a row refuses the upgrade with HTTP 401
 *       or 403 for the same token (a dev server restarted with a new secret, an expired or
 *       revoked token, an endpoint the token no longer allows), trying again cannot help, so
 *       the client closes: the state becomes {@code CLOSED}, pending futures fail with code
 *       {@code unauthorized}, and {@link #closeCause()} holds the refusal with the server's
 *       reason and {@link WsmsgException#httpStatus()}. (NATS clients likewise give up after
 *       the same authorization error twice in a row.) With a {@code tokenSupplier} the
 *       client keeps trying as long as the supplier hands out a token other than the one
 *       refused, so a refreshing supplier recovers by itself. Other failures (unreachable,
 *       503 while a server stops, 429) are retried for ever.
 *   <li><b>Threads</b>: handlers and listeners run on the client's event loop: the Vert.x
 *       context current when {@code connect} was called, else the context Vert.x gives the
 *       calling thread. A plain thread (such as {@code main}) keeps one context, so every
 *       client it connects shares one event loop; to spread many busy clients over event
 *       loops, connect each from its own context (e.g. inside a verticle). Do not block in
 *       handlers.
 * </ul>
 */
public final class WsmsgClient {
  static final String SYSTEM = "system";
  private static final Logger LOG = Logger.getLogger(WsmsgClient.class.getName());
  private static final int SEEN_LIMIT = 16_384;
  private static final int FINISHED_LIMIT = 100_000;
  private static final long WINDOW_FULL_GRACE_MS = 250;
  /** A delivery held this long without a matching handler is logged (once). */
  static final long UNHANDLED_WARNING_MS = 5000;
  private static final byte[] NIL = {(byte) 0xc0};

  private final Vertx vertx;
  private final boolean ownsVertx;
  private final ClientOptions options;
  private final List<GatewayUrl> urls;
  private final String endpoint;
  private final boolean ephemeral;
  private final WireOrder order;
  private final Context ctx;
  /** insecure(true) is said once per JVM: a load tool makes thousands of clients. */
  private static final java.util.concurrent.atomic.AtomicBoolean INSECURE_WARNED = new java.util.concurrent.atomic.AtomicBoolean();
  private final WebSocketClient wsClient; // a field: an unreferenced client is closed by a cleaner

  private final CopyOnWriteArrayList<Consumer<Message>> systemListeners = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Consumer<ServerError>> errorListeners = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Consumer<ConnectionState>> stateListeners = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Consumer<WsmsgException>> connectFailureListeners = new CopyOnWriteArrayList<>();
  private volatile ConnectionState state = ConnectionState.CONNECTING;
  /** Why the client closed by itself, once it did. */
  private volatile WsmsgException closeCause;

  // ---- everything below is touched on ctx only ----
  private WebSocket ws;
  private int generation;
  private boolean closing;
  private Future<Void> closeFuture;
  private int attempt;
  private int nextUrl;
  private long reconnectTimer = -1;
  /** The token of the connection attempt in progress (see {@link #refused}). */
  private String triedToken;
  /** The token last refused with 401/403, and how many attempts in a row refused it. */
  private String refusedToken;
  private int refusals;
  private long housekeepingTimer = -1;
  private long lastReceived;
  private long lastPing;
  private boolean paused;
  /** Deliveries received on the current connection and not yet acked. */
  private int inHand;
  /**
   * Deliveries of the current connection that no handler matched yet, in arrival order: held
   * unacknowledged until a matching handler is registered. At most the window (the server
   * sends no more unacknowledged); see {@link #hold}.
   */
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  /** True while {@link #releaseHeld} runs: a handler subscribing inline does not re-enter it. */
  private boolean releasing;
  private final Promise<WsmsgClient> connected = Promise.promise();
  private final List<LocalSub> subs = new ArrayList<>();
  /** Channel patterns to unsubscribe once a connection is open again. */
  private final LinkedHashSet<String> unsubscribeOnRestore = new LinkedHashSet<>();
  private final Map<Uid, PendingRequest> requests = new HashMap<>();
  /** Commands waiting for their echo, by command uid. */
  private final Map<Uid, Promise<Void>> commands = new HashMap<>();
  /** uid of a helper subscribe.message -> the command or request it serves (errors map back). */
  private final Map<Uid, Uid> aliases = new HashMap<>();
  /**
   * Own finished requests and commands -> when to forget them: late replies/echoes are dropped
   * quietly. Bounded, so a request-heavy load does not grow it without limit.
   */
  private final LinkedHashMap<Uid, Long> finished = new LinkedHashMap<>(256, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Uid, Long> eldest) {
      return size() > FINISHED_LIMIT;
    }
  };
  /** Recently handled deliveries: a redelivery is acked without calling handlers again. */
  private final LinkedHashMap<Uid, Boolean> seen = new LinkedHashMap<>(256, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Uid, Boolean> eldest) {
      return size() > SEEN_LIMIT;
    }
  };

  private WsmsgClient(Vertx vertx, boolean ownsVertx, ClientOptions options) {
    this.vertx = vertx;
    this.ownsVertx = ownsVertx;
    this.options = new ClientOptions(options);
    List<GatewayUrl> parsed = new ArrayList<>();
    for (String u : options.urls()) parsed.add(GatewayUrl.parse(u));
    this.urls = List.copyOf(parsed);
    this.endpoint = options.endpoint() != null ? options.endpoint() : options.generatedEndpoint();
    // the generated endpoint is this client's alone: the server removes it once the client is gone
    this.ephemeral = options.endpoint() == null || options.ephemeral();
    this.order = options.order();
    this.paused = options.paused();
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

  /**
   * Connects on the given Vert.x instance. The future completes once attached, or fails when
   * no URL accepted the connection (each is tried once; a refused upgrade's HTTP status is in
   * {@link WsmsgException#httpStatus()}). Reconnection applies after that.
   */
  public static Future<WsmsgClient> connect(Vertx vertx, ClientOptions options) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(options, "options");
    if (options.urls().isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("no gateway URL: set ClientOptions.url(...)"));
    }
    WsmsgClient c = new WsmsgClient(vertx, false, options);
    c.ctx.runOnContext(v -> c.start());
    return c.connected.future();
  }

  /** Connects on a Vert.x instance of its own, which {@link #close()} closes. */
  public static Future<WsmsgClient> connect(ClientOptions options) {
    Objects.requireNonNull(options, "options");
    if (options.urls().isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("no gateway URL: set ClientOptions.url(...)"));
    }
    Vertx v = Vertx.vertx();
    WsmsgClient c = new WsmsgClient(v, true, options);
    c.ctx.runOnContext(x -> c.start());
    return c.connected.future().recover(e -> closeVertx(v).transform(ar -> Future.failedFuture(e)));
  }

  private void start() {
    housekeepingTimer = vertx.setPeriodic(Math.max(50, Math.min(1000, options.pingInterval().toMillis() / 2)),
        id -> housekeep());
    nextUrl = ThreadLocalRandom.current().nextInt(urls.size());
    firstConnect(0, null);
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
    refusals = 0;
    refusedToken = null;
    triedToken = null;
    generation++;
    int gen = generation;
    ws = w;
    inHand = 0;
    lastReceived = System.currentTimeMillis();
    w.binaryMessageHandler(b -> onBinary(b, gen));
    w.textMessageHandler(t -> LOG.fine("ignoring a text frame from the server"));
    w.pongHandler(b -> lastReceived = System.currentTimeMillis());
    w.exceptionHandler(e -> LOG.fine(() -> "connection to " + u.text() + ": " + e.getMessage()));
    w.closeHandler(v -> lost(gen, "the server closed the connection (" + w.closeStatusCode()
        + (w.closeReason() != null ? " " + w.closeReason() : "") + ")"));
    LOG.fine(() -> "attached to endpoint " + endpoint + " at " + u.text());
    restore(w, gen);
  }

  /** Sends again what the endpoint and this node need, then reports CONNECTED. */
  private void restore(WebSocket w, int gen) {
    List<Future<?>> waits = new ArrayList<>();
    for (String p : new ArrayList<>(unsubscribeOnRestore)) {
      waits.add(confirmed("unsubscribe.channel", List.of(endpoint, p)).andThen(ar -> {
        if (ar.succeeded() || (ar.cause() instanceof WsmsgException e && e.isServerError())) {
          unsubscribeOnRestore.remove(p);
        }
      }));
    }
    if (paused) send(w, Ulids.next(), SYSTEM, "pause", null, NIL);
    for (List<String> pair : distinctPairs(s -> true)) waits.add(sendSubscribe(pair.get(0), pair.get(1)));
    for (PendingRequest r : new ArrayList<>(requests.values())) subscribeReplies(w, r);
    Future.join(waits).onComplete(ar -> {
      if (gen != generation || ws == null || closing) return;
      attempt = 0;
      setState(ConnectionState.CONNECTED);
      connected.tryComplete(this);
    });
  }

  /** The connection is gone (closed by the server, dropped, or unanswered pings). */
  private void lost(int gen, String why) {
    if (gen != generation || ws == null) return;
    WebSocket w = ws;
    ws = null;
    dropHeld();
    WsmsgException e = new WsmsgException(WsmsgException.CONNECTION_LOST, "the connection was lost: " + why);
    for (Promise<Void> p : new ArrayList<>(commands.values())) p.tryFail(e);
    commands.clear();
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
    long initial = options.backoffInitial().toMillis();
    long max = options.backoffMax().toMillis();
    long base = Math.min(max, initial << Math.min(attempt, 20));
    long delay = Math.max(1, base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1));
    attempt++;
    reconnectTimer = vertx.setTimer(delay, id -> {
      reconnectTimer = -1;
      reconnectNow();
    });
  }

  private void reconnectNow() {
    if (closing) return;
    GatewayUrl u = urls.get(nextUrl);
    nextUrl = (nextUrl + 1) % urls.size();
    int n = attempt;
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
        if (refused(ar.cause())) {
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

  /**
   * True when reconnecting should stop: the upgrade was refused with 401/403 for the same
   * token by every gateway URL in a row. A fixed token cannot change, so trying it again only
   * knocks on the door for ever (and fills the server's log). A token supplier is asked once
   * more: it stops only when it hands out the refused token again and that is refused too (as
   * NATS clients give up on the same authorization error twice in a row). Any other kind of
   * failure in between starts the count again.
   */
  private boolean refused(Throwable t) {
    if (!(t instanceof WsmsgException e) || !WsmsgException.UNAUTHORIZED.equals(e.code())) {
      refusals = 0;
      refusedToken = null;
      return false;
    }
    if (refusals > 0 && Objects.equals(refusedToken, triedToken)) {
      refusals++;
    } else {
      refusedToken = triedToken;
      refusals = 1;
    }
    return refusals >= urls.size() + (options.suppliesTokens() ? 1 : 0);
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
    finished.values().removeIf(t -> t < now);
    if (!held.isEmpty()) warnHeld(now);
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

  // =====================================================================================
  // receiving
  // =====================================================================================

  private void onBinary(Buffer b, int gen) {
    lastReceived = System.currentTimeMillis();
    Frame f;
    try {
      f = FrameCodec.decode(b.getBytes());
    } catch (ProtocolException e) {
      LOG.warning("the server sent a frame that is not a wsmsg message: " + e.getMessage());
      return;
    }
    boolean system = SYSTEM.equals(f.channel());
    if (system && "error".equals(f.subject())) { // a notice: no ack
      onServerError(f);
      return;
    }
    if (system && "stopping".equals(f.subject())) { // a notice: no ack
      notifySystem(Message.of(f));
      return;
    }
    inHand++; // every delivery is acked exactly once below, now or when its handlers are done
    Uid u = Uid.of(f.uid());
    if (seen.containsKey(u)) {
      LOG.fine(() -> "redelivery of " + u + " acknowledged without calling handlers again");
      ack(f.uid(), gen);
      return;
    }
    seen.put(u, Boolean.TRUE);
    byte[] ref = f.reference();
    if (system) {
      Promise<Void> p = commands.remove(u);
      if (p != null || finished.containsKey(u)) { // the echo of one of our commands
        if (p != null) p.tryComplete();
        ack(f.uid(), gen);
        return;
      }
      // Anything else on system is an event, never a reply: events reference the message that
      // caused them (channel.created references the publish that created the channel), so
      // they also reach the endpoint through a request's message subscription.
    } else if (ref != null) {
      Uid r = Uid.of(ref);
      PendingRequest pr = requests.get(r);
      if (pr != null) {
        ack(f.uid(), gen);
        pr.onReply(Message.of(f));
        return;
      }
      if (finished.containsKey(r)) { // a late reply: dropped quietly
        ack(f.uid(), gen);
        return;
      }
    }
    Message m = Message.of(f);
    if (system) notifySystem(m);
    dispatch(m, gen, system);
  }

  private void dispatch(Message m, int gen, boolean system) {
    List<LocalSub> matching = matching(m);
    if (matching != null) {
      run(m, matching, gen);
    } else if (system) {
      // an event or a forwarded command: it went to the system listeners, nobody works on it
      ack(m.uidBytes(), gen);
    } else {
      hold(m, gen);
    }
  }

  /** The handlers whose patterns match, or null; collected first: a handler may subscribe or unsubscribe inline. */
  private List<LocalSub> matching(Message m) {
    List<LocalSub> matching = null;
    for (LocalSub s : subs) {
      if (!s.matches(m.channel(), m.subject())) continue;
      if (matching == null) matching = new ArrayList<>(1);
      matching.add(s);
    }
    return matching;
  }

  /**
   * No handler matches this delivery (yet): typically a node attaching to an endpoint that
   * holds messages is sent the first ones before its code registered its handlers. Acking it
   * would lose it, so it is kept unacknowledged, occupying its window slot, until a matching
   * handler is registered ({@link #releaseHeld}) or the connection ends (then the server's
   * rules for the unacknowledged deliveries of a node that left apply).
   */
  private void hold(Message m, int gen) {
    if (gen != generation) return;
    if (held.size() >= options.window()) {
      // the server only sends more than the window when the oldest ones passed its ack
      // timeout: it counted them lost and freed their slots, so they are given up here too
      Held old = held.pollFirst();
      inHand--;
      LOG.warning("endpoint " + endpoint + ": gave up " + old.m + ", held " + (System.currentTimeMillis() - old.since)
          + " ms without a matching handler; the server counted it lost when its ack timeout passed");
    }
    held.addLast(new Held(m, gen, System.currentTimeMillis()));
    LOG.fine(() -> "endpoint " + endpoint + ": holding " + m + " until a handler matches it");
  }

  /** Hands held deliveries that a handler now matches to it, in arrival order. */
  private void releaseHeld() {
    if (releasing || held.isEmpty()) return;
    releasing = true;
    try {
      while (true) {
        Held next = null;
        List<LocalSub> matching = null;
        for (Iterator<Held> it = held.iterator(); it.hasNext(); ) {
          Held h = it.next();
          matching = matching(h.m);
          if (matching != null) {
            it.remove();
            next = h;
            break;
          }
        }
        if (next == null) return;
        run(next.m, matching, next.gen); // may subscribe, unsubscribe or close: search again
      }
    } finally {
      releasing = false;
    }
  }

  /** Forgets what the lost or closed connection held; it was not acked, the server settles it. */
  private void dropHeld() {
    for (Held h : held) seen.remove(Uid.of(h.m.uidBytes())); // a requeued copy must be handled when it comes back
    if (!held.isEmpty()) {
      LOG.fine(() -> "endpoint " + endpoint + ": " + held.size() + " held deliveries left unacknowledged with their connection");
    }
    held.clear();
  }

  /** Logs, once each, the deliveries held for a while without a matching handler: not silent. */
  private void warnHeld(long now) {
    Held first = null;
    int n = 0;
    for (Held h : held) {
      if (h.warned || now - h.since < UNHANDLED_WARNING_MS) continue;
      h.warned = true;
      if (first == null) first = h;
      n++;
    }
    if (first == null) return;
    LOG.warning("endpoint " + endpoint + ": " + (n == 1 ? "a delivery has" : n + " deliveries have") + " waited over "
        + UNHANDLED_WARNING_MS / 1000 + " s for a handler (" + (n == 1 ? "" : "first: ") + first.m
        + "); it stays unacknowledged, holding a window slot, until subscribe() or reply() registers a handler"
        + " that matches it; when the connection ends first, or the server's delivery.ackTimeoutSeconds passes,"
        + " the server's rules for unacknowledged deliveries apply");
  }

  private static final class Held {
    final Message m;
    final int gen;
    final long since;
    boolean warned;

    Held(Message m, int gen, long since) {
      this.m = m;
      this.gen = gen;
      this.since = since;
    }
  }

  private void run(Message m, List<LocalSub> matching, int gen) {
    List<Future<?>> running = new ArrayList<>(matching.size());
    for (LocalSub s : matching) running.add(invoke(s, m));
    Future<?> all = running.size() == 1 ? running.get(0) : Future.join(running);
    if (all.isComplete() && Vertx.currentContext() == ctx) {
      ack(m.uidBytes(), gen);
    } else {
      all.onComplete(ar -> runOnContext(() -> ack(m.uidBytes(), gen)));
    }
  }

  private Future<?> invoke(LocalSub s, Message m) {
    Future<?> r;
    try {
      r = s.handler.handle(m);
      if (r == null) return Future.succeededFuture();
    } catch (Throwable t) {
      logHandlerFailure(s, m, t);
      return Future.succeededFuture();
    }
    return r.recover(t -> {
      logHandlerFailure(s, m, t);
      return Future.succeededFuture();
    });
  }

  private static void logHandlerFailure(LocalSub s, Message m, Throwable t) {
    LOG.log(Level.WARNING, "the handler of subscription (" + s.ch + ", " + s.sub + ") failed on " + m
        + "; the message is acknowledged anyway: " + t, t);
  }

  private void ack(byte[] uid, int gen) {
    WebSocket w = ws;
    if (gen != generation || w == null) return; // that delivery belonged to a lost connection
    inHand--;
    send(w, Ulids.next(), SYSTEM, "ack", uid, NIL);
  }

  private void onServerError(Frame f) {
    String code = "error";
    String text = "";
    try {
      Object d = MsgPack.unpack(f.rawBytes(), f.dataOffset(), f.dataLength());
      if (d instanceof List<?> l) {
        if (l.size() > 0 && l.get(0) != null) code = String.valueOf(l.get(0));
        if (l.size() > 1 && l.get(1) != null) text = String.valueOf(l.get(1));
      } else if (d != null) {
        text = String.valueOf(d);
      }
    } catch (IllegalArgumentException e) {
      text = "(an error whose data is not msgpack)";
    }
    ServerError e = new ServerError(code, text, f.reference());
    if (f.reference() != null) {
      Uid r = Uid.of(f.reference());
      Uid target = aliases.getOrDefault(r, r);
      Promise<Void> p = commands.remove(target);
      if (p != null) {
        p.tryFail(WsmsgException.fromServer(e));
        return;
      }
      PendingRequest pr = requests.get(target);
      if (pr != null) {
        pr.fail(WsmsgException.fromServer(e));
        return;
      }
    }
    if (errorListeners.isEmpty()) {
      LOG.warning("the server refused a message: " + e);
      return;
    }
    for (Consumer<ServerError> l : errorListeners) {
      try {
        l.accept(e);
      } catch (RuntimeException x) {
        LOG.log(Level.WARNING, "an error listener failed", x);
      }
    }
  }

  private void notifySystem(Message m) {
    for (Consumer<Message> l : systemListeners) {
      try {
        l.accept(m);
      } catch (RuntimeException x) {
        LOG.log(Level.WARNING, "a system event listener failed", x);
      }
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
  // sending
  // =====================================================================================

  private byte[] encode(byte[] uid, String channel, String subject, byte[] reference, Object data) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(subject, "subject");
    if (channel.isEmpty()) throw new IllegalArgumentException("the channel must not be empty");
    byte[] payload = data instanceof byte[] raw && raw == NIL ? NIL
        : data instanceof MsgPack.Raw r ? r.bytes() : MsgPack.pack(data);
    return FrameCodec.encode(uid, channel, subject, reference, payload, order).rawBytes();
  }

  private Future<Void> send(WebSocket w, byte[] uid, String channel, String subject, byte[] reference, Object data) {
    return w.writeBinaryMessage(Buffer.buffer(encode(uid, channel, subject, reference, data)));
  }

  private static WsmsgException invalid(RuntimeException e) {
    return new WsmsgException(WsmsgException.INVALID, e.getMessage(), e);
  }

  private <T> Future<T> notConnected() {
    if (closing) return Future.failedFuture(new WsmsgException(WsmsgException.CLOSED, "the client is closed"));
    return Future.failedFuture(new WsmsgException(WsmsgException.NOT_CONNECTED,
        "not connected to a gateway (" + state.name().toLowerCase() + ")"));
  }

  private void runOnContext(Runnable r) {
    if (Vertx.currentContext() == ctx) r.run();
    else ctx.runOnContext(v -> r.run());
  }

  /** Runs on the client's context; exceptions become failed futures. */
  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    if (Vertx.currentContext() == ctx) return call(action);
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

  /** Publishes; the future gives the message's uid once the frame is written (see the class notes). */
  public Future<Ulid> publish(String channel, String subject, Object data) {
    return publishWithReference(channel, subject, data, null);
  }

  /** Publishes with {@code reference} (a reply, or any message about another one). */
  public Future<Ulid> publish(String channel, String subject, Object data, Ulid reference) {
    return publishWithReference(channel, subject, data, reference == null ? null : reference.toBytes());
  }

  /**
   * Publishes with a reference given as raw uid bytes (uids of other clients may not be
   * 16-byte ULIDs). {@code data} is null, Boolean, a Number, String, byte[], List, Map,
   * Object[] or a {@link MsgPack.Raw} holding one already-encoded msgpack value, which is
   * sent as is. A value that cannot be sent fails the future with code {@code invalid}.
   */
  public Future<Ulid> publishWithReference(String channel, String subject, Object data, byte[] reference) {
    Ulid uid = UlidCreator.getUlid(); // random, not monotonic: request uids must not be guessable
    byte[] frame;
    try {
      frame = encode(uid.toBytes(), channel, subject, reference, data);
    } catch (RuntimeException e) {
      return Future.failedFuture(invalid(e));
    }
    return onContext(() -> {
      WebSocket w = ws;
      if (w == null) return notConnected();
      return w.writeBinaryMessage(Buffer.buffer(frame)).transform(ar -> ar.succeeded() ? Future.succeededFuture(uid)
          : Future.failedFuture(new WsmsgException(WsmsgException.CONNECTION_LOST,
              "the publish could not be written: " + ar.cause().getMessage(), ar.cause())));
    });
  }

  // ---- commands ----

  /**
   * Sends a command and completes once the server applied it (its echo came back), fails
   * with the server's error, or completes after the confirm timeout when no error came.
   */
  private Future<Void> confirmed(String subject, List<?> args) {
    WebSocket w = ws;
    if (w == null) return notConnected();
    byte[] c = Ulids.next();
    Uid cu = Uid.of(c);
    byte[] s = Ulids.next();
    Uid su = Uid.of(s);
    Promise<Void> p = Promise.promise();
    long confirmMs = options.confirmTimeout().toMillis();
    // Paused, or every window slot held by a delivery still being handled (typically: this
    // command is awaited inside a handler): the echo cannot come until a slot frees, so only
    // wait a short grace for an error, which the server sends at once, outside the window.
    long waitMs = paused || inHand >= options.window() ? Math.min(confirmMs, WINDOW_FULL_GRACE_MS) : confirmMs;
    try {
      byte[] frame = encode(c, SYSTEM, subject, c, args == null ? List.of() : args);
      // A paused node cannot get the echo: asked for, it would only wait in the endpoint's
      // queue (a shared one's other nodes would be handed it), so it is not asked for.
      if (!paused) send(w, s, SYSTEM, "subscribe.message", null, List.of(endpoint, c, confirmMs / 1000.0 + 10));
      commands.put(cu, p);
      aliases.put(su, cu);
      w.writeBinaryMessage(Buffer.buffer(frame)).onFailure(e -> {
        if (commands.remove(cu) != null) {
          p.tryFail(new WsmsgException(WsmsgException.CONNECTION_LOST, "the command could not be written", e));
        }
      });
    } catch (RuntimeException e) {
      return Future.failedFuture(invalid(e));
    }
    long timer = vertx.setTimer(waitMs, id -> {
      if (commands.remove(cu) != null) p.tryComplete(); // no error came: applied
    });
    return p.future().andThen(ar -> {
      vertx.cancelTimer(timer);
      commands.remove(cu);
      aliases.remove(su);
      finished.put(cu, System.currentTimeMillis() + confirmMs + 60_000);
    });
  }

  private Future<Void> command(String subject, List<?> args) {
    return onContext(() -> confirmed(subject, args));
  }

  /**
   * Sends any command of the system channel ({@code data} = the argument list) and
   * completes once applied; see the class notes on commands.
   */
  public Future<Void> command(String subject, Object... args) {
    return command(subject, Arrays.asList(args));
  }

  /** {@code channel.create [channel]}. */
  public Future<Void> createChannel(String channel) {
    return command("channel.create", List.of(channel));
  }

  /** {@code channel.size [channel, size]} (admin). */
  public Future<Void> sizeChannel(String channel, int size) {
    return command("channel.size", List.of(channel, size));
  }

  /** {@code channel.priority [channel, 0..99]} (admin). */
  public Future<Void> prioritizeChannel(String channel, int priority) {
    return command("channel.priority", List.of(channel, priority));
  }

  /** {@code endpoint.create [endpoint]}. */
  public Future<Void> createEndpoint(String endpoint) {
    return command("endpoint.create", List.of(endpoint));
  }

  /** {@code endpoint.size [endpoint, size]} (admin). */
  public Future<Void> sizeEndpoint(String endpoint, int size) {
    return command("endpoint.size", List.of(endpoint, size));
  }

  /** {@code stop} (admin): stops the server (the whole cluster) cleanly. */
  public Future<Void> stopServer() {
    return command("stop", List.of());
  }

  /**
   * {@code subscribe.channel} for any endpoint, without a local handler (tools that manage
   * other endpoints' subscriptions). To receive messages yourself use {@link #subscribe}.
   */
  public Future<Void> subscribeChannel(String endpoint, String channelPattern, String subjectPattern) {
    return command("subscribe.channel", List.of(endpoint, channelPattern, subjectPattern == null ? "*" : subjectPattern));
  }

  /** {@code unsubscribe.channel [endpoint, pattern]}: removes every subscription whose channel pattern matches {@code pattern}. */
  public Future<Void> unsubscribeChannel(String endpoint, String pattern) {
    return command("unsubscribe.channel", List.of(endpoint, pattern));
  }

  /** {@code subscribe.message [endpoint, uid, expires]}; {@code expires} null = the server's default. */
  public Future<Void> subscribeMessage(String endpoint, byte[] uid, Duration expires) {
    return command("subscribe.message", expires == null ? List.of(endpoint, uid)
        : List.of(endpoint, uid, expires.toMillis() / 1000.0));
  }

  /** {@code unsubscribe.message [endpoint, uid]}. */
  public Future<Void> unsubscribeMessage(String endpoint, byte[] uid) {
    return command("unsubscribe.message", List.of(endpoint, uid));
  }

  /**
   * Completes once the server has processed everything this client sent before: any
   * {@code error} for earlier publishes has arrived (and gone to {@link #onError}) by then.
   */
  public Future<Void> sync() {
    return command("endpoint.create", List.of(endpoint));
  }

  /**
   * Stops deliveries to this node ({@code pause}); it can still publish and send commands.
   * Kept across reconnections. Completes when written (a paused node cannot get the echo).
   */
  public Future<Void> pause() {
    return onContext(() -> {
      paused = true;
      WebSocket w = ws;
      return w == null ? Future.succeededFuture() : send(w, Ulids.next(), SYSTEM, "pause", null, NIL);
    });
  }

  /** Restarts deliveries ({@code resume}). */
  public Future<Void> resume() {
    return onContext(() -> {
      paused = false;
      WebSocket w = ws;
      return w == null ? Future.succeededFuture() : send(w, Ulids.next(), SYSTEM, "resume", null, NIL);
    });
  }

  // =====================================================================================
  // subscriptions
  // =====================================================================================

  /**
   * Subscribes this client's endpoint to messages whose channel matches
   * {@code channelPattern} and subject matches {@code subjectPattern} (shell globs), and
   * hands them to {@code handler}; the message is acknowledged when the handler's future
   * completes. The future completes once the server applied the subscription.
   *
   * <pre>{@code
   * client.subscribe("jobs", "*", m -> resize((byte[]) m.data()));   // returns a Future
   * }</pre>
   */
  public Future<Subscription> subscribe(String channelPattern, String subjectPattern, MessageHandler handler) {
    Objects.requireNonNull(handler, "handler");
    try {
      checkPattern(channelPattern, "channel pattern", false);
      checkPattern(subjectPattern, "subject pattern", true);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(invalid(e));
    }
    return onContext(() -> {
      if (closing) return Future.failedFuture(new WsmsgException(WsmsgException.CLOSED, "the client is closed"));
      LocalSub s = new LocalSub(channelPattern, subjectPattern, handler);
      boolean established = false;
      for (LocalSub o : subs) established |= o.is(s.ch, s.sub) && o.ready.future().succeeded();
      subs.add(s);
      if (established) s.ready.complete(s);
      else if (ws != null) sendSubscribe(s.ch, s.sub);
      // else: sent when a connection is open again
      releaseHeld(); // deliveries that arrived before this handler was registered
      return s.ready.future();
    });
  }

  /**
   * Like {@link #subscribe(String, String, MessageHandler)} for a handler that is done when it
   * returns ({@code client.consume("orders", "*", queue::offer)}). A separate name rather than
   * an overload: with both, Java finds {@code m -> f(m)} and {@code q::offer} ambiguous.
   */
  public Future<Subscription> consume(String channelPattern, String subjectPattern, Consumer<Message> handler) {
    Objects.requireNonNull(handler, "handler");
    return subscribe(channelPattern, subjectPattern, (MessageHandler) m -> {
      handler.accept(m);
      return null;
    });
  }

  private static void checkPattern(String p, String what, boolean mayBeEmpty) {
    if (p == null) throw new IllegalArgumentException("the " + what + " must not be null");
    int n = p.getBytes(StandardCharsets.UTF_8).length;
    if ((!mayBeEmpty && n == 0) || n > FrameCodec.MAX_NAME_BYTES) {
      throw new IllegalArgumentException("the " + what + " must have " + (mayBeEmpty ? 0 : 1) + " to 255 bytes of UTF-8");
    }
  }

  private Future<Void> sendSubscribe(String ch, String sub) {
    return confirmed("subscribe.channel", List.of(endpoint, ch, sub)).andThen(ar -> {
      boolean serverRefused = ar.failed() && ar.cause() instanceof WsmsgException e && e.isServerError();
      boolean pendingFailed = false;
      for (LocalSub s : new ArrayList<>(subs)) {
        if (!s.is(ch, sub) || s.ready.future().isComplete()) continue;
        if (ar.succeeded()) {
          s.ready.tryComplete(s);
        } else if (serverRefused) {
          subs.remove(s);
          s.ready.tryFail(ar.cause());
          pendingFailed = true;
        }
        // connection lost: the next connection sends it again
      }
      if (serverRefused && !pendingFailed) {
        LOG.warning("the server refused to restore subscription (" + ch + ", " + sub + ") of endpoint " + endpoint
            + ": " + ar.cause().getMessage());
      }
    });
  }

  private Future<Void> unsubscribe(LocalSub s) {
    return onContext(() -> {
      if (!subs.remove(s)) return Future.succeededFuture();
      s.ready.tryFail(new WsmsgException(WsmsgException.CLOSED, "unsubscribed before the server confirmed"));
      if (closing) return Future.succeededFuture();
      for (LocalSub o : subs) {
        if (o.is(s.ch, s.sub)) return Future.succeededFuture(); // another handler still needs it
      }
      String pattern = literalGlob(s.ch);
      if (ws == null) {
        unsubscribeOnRestore.add(pattern);
        return Future.succeededFuture();
      }
      Future<Void> f = confirmed("unsubscribe.channel", List.of(endpoint, pattern));
      // unsubscribe.channel removes every subscription of the endpoint whose channel pattern
      // the pattern matches, all subject filters included: send the ones still wanted again.
      Glob g = Glob.compile(pattern);
      for (List<String> pair : distinctPairs(o -> g.matches(o.ch))) sendSubscribe(pair.get(0), pair.get(1));
      return f;
    });
  }

  /** A glob that matches exactly {@code pattern} taken literally (when it fits in 255 bytes). */
  static String literalGlob(String pattern) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '*' || c == '?' || c == '[') sb.append('[').append(c).append(']');
      else sb.append(c);
    }
    String escaped = sb.toString();
    return escaped.getBytes(StandardCharsets.UTF_8).length <= FrameCodec.MAX_NAME_BYTES ? escaped : pattern;
  }

  private List<List<String>> distinctPairs(java.util.function.Predicate<LocalSub> filter) {
    LinkedHashSet<List<String>> pairs = new LinkedHashSet<>();
    for (LocalSub s : subs) if (filter.test(s)) pairs.add(List.of(s.ch, s.sub));
    return new ArrayList<>(pairs);
  }

  private final class LocalSub implements Subscription {
    final String ch;
    final String sub;
    final Glob chGlob;
    final Glob subGlob;
    final MessageHandler handler;
    final Promise<Subscription> ready = Promise.promise();

    LocalSub(String ch, String sub, MessageHandler handler) {
      this.ch = ch;
      this.sub = sub;
      this.chGlob = Glob.compile(ch);
      this.subGlob = Glob.compile(sub);
      this.handler = handler;
    }

    boolean is(String c, String s) {
      return ch.equals(c) && sub.equals(s);
    }

    boolean matches(String channel, String subject) {
      return chGlob.matches(channel) && subGlob.matches(subject);
    }

    @Override
    public String channelPattern() {
      return ch;
    }

    @Override
    public String subjectPattern() {
      return sub;
    }

    @Override
    public Future<Void> unsubscribe() {
      return WsmsgClient.this.unsubscribe(this);
    }

    @Override
    public String toString() {
      return "Subscription(" + endpoint + ", '" + ch + "', '" + sub + "')";
    }
  }

  // =====================================================================================
  // request / reply
  // =====================================================================================

  /** The subject replies to {@code requestSubject} go on: {@code <x>.reply} for {@code <x>.request}, else {@code <subject>.reply}. */
  public static String replySubject(String requestSubject) {
    return base(requestSubject) + ".reply";
  }

  /** The subject a replier's failure goes on: {@code <x>.exception} for {@code <x>.request}, else {@code <subject>.exception}. */
  public static String exceptionSubject(String requestSubject) {
    return base(requestSubject) + ".exception";
  }

  private static String base(String s) {
    return s.endsWith(".request") ? s.substring(0, s.length() - ".request".length()) : s;
  }

  private static boolean isReplySubject(String s) {
    return s.endsWith(".reply") || s.endsWith(".exception");
  }

  /** {@link #request(String, String, Object, Duration)} with {@link ClientOptions#requestTimeout}. */
  public Future<Message> request(String channel, String subject, Object data) {
    return request(channel, subject, data, options.requestTimeout());
  }

  /**
   * Publishes a request and completes with its first reply (a message referencing it). A
   * reply on the exception subject fails the future with a {@link RemoteException} carrying
   * the replier's error text; no reply within {@code timeout} fails it with code
   * {@code timeout}; an {@code error} from the server fails it with the server's code.
   *
   * <pre>{@code
   * client.request("users", "user.get.request", Map.of("id", 7), Duration.ofSeconds(2))
   *     .onSuccess(reply -> System.out.println(reply.data()))
   *     .onFailure(e -> System.err.println(e.getMessage()));
   * }</pre>
   */
  public Future<Message> request(String channel, String subject, Object data, Duration timeout) {
    return startRequest(channel, subject, data, timeout, null);
  }

  /**
   * Publishes a request and hands every reply to {@code onReply} until {@code expiry}; the
   * future then completes with the number of replies. Replies on the exception subject are
   * handed over too (see {@link Message#isException()}).
   */
  public Future<Integer> requestStream(String channel, String subject, Object data, Duration expiry,
      Consumer<Message> onReply) {
    Objects.requireNonNull(onReply, "onReply");
    return startRequest(channel, subject, data, expiry, onReply);
  }

  private <T> Future<T> startRequest(String channel, String subject, Object data, Duration timeout,
      Consumer<Message> stream) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      return Future.failedFuture(invalid(new IllegalArgumentException("the timeout must be positive")));
    }
    byte[] uid = Ulids.next();
    byte[] frame;
    try {
      frame = encode(uid, channel, subject, null, data);
    } catch (RuntimeException e) {
      return Future.failedFuture(invalid(e));
    }
    return onContext(() -> {
      WebSocket w = ws;
      if (w == null) return notConnected();
      PendingRequest r = new PendingRequest(uid, channel, subject, System.currentTimeMillis() + timeout.toMillis(), stream);
      requests.put(r.key, r);
      r.timer = vertx.setTimer(timeout.toMillis(), id -> r.expire());
      subscribeReplies(w, r);
      w.writeBinaryMessage(Buffer.buffer(frame)).onFailure(e -> r.fail(new WsmsgException(
          WsmsgException.CONNECTION_LOST, "the request could not be written: " + e.getMessage(), e)));
      @SuppressWarnings("unchecked")
      Future<T> f = (Future<T>) r.promise.future();
      return f;
    });
  }

  private void subscribeReplies(WebSocket w, PendingRequest r) {
    long left = r.deadline - System.currentTimeMillis();
    if (left <= 0) return;
    byte[] s = Ulids.next();
    Uid su = Uid.of(s);
    aliases.put(su, r.key);
    r.aliases.add(su);
    send(w, s, SYSTEM, "subscribe.message", null, List.of(endpoint, r.uid, left / 1000.0 + 1));
  }

  private final class PendingRequest {
    final byte[] uid;
    final Uid key;
    final String channel;
    final String subject;
    final long deadline;
    final Consumer<Message> stream;
    final Promise<Object> promise = Promise.promise();
    final List<Uid> aliases = new ArrayList<>(1);
    final long created = System.currentTimeMillis();
    long timer = -1;
    int count;

    PendingRequest(byte[] uid, String channel, String subject, long deadline, Consumer<Message> stream) {
      this.uid = uid;
      this.key = Uid.of(uid);
      this.channel = channel;
      this.subject = subject;
      this.deadline = deadline;
      this.stream = stream;
    }

    void onReply(Message m) {
      if (stream != null) {
        count++;
        try {
          stream.accept(m);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "a request stream consumer failed on " + m, e);
        }
        return;
      }
      List<Uid> subscribed = new ArrayList<>(aliases);
      finish();
      release(subscribed);
      if (m.subject().equals(exceptionSubject(subject))) {
        Object d;
        try {
          d = m.data();
        } catch (IllegalArgumentException e) {
          d = null;
        }
        promise.tryFail(new RemoteException(d instanceof String s ? s : Repr.of(d), m));
      } else {
        promise.tryComplete(m);
      }
    }

    void expire() {
      timer = -1;
      if (requests.get(key) != this) return;
      finish();
      if (stream != null) {
        promise.tryComplete(count);
      } else {
        promise.tryFail(new WsmsgException(WsmsgException.TIMEOUT, "no reply to " + subject + " on channel "
            + channel + " within " + (deadline - created) + " ms"));
      }
    }

    void fail(Throwable t) {
      if (requests.get(key) != this) return;
      finish();
      promise.tryFail(t);
    }

    /**
     * A single-reply request is answered: its message subscriptions on the server are no
     * longer needed, so they are removed now (fire and forget) rather than left to expire and
     * count against the server's limit.
     */
    private void release(List<Uid> extra) {
      WebSocket w = ws;
      if (w == null) return;
      send(w, Ulids.next(), SYSTEM, "unsubscribe.message", null, List.of(endpoint, uid));
      for (Uid a : extra) send(w, Ulids.next(), SYSTEM, "unsubscribe.message", null, List.of(endpoint, a.bytes()));
    }

    private void finish() {
      requests.remove(key);
      if (timer >= 0) vertx.cancelTimer(timer);
      timer = -1;
      for (Uid a : aliases) WsmsgClient.this.aliases.remove(a);
      // the server-side message subscription lives until deadline + 1 s: drop late replies quietly till then
      finished.put(key, Math.max(deadline, System.currentTimeMillis()) + 5000);
    }
  }

  /**
   * Serves requests: every message matching the patterns is passed to {@code handler}, and
   * the value its future yields is published on the same channel with {@code reference} =
   * the request's uid and subject {@link #replySubject}; a failure (failed future or thrown
   * exception) is published on {@link #exceptionSubject} with the error text as data. The
   * request is acknowledged once the reply is written. Messages whose subject ends in
   * {@code .reply} or {@code .exception} are never answered (no reply loops).
   *
   * <pre>{@code
   * client.reply("users", "user.get.request", m -> users.find(m.dataAs(JsonObject.class)));
   * }</pre>
   */
  public Future<Subscription> reply(String channelPattern, String subjectPattern,
      Function<Message, Future<Object>> handler) {
    Objects.requireNonNull(handler, "handler");
    return subscribe(channelPattern, subjectPattern, (MessageHandler) m -> serve(m, handler));
  }

  private Future<?> serve(Message m, Function<Message, Future<Object>> handler) {
    if (isReplySubject(m.subject())) return null;
    Future<Object> result;
    try {
      result = handler.apply(m);
      if (result == null) result = Future.succeededFuture();
    } catch (Throwable t) {
      result = Future.failedFuture(t);
    }
    return result.transform(ar -> {
      if (ar.succeeded()) {
        return publishWithReference(m.channel(), replySubject(m.subject()), ar.result(), m.uidBytes())
            .recover(e -> e instanceof WsmsgException w && WsmsgException.INVALID.equals(w.code())
                ? publishWithReference(m.channel(), exceptionSubject(m.subject()),
                    "the reply could not be sent: " + e.getMessage(), m.uidBytes())
                : Future.failedFuture(e));
      }
      Throwable t = ar.cause();
      LOG.fine(() -> "replier for " + m.subject() + " failed: " + t);
      return publishWithReference(m.channel(), exceptionSubject(m.subject()), errorText(t), m.uidBytes());
    });
  }

  static String errorText(Throwable t) {
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }

  // =====================================================================================
  // listeners, accessors, closing
  // =====================================================================================

  /**
   * Called for every message on channel {@code system} that reaches this client, except the
   * echoes of its own commands: server events ({@code node.joined}, {@code channel.created},
   * ... when the endpoint subscribes to {@code system}), commands forwarded to monitors, and
   * the {@code stopping} notice. Such messages also go to matching subscription handlers.
   */
  public WsmsgClient onSystemEvent(Consumer<Message> listener) {
    systemListeners.add(Objects.requireNonNull(listener));
    return this;
  }

  /**
   * Called for every {@code error} from the server that did not fail a pending future
   * (errors referencing a pending request or command fail that future instead): refused
   * publishes, bad frames... Without a listener such errors are logged.
   */
  public WsmsgClient onError(Consumer<ServerError> listener) {
    errorListeners.add(Objects.requireNonNull(listener));
    return this;
  }

  /** Called on every change of {@link #state()}. */
  public WsmsgClient onStateChange(Consumer<ConnectionState> listener) {
    stateListeners.add(Objects.requireNonNull(listener));
    return this;
  }

  /**
   * Called on the client's event loop for every connection attempt that fails, with the
   * reason: each URL tried by {@code connect}, and each reconnection attempt (the client keeps
   * trying, with backoff, except after the refusals described in the class notes: that last
   * one is reported after the state became {@code CLOSED}). Code {@code connect_failed}, or
   * {@code unauthorized} for an upgrade refused with HTTP 401/403 ({@link WsmsgException#httpStatus()}).
   * Without a listener, the refusal that closes the client is logged (WARNING).
   */
  public WsmsgClient onConnectFailure(Consumer<WsmsgException> listener) {
    connectFailureListeners.add(Objects.requireNonNull(listener));
    return this;
  }

  /**
   * Why the client closed by itself: the refusal that ended reconnection (code
   * {@code unauthorized}), the lost connection when reconnection is off
   * ({@code connection_lost}), or the failure of the first connect. Null while the client is
   * open, and after {@link #close()}.
   */
  public WsmsgException closeCause() {
    return closeCause;
  }

  public ConnectionState state() {
    return state;
  }

  /** The endpoint this client is attached to. */
  public String endpoint() {
    return endpoint;
  }

  public Vertx vertx() {
    return vertx;
  }

  public ClientOptions options() {
    return new ClientOptions(options);
  }

  /**
   * Closes the connection (code 1000) and stops reconnecting. Pending requests and commands
   * fail with code {@code closed}. Closes the Vert.x instance when the client made it.
   * Idempotent.
   */
  public Future<Void> close() {
    Promise<Void> p = Promise.promise();
    ctx.runOnContext(v -> doClose().onComplete(p));
    return p.future();
  }

  private Future<Void> doClose() {
    if (closeFuture != null) return closeFuture;
    WsmsgException e = new WsmsgException(WsmsgException.CLOSED, "the client was closed");
    shutdown(e);
    return closeFuture;
  }

  /** Final: fails everything pending, closes the socket, the WebSocket client and an owned Vert.x. */
  private void shutdown(WsmsgException e) {
    if (closeFuture != null) return;
    closing = true;
    if (!WsmsgException.CLOSED.equals(e.code())) closeCause = e; // before CLOSED is reported
    triedToken = null;
    refusedToken = null;
    if (reconnectTimer >= 0) vertx.cancelTimer(reconnectTimer);
    if (housekeepingTimer >= 0) vertx.cancelTimer(housekeepingTimer);
    setState(ConnectionState.CLOSED); // before failing futures: their callbacks see the final state
    for (Promise<Void> p : new ArrayList<>(commands.values())) p.tryFail(e);
    commands.clear();
    for (PendingRequest r : new ArrayList<>(requests.values())) r.fail(e);
    for (LocalSub s : subs) s.ready.tryFail(e);
    connected.tryFail(e);
    dropHeld();
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
  private static Future<Void> closeVertx(Vertx v) {
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

  @Override
  public String toString() {
    return "WsmsgClient(endpoint=" + endpoint + ", state=" + state + ")";
  }

  // for tests and tools
  int subscriptionCount() {
    return subs.size();
  }

  /** Deliveries held for a handler (see {@link #hold}); read from any thread, for tests. */
  int heldCount() {
    return onContext(() -> Future.succeededFuture(held.size())).toCompletionStage().toCompletableFuture().join();
  }
}
