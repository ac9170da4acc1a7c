package io.wsmsg.gateway;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.buffer.Buffer;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.wsmsg.auth.AuthException;
import io.wsmsg.auth.Authenticator;
import io.wsmsg.auth.Identity;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.registry.Registry;
import io.wsmsg.registry.EventSink;
import io.wsmsg.router.ChannelRouters;
import io.wsmsg.router.Delivery;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The WebSocket gateway: upgrades and authenticates connections, runs one {@link Session}
 * per node, owns the endpoint queues of its endpoints and delivers from them under flow
 * control. All of its state lives on its own event loop, so writes to sockets are made there
 * and need no locks.
 */
public final class GatewayVerticle extends AbstractVerticle implements OwnershipHost {
  final Logger log = Logger.getLogger(GatewayVerticle.class.getName());
  final ServerConfig config;
  final Counters counters;
  final ChannelRouters routers;
  final Registry registry;
  final Commands commands = new Commands(this);
  /** Reclaims ephemeral and idle endpoints. */
  final Lifecycle lifecycle = new Lifecycle(this);
  private final Authenticator authenticator;
  private final EventSink events;
  private final List<Glob> requeueGlobs = new ArrayList<>();

  private final Map<String, Endpoint> endpoints = new HashMap<>();
  /** The node's message memory (limits.maxQueuedMiB), shared with the channel routers. */
  final io.wsmsg.metrics.MemoryBudget budget;
  private final Set<Session> sessions = new LinkedHashSet<>();
  /** Nodes closed for flooding: one log line per 10 s at most. */
  final RateLimitedLog floodLog = new RateLimitedLog(log, 10_000);
  /** Refused upgrades: one line per 10 s at most for each HTTP status (see {@link #refuse(HttpServerRequest, Admission.Conn, int, String, String)}). */
  private final Map<Integer, RateLimitedLog> refusedLogs = new HashMap<>();
  /** Nodes closed for oversized or malformed frames, and for not answering pings: 10 s each. */
  private final RateLimitedLog frameCloseLog = new RateLimitedLog(log, java.util.logging.Level.INFO, 10_000);
  private final RateLimitedLog pingCloseLog = new RateLimitedLog(log, java.util.logging.Level.INFO, 10_000);
  private HttpServer server;
  private Admission admission;
  /** Where token signatures are verified: never on this gateway's event loop (see {@link #verify}). */
  private io.vertx.core.WorkerExecutor verifiers;
  volatile boolean stopping;
  /** The uid of the stop command that is stopping this server, if a command did. */
  private volatile byte[] stopCause;
  /** Set when the state is captured for the snapshot: nothing more leaves the queues. */
  boolean frozen;

  /** Who owns each endpoint, and what is done about the ones owned elsewhere. */
  final Ownership ownership;

  public GatewayVerticle(ServerConfig config, Registry registry, ChannelRouters routers, Authenticator authenticator,
      EventSink events, Counters counters, Ownership ownership) {
    this.ownership = ownership;
    this.config = config;
    this.registry = registry;
    this.routers = routers;
    this.budget = routers.budget();
    this.authenticator = authenticator;
    this.events = events;
    this.counters = counters;
    for (String g : config.requeueUnacked) requeueGlobs.add(Glob.compile(g));
    ownership.bind(this);
  }

  /** The certificate when the port speaks wss:// (set before deploying), else null. */
  private io.wsmsg.tls.CertificateReloader tls;

  /** Serve wss:// with this certificate, reloaded as it changes. */
  public void tls(io.wsmsg.tls.CertificateReloader tls) {
    this.tls = tls;
  }

  @Override
  public void start(Promise<Void> started) {
    vertx.eventBus().<Delivery>localConsumer(Delivery.ADDRESS, m -> deliver(m.body()));
    long sweep = Math.max(50, Math.min(1000, config.ackTimeoutMillis / 4));
    vertx.setPeriodic(sweep, id -> sweepAcks());
    long ttlSweep = config.endpointTtlMillis > 0 ? Math.max(50, Math.min(1000, config.endpointTtlMillis / 4 + 1)) : 1000;
    vertx.setPeriodic(ttlSweep, id -> sweepTtl());
    if (config.pingIntervalMillis > 0) vertx.setPeriodic(Math.max(100, config.pingIntervalMillis / 2), id -> sweepPings());
    lifecycle.start();

    HttpServerOptions opts = new HttpServerOptions()
        .setHost(config.host)
        .setPort(config.port)
        .setMaxWebSocketFrameSize(config.maxFrameBytes)
        .setMaxWebSocketMessageSize(config.maxFrameBytes)
        // Vert.x offers both deflate extensions by default, and Netty then inflates a frame
        // without bound (a 1 MiB frame of zeros is about 1 GiB): off unless limits.compression,
        // and then each frame's inflation is bounded (boundInflation).
        .setPerMessageWebSocketCompressionSupported(config.compression)
        .setPerFrameWebSocketCompressionSupported(config.compression)
        // WebSockets here are HTTP/1.1 only. With h2c on, Vert.x holds a new connection aside
        // until its first bytes show which protocol it speaks, and only then reports it: a
        // request stalled halfway would escape the connection limits and the handshake timeout.
        .setHttp2ClearTextEnabled(false)
        .setTcpNoDelay(true);
    if (tls != null) tls.current().apply(opts, true);
    admission = new Admission(vertx, config, counters, log);
    // One thread per two cores at most: a burst of RS256/ES256 logins then takes at most half
    // of the machine, and the event loops keep serving connected nodes.
    verifiers = Authenticator.verifierPool(vertx);
    server = vertx.createHttpServer(opts).connectionHandler(this::onConnection).requestHandler(this::onRequest);
    if (tls != null) server.exceptionHandler(new io.wsmsg.tls.HandshakeLog(log, "WebSocket port"));
    ownership.start().compose(v -> server.listen()).<Void>mapEmpty()
        .onSuccess(v -> {
          if (tls != null) tls.register(server, true);
        })
        .onComplete(started);
  }

  @Override
  public void stop() {
    if (tls != null && server != null) tls.unregister(server);
    ownership.close();
    if (verifiers != null) verifiers.close();
  }

  /** The port actually bound (useful with port 0). */
  public int actualPort() {
    return server.actualPort();
  }

  // ---- connecting ----

  private void onConnection(io.vertx.core.http.HttpConnection c) {
    Admission.Conn conn = admission.accept(c);
    if (config.compression && !conn.refused()) boundInflation(conn);
  }

  /**
   * Vert.x builds Netty's deflate handshakers without an inflation bound. Netty 4.2 can bound
   * each frame's inflated size (maxAllocation; beyond it the inflater throws instead of growing
   * its buffer), so Vert.x's extension handler is replaced by one with that bound set to
   * limits.maxFrameBytes. A fragmented message is then bounded by Vert.x's message limit as
   * without compression. If the handler cannot be replaced the connection is closed: never
   * inflate without a bound.
   */
  private void boundInflation(Admission.Conn conn) {
    String name = "webSocketExtensionHandler";
    try {
      io.netty.channel.ChannelPipeline p = ((io.vertx.core.net.impl.ConnectionBase) conn.connection).channel().pipeline();
      if (p.get(name) == null) throw new IllegalStateException("no " + name + " in the pipeline");
      int max = config.maxFrameBytes;
      p.replace(name, name, new io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler(
          new io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker(
              HttpServerOptions.DEFAULT_WEBSOCKET_COMPRESSION_LEVEL,
              io.netty.handler.codec.compression.ZlibCodecFactory.isSupportingWindowSizeAndMemLevel(), 15, false, false,
              max),
          new io.netty.handler.codec.http.websocketx.extensions.compression.DeflateFrameServerExtensionHandshaker(
              HttpServerOptions.DEFAULT_WEBSOCKET_COMPRESSION_LEVEL, max)));
    } catch (RuntimeException e) {
      log.severe("limits.compression is on but inflation cannot be bounded with this Vert.x/Netty (" + e
          + "): closing the connection; turn limits.compression off");
      conn.connection.close();
    }
  }

  /**
   * Verifies a token away from this event loop, which serves every connected node: an RS256
   * signature costs 50-100 us of CPU and an ES256 one 1-2 ms on a small machine (JDK 17, two
   * busy cores), so a burst of logins stalled every delivery. Measured with 300 ES256 logins
   * at once (SlowlorisTest): a connected node's median round trip was 0.9-2.9 s with the
   * verification here, 0.6-2.8 ms with it on workers.
   * Unordered, on a small dedicated pool ({@link #verifiers}): a slow verification holds up
   * no other, and a flood of logins cannot occupy the shared worker pool that snapshots use.
   * Outstanding verifications are bounded by limits.maxPendingUpgrades, since each pending
   * connection has at most one request in progress (its request is paused until answered).
   * Without a token check to make (auth mode none), no thread is involved.
   */
  private Future<Identity> verify(String token) {
    return authenticator.authenticateOn(verifiers, token);
  }

  private void onRequest(HttpServerRequest req) {
    Admission.Conn conn = admission.of(req.connection());
    if (conn != null && conn.refused()) {
      answer(req, conn.refusedStatus, conn.refusedWhy); // counted by Admission
      return;
    }
    String upgrade = req.getHeader(HttpHeaders.UPGRADE);
    if (upgrade == null || !"websocket".equalsIgnoreCase(upgrade)) {
      refuse(req, Counters.Refusal.BAD_REQUEST, 426,
          "this is the wsmsg WebSocket port: connect with ws://host:port" + config.root + "<endpoint>");
      return;
    }
    String endpointName;
    try {
      endpointName = EndpointPath.parse(req.path(), config.root);
    } catch (IllegalArgumentException e) {
      refuse(req, Counters.Refusal.BAD_REQUEST, 400, e.getMessage());
      return;
    }
    int window = config.window;
    String w = req.getParam("window");
    if (w != null) {
      try {
        window = Integer.parseInt(w);
      } catch (NumberFormatException e) {
        window = -1;
      }
      if (window < 1 || window > config.maxWindow) {
        refuse(req, Counters.Refusal.BAD_REQUEST, 400,
            "window must be an integer from 1 to " + config.maxWindow + ", not \"" + w + "\"");
        return;
      }
    }
    WireOrder order = null;
    String o = req.getParam("order");
    if (o != null) {
      order = WireOrder.parse(o);
      if (order == null) {
        refuse(req, Counters.Refusal.BAD_REQUEST, 400, "order must be seed or legacy, not \"" + o + "\"");
        return;
      }
    }
    Boolean ephemeral = flag(req, "ephemeral");
    // paused=1: the node starts paused (as if its first frame were pause) and gets no delivery
    // until it sends resume; a node that only publishes on a shared endpoint takes none of it
    Boolean paused = ephemeral == null ? null : flag(req, "paused");
    if (ephemeral == null || paused == null) return;
    if (stopping) {
      refuse(req, Counters.Refusal.STOPPING, conn, 503, endpointName, "the server is stopping");
      return;
    }
    String token = bearer(req);
    boolean finalEphemeral = ephemeral;
    boolean finalPaused = paused;
    int finalWindow = window;
    WireOrder finalOrder = order;
    req.pause();
    verify(token).onComplete(ar -> {
      try {
        upgradeChecked(req, conn, ar, endpointName, finalWindow, finalOrder, finalEphemeral, finalPaused);
      } catch (RuntimeException e) {
        // never leave a paused request unanswered, whatever went wrong
        log.warning("refused a connection from " + req.remoteAddress() + ": " + e.getMessage());
        if (!req.response().ended()) answer(req, 400, "the request could not be handled");
      }
    });
  }

  private void upgradeChecked(HttpServerRequest req, Admission.Conn conn, io.vertx.core.AsyncResult<Identity> ar,
      String endpointName, int finalWindow, WireOrder finalOrder, boolean ephemeral, boolean paused) {
    {
      if (ar.failed()) {
        String why = ar.cause() instanceof AuthException ? ar.cause().getMessage() : "the token could not be checked";
        why = printable(why);
        req.response().putHeader("WWW-Authenticate",
            "Bearer error=\"invalid_token\", error_description=\"" + why.replace('"', '\'').replace('\\', '/') + "\"");
        refuse(req, Counters.Refusal.UNAUTHORIZED, conn, 401, endpointName, why);
        return;
      }
      Identity id = ar.result();
      if (!id.permissions().mayAttach(endpointName)) {
        refuse(req, Counters.Refusal.FORBIDDEN, conn, 403, endpointName,
            "your token does not allow endpoint " + endpointName);
        return;
      }
      if (!registry.hasEndpoint(endpointName) && registry.endpointCount() >= config.maxEndpoints) {
        refuse(req, Counters.Refusal.MAX_ENDPOINTS, conn, 503, endpointName,
            "the server holds its maximum of " + config.maxEndpoints
            + " endpoints (limits.maxEndpoints)");
        return;
      }
      if (!registry.hasEndpoint(endpointName)) {
        String no = registry.quotaRefusal(id.subject(), id.quotas(), io.wsmsg.registry.QuotaBook.ENDPOINTS,
            "endpoint " + endpointName);
        if (no != null) {
          refuse(req, Counters.Refusal.ENDPOINT_QUOTA, conn, 429, endpointName, printable(no));
          return;
        }
      }
      req.resume();
      if (conn != null && conn.released) return; // closed (or timed out) while its token was checked
      req.toWebSocket().onComplete(ws -> {
        if (ws.succeeded()) attach(ws.result(), conn, endpointName, id, finalWindow, finalOrder, ephemeral, paused);
      });
    }
  }

  /**
   * A yes/no connect parameter: 1/true or 0/false, false when absent; anything else is
   * refused with 400 and null is returned.
   */
  private Boolean flag(HttpServerRequest req, String name) {
    String v = req.getParam(name);
    if (v == null || v.equals("0") || v.equals("false")) return false;
    if (v.equals("1") || v.equals("true")) return true;
    refuse(req, Counters.Refusal.BAD_REQUEST, 400, name + " must be 1 or 0, not \"" + printable(v) + "\"");
    return null;
  }

  /** Text that is safe in a header and a log line: no control characters, bounded length. */
  private static String printable(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 200));
    for (int i = 0; i < s.length() && b.length() < 200; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c == 0x7f || c > 0x7e ? '?' : c);
    }
    return b.toString();
  }

  /** The token from {@code Authorization: Bearer ...}, else the {@code access_token} parameter. */
  private static String bearer(HttpServerRequest req) {
    String h = req.getHeader(HttpHeaders.AUTHORIZATION);
    if (h != null) {
      h = h.trim();
      if (h.regionMatches(true, 0, "Bearer ", 0, 7)) return h.substring(7).trim();
      return h; // a bare token; the authenticator will say what is wrong with it
    }
    return req.getParam("access_token");
  }

  /**
   * Refuses an upgrade the operator should hear of (401, 403, 429, 503): one INFO line per
   * status per 10 s at most, with the reason, the client's address and the endpoint; never the
   * token (a refusal's reason names none).
   */
  private void refuse(HttpServerRequest req, Counters.Refusal reason, Admission.Conn conn, int status, String endpoint,
      String why) {
    counters.refused(reason);
    String from = conn != null ? conn.ip
        : req.remoteAddress() == null ? "?" : String.valueOf(req.remoteAddress().hostAddress());
    refusedLogs.computeIfAbsent(status, k -> new RateLimitedLog(log, java.util.logging.Level.INFO, 10_000))
        .log("refused a connection from " + from + " to endpoint " + endpoint + ": HTTP " + status + ", " + why);
    answer(req, status, why);
  }

  /** Counts the refusal by its reason, then answers. */
  private void refuse(HttpServerRequest req, Counters.Refusal reason, int status, String why) {
    counters.refused(reason);
    answer(req, status, why);
  }

  /** Answers and closes the connection: a refused client frees its slot at once. */
  private void answer(HttpServerRequest req, int status, String why) {
    req.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
        .putHeader(HttpHeaders.CONNECTION, "close")
        .end(why + "\n");
  }

  private void attach(ServerWebSocket ws, Admission.Conn conn, String endpointName, Identity id, int window,
      WireOrder order, boolean ephemeral, boolean paused) {
    if (conn != null && conn.released) {
      ws.close((short) 1008, "handshake timeout"); // the deadline passed just as the upgrade completed
      return;
    }
    admission.upgraded(conn);
    Session s = new Session(this, ws, endpointName, id, window, order);
    s.admitted = conn;
    s.ephemeral = ephemeral;
    s.paused = paused; // before the owner learns of the node (link.attach) and before any kick
    sessions.add(s);
    indexNode(s);
    counters.connections.incrementAndGet();
    ws.binaryMessageHandler(s::onBinary);
    ws.textMessageHandler(s::onText);
    ws.pongHandler(b -> s.lastSeen = System.currentTimeMillis());
    ws.drainHandler(v -> s.onDrain());
    ws.exceptionHandler(e -> onSocketException(s, e));
    ws.closeHandler(v -> detach(s));
    if (id.expiresAtMillis() > 0) {
      long delay = Math.max(1, id.expiresAtMillis() - System.currentTimeMillis());
      s.expiryTimer = vertx.setTimer(delay, t -> {
        s.expiryTimer = -1;
        s.close((short) 4001, "token expired");
      });
    }
    ownership.attach(s);
    if (!registry.hasEndpoint(endpointName)) {
      // a node that asks for an ephemeral endpoint gets one only when it creates it: attaching
      // to an existing endpoint never changes what that endpoint is
      registryRequest(ephemeral ? new io.wsmsg.registry.RegistryCommand.EphemeralEndpoint(endpointName, null)
          : new io.wsmsg.registry.RegistryCommand.CreateEndpoint(endpointName, null), id).onComplete(ar -> {
            // upgrades of one identity racing past the early quota check (or the server-wide
            // endpoint limit) are settled here: a node whose endpoint was refused is told and closed
            if (ar.succeeded() && !ar.result().body().ok() && !registry.hasEndpoint(endpointName)) {
              io.wsmsg.registry.RegistryReply r = ar.result().body();
              counters.refused(Counters.Refusal.ENDPOINT_QUOTA);
              s.sendNotice("error", List.of(r.errorCode(), r.errorText()), null);
              s.close((short) 1008, "endpoint refused: " + r.errorCode());
            }
          });
    }
    events.publish("node.joined", List.of(endpointName, s.nodeId), null);
    log.fine("node " + s.nodeId + " attached to endpoint " + endpointName + " from " + ws.remoteAddress());
    if (s.orderGraceUntil > 0) vertx.setTimer(config.orderGraceMillis + 1, t -> s.kick());
    s.kick();
  }

  /**
   * Vert.x only reports a frame or a fragmented message over limits.maxFrameBytes (then drops
   * the TCP connection, or not at all for a message): close with 1009 as the SPEC says, so the
   * client learns why.
   */
  private void onSocketException(Session s, Throwable e) {
    short code = 0;
    String why = null;
    if (e instanceof io.netty.handler.codec.compression.DecompressionException) {
      // the bounded inflater (boundInflation) refused to grow past limits.maxFrameBytes, or the
      // compressed data was corrupt
      boolean tooBig = String.valueOf(e.getMessage()).contains("maximum size");
      code = (short) (tooBig ? 1009 : 1007);
      why = tooBig ? "a compressed frame that inflates beyond " + config.maxFrameBytes + " bytes"
          : "compressed data that cannot be inflated";
      counters.refused(tooBig ? Counters.Refusal.INFLATED_TOO_BIG : Counters.Refusal.MALFORMED_FRAME);
    } else if (e instanceof CorruptedWebSocketFrameException c) {
      code = (short) c.closeStatus().code(); // 1009 when too big, 1002/1007 for broken frames
    } else if (e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("max message size")) {
      code = 1009; // the aggregated fragments of one message are too big
    }
    if (code == 0) {
      log.fine("node " + s.nodeId + ": " + e.getMessage());
      return;
    }
    if (why == null) {
      counters.refused(code == 1009 ? Counters.Refusal.FRAME_TOO_BIG : Counters.Refusal.MALFORMED_FRAME);
      why = code == 1009 ? "a message larger than " + config.maxFrameBytes + " bytes" : "a malformed WebSocket frame";
    }
    frameCloseLog.log("closing node " + s.nodeId + " on endpoint " + s.endpointName + " from " + s.ws.remoteAddress()
        + " with " + code + ": it sent " + why);
    s.close(code, code == 1009 ? "message too big" : "protocol error");
  }

  private void detach(Session s) {
    if (!sessions.remove(s)) return;
    admission.release(s.admitted);
    counters.connections.decrementAndGet();
    s.onClosed();
    ownership.forget(s);
    forgetNode(s);
    events.publish("node.left", List.of(s.endpointName, s.nodeId), null);
    if (log.isLoggable(java.util.logging.Level.FINE)) {
      log.fine("node " + s.nodeId + " left endpoint " + s.endpointName + " from " + s.ws.remoteAddress()
          + (s.ws.closeStatusCode() == null ? "" : " (close " + s.ws.closeStatusCode() + ")"));
    }
  }

  // ---- what the ownership asks of this gateway (OwnershipHost) ----

  @Override
  public io.vertx.core.Vertx vertx() {
    return vertx;
  }

  @Override
  public ServerConfig serverConfig() {
    return config;
  }

  @Override
  public Counters counters() {
    return counters;
  }

  @Override
  public Registry registry() {
    return registry;
  }

  @Override
  public io.wsmsg.metrics.MemoryBudget budget() {
    return budget;
  }

  @Override
  public boolean stopping() {
    return stopping;
  }

  @Override
  public List<String> ownedEndpointNames() {
    return new ArrayList<>(endpoints.keySet());
  }

  @Override
  public void putFirst(String name, List<Queued> queued) {
    Endpoint e = endpoint(name);
    for (int i = queued.size() - 1; i >= 0; i--) e.queue.offerFirst(queued.get(i));
    trimToLimits(e);
    e.dispatch();
  }

  @Override
  public List<Queued> surrender(String name) {
    Endpoint e = endpoints.remove(name);
    if (e == null) return null;
    List<Queued> out = new ArrayList<>();
    if (e.requeueUnacked) {
      for (Consumer c : e.nodes) out.addAll(c.inFlight().held());
    }
    while (!e.queue.isEmpty()) out.add(e.queue.poll());
    return out;
  }

  @Override
  public void dispatch(String name) {
    endpoint(name).dispatch();
  }

  @Override
  public RemoteNode serveRemote(String name, String nodeId, String member, int window, RemoteNode.Link link) {
    Endpoint e = endpoint(name);
    RemoteNode n = new RemoteNode(this, e, nodeId, member, window, link);
    e.attach(n);
    return n;
  }

  @Override
  public AttachedNode node(String nodeId) {
    Session s = sessionsById.get(nodeId);
    return s == null || s.closed ? null : s;
  }

  @Override
  public List<AttachedNode> nodesOn(String name) {
    Set<Session> set = sessionsByEndpoint.get(name);
    if (set == null) return List.of();
    List<AttachedNode> out = new ArrayList<>(set.size());
    for (Session s : set) if (!s.closed) out.add(s);
    return out;
  }

  @Override
  public java.util.Collection<AttachedNode> nodes() {
    return new ArrayList<>(sessions);
  }

  @Override
  public void serveHere(AttachedNode node) {
    Session s = (Session) node;
    Endpoint e = endpoint(s.endpointName);
    s.inFlight.clear(); // what an owner elsewhere had in flight to it is that owner's business
    s.endpoint = e;
    e.attach(s);
  }

  /** The nodes attached here by id and by endpoint, whoever owns their endpoints. */
  private final Map<String, Session> sessionsById = new HashMap<>();
  private final Map<String, Set<Session>> sessionsByEndpoint = new HashMap<>();

  private void indexNode(Session s) {
    sessionsById.put(s.nodeId, s);
    sessionsByEndpoint.computeIfAbsent(s.endpointName, k -> new LinkedHashSet<>()).add(s);
  }

  private void forgetNode(Session s) {
    sessionsById.remove(s.nodeId);
    Set<Session> set = sessionsByEndpoint.get(s.endpointName);
    if (set != null && set.remove(s) && set.isEmpty()) sessionsByEndpoint.remove(s.endpointName);
  }

  /** True when a node attached here (open) is on the endpoint, whoever owns it. */
  boolean hasNodesOn(String name) {
    Set<Session> set = sessionsByEndpoint.get(name);
    if (set == null) return false;
    for (Session s : set) if (!s.closed) return true;
    return false;
  }

  /** The endpoints this gateway owns. */
  java.util.Collection<Endpoint> ownedEndpoints() {
    return endpoints.values();
  }

  /** The owned endpoint by that name, or null (never creates one). */
  Endpoint ownedEndpoint(String name) {
    return endpoints.get(name);
  }

  boolean ownsQueue(String name) {
    return endpoints.containsKey(name);
  }

  /** Forgets an owned endpoint (it moved to another member); its queue is the caller's. */
  Endpoint removeEndpoint(String name) {
    return endpoints.remove(name);
  }

  @Override
  public boolean requeues(String name) {
    for (Glob g : requeueGlobs) if (g.matches(name)) return true;
    return false;
  }

  /** The endpoint this gateway owns by that name, created on first use. */
  Endpoint endpoint(String name) {
    Endpoint ep = endpoints.get(name);
    if (ep == null) {
      ep = new Endpoint(name, requeues(name), config.endpointTtlMillis, counters, budget);
      ep.onLastNodeLeft = lifecycle::lastNodeLeft;
      endpoints.put(name, ep);
    }
    return ep;
  }

  // ---- routing in and out ----

  /**
   * Sends a change to the registry on behalf of a node's identity: what it creates counts
   * against that identity's quotas.
   */
  io.vertx.core.Future<io.vertx.core.eventbus.Message<io.wsmsg.registry.RegistryReply>> registryRequest(
      io.wsmsg.registry.RegistryCommand cmd, Identity by) {
    return vertx.eventBus().request(io.wsmsg.registry.RegistryVerticle.ADDRESS,
        new io.wsmsg.registry.RegistryCommand.Attributed(cmd, by.subject(), by.quotas()), io.wsmsg.router.Outbound.LOCAL);
  }

  /** Routes a publish; {@code newChannel}: the publisher found no such channel, so it is created. */
  void publish(Frame f, Session by, boolean newChannel) {
    if (newChannel) {
      // First use creates the channel (and its channel.created event), counted against the
      // publisher's quota, which Session.publish checked already. Routing does not wait for it:
      // pausing the node's input here lost the frames behind this one when the node closed at
      // once (a publisher that sends three messages and leaves). A creation refused after all
      // (two upgrades of one identity racing past the check) is still told to the publisher.
      // The event's reference is nil: a publish is not a command, and referencing its uid would
      // hand the event to message subscriptions waiting for replies to that publish (RPC).
      registryRequest(new io.wsmsg.registry.RegistryCommand.CreateChannel(f.channel(), null), by.identity)
          .onComplete(ar -> {
            if (ar.succeeded() && !ar.result().body().ok()) {
              by.sendError(ar.result().body().errorCode(), ar.result().body().errorText(), f.uid());
            }
          });
    }
    routers.submit(f);
  }

  /**
   * A router hands this gateway a message for endpoints it found unclaimed or claimed by this
   * member: this gateway takes the unclaimed ones here.
   */
  private void deliver(Delivery d) {
    java.util.List<String> moved = null;
    String self = ownership.self();
    for (String name : d.endpoints()) {
      if (self.equals(ownership.claim(name))) {
        enqueue(name, d.frame(), d.priority());
      } else {
        if (moved == null) moved = new ArrayList<>();
        moved.add(name);
      }
    }
    // the owner changed after the router looked: pass those on as if they came from a router
    if (moved != null) {
      for (String name : moved) ownership.deliverElsewhere(d.frame(), name, d.priority());
    }
    budget.release(d.frame()); // the router's hold, carried by the delivery: the queues hold it now
  }

  /** Puts a routed message into an endpoint queue this gateway owns, and delivers what it can. */
  @Override
  public void enqueue(String name, Frame frame, int priority) {
    Endpoint ep = endpoint(name);
    int dropped = ep.queue.offer(new Queued(frame, priority, System.currentTimeMillis()), registry.endpointSize(name));
    if (dropped > 0) counters.drop(Counters.Drop.ENDPOINT_FULL, dropped);
    trimToLimits(ep);
    ep.dispatch();
  }

  /**
   * Books a message leaving an endpoint queue for a node, local or remote: it now waits for
   * that node's ack (until the ack timeout), and its time in the queue is recorded.
   */
  void handOut(Consumer c, Queued q) {
    long now = System.currentTimeMillis();
    c.inFlight().add(io.wsmsg.protocol.Uid.of(q.frame().uid()),
        new InFlightTable.Entry(q, now + config.ackTimeoutMillis, System.nanoTime()));
    counters.queueWait.record(Math.max(0, now - q.enqueuedAt()), java.util.concurrent.TimeUnit.MILLISECONDS);
    if (budget.inFlightFull()) inFlightWasFull = true;
  }

  /** Set when in-flight deliveries filled their share of the budget: the ack sweep dispatches everything once it clears. */
  private boolean inFlightWasFull;

  /** In-flight bytes per identity of this gateway's sessions (limits.maxInFlightMiBPerIdentity). */
  private final Map<String, IdentityLoad> loads = new HashMap<>();

  /** The shared load of an identity's sessions; null in auth mode none, where everyone is one identity. */
  IdentityLoad loadOf(String subject) {
    if ("none".equals(config.authMode)) return null;
    IdentityLoad l = loads.computeIfAbsent(subject, IdentityLoad::new);
    l.sessions++;
    return l;
  }

  /** A session of that identity closed (after its in-flight deliveries were settled). */
  void unload(IdentityLoad l) {
    if (l != null && --l.sessions <= 0 && l.inFlightBytes <= 0) loads.remove(l.subject);
  }

  /** A node was held back by its identity's in-flight share: dispatch everything once acks make room. */
  void heldBack() {
    inFlightWasFull = true;
  }

  /** An ack from a node of an owned endpoint: frees its slot and lets the endpoint deliver again. */
  void acked(Consumer c, Endpoint ep, byte[] uid) {
    InFlightTable.Entry done = c.inFlight().ack(io.wsmsg.protocol.Uid.of(uid));
    if (done != null) {
      counters.ackLatency.record(System.nanoTime() - done.sentNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
      ep.dispatch();
    }
    // an unknown uid is a late ack (after the timeout) or an ack of an error/stopping notice: ignored
  }

  /** Drops a node's deliveries whose ack is overdue (counted lost) and lets the endpoint go on. */
  void expireAcks(Consumer c, Endpoint ep, long now) {
    int n = c.inFlight().expire(now, e -> io.wsmsg.protocol.Uid.of(e.queued.frame().uid()));
    if (n > 0) {
      counters.drop(Counters.Drop.ACK_TIMEOUT, n);
      ep.lostInFlight += n;
      ep.dispatch();
    }
  }

  /** Applies the endpoint's size and the node's memory budget after messages were added. */
  void trimToLimits(Endpoint ep) {
    int dropped = ep.queue.trim(registry.endpointSize(ep.name));
    if (dropped > 0) counters.drop(Counters.Drop.ENDPOINT_FULL, dropped);
    if (budget.over()) evict(0);
  }

  /**
   * Whether a publish may enter the node: its frame must fit in the memory budget. Queued,
   * undelivered messages make room first (see {@link #evict}); what cannot be evicted (channel
   * queues, in-flight deliveries) refuses the publish, so its publisher learns with a
   * {@code limit} error rather than a message vanishing. Gateway loop.
   */
  boolean admit(Frame f) {
    if (budget.fits(f.size())) return true;
    evict(f.size() + io.wsmsg.metrics.MemoryBudget.OVERHEAD);
    if (budget.fits(f.size())) return true;
    memoryRefusedLog.log("the message memory of " + (budget.limit() >> 20) + " MiB (limits.maxQueuedMiB) is full of"
        + " messages waiting in channel queues or for acks: refusing publishes with a limit error");
    return false;
  }

  /** One line a minute at most, however long a flood lasts. */
  private final RateLimitedLog memoryRefusedLog = new RateLimitedLog(log, 60_000);
  private final RateLimitedLog memoryEvictedLog = new RateLimitedLog(log, 60_000);

  /**
   * Frees memory until {@code room} more bytes fit in the budget (0: until it is within it),
   * or no endpoint queue holds anything: each time the largest queue, by bytes, gives up its
   * oldest message of the lowest priority (counted {@code memory}). The largest queue pays,
   * so an endpoint nobody reads cannot keep the node full while the others starve. A frame
   * shared with other queues frees nothing until its last queue lets go of it. O(endpoints)
   * per eviction, and only when the budget is full.
   */
  private void evict(long room) {
    int dropped = 0;
    while (budget.used() + room > budget.limit()) {
      Endpoint largest = null;
      for (Endpoint e : endpoints.values()) {
        if (!e.queue.isEmpty() && (largest == null || e.queue.bytes() > largest.queue.bytes())) largest = e;
      }
      if (largest == null) break;
      largest.queue.dropOldestOfLowest();
      dropped++;
    }
    if (dropped > 0) {
      counters.drop(Counters.Drop.MEMORY, dropped);
      memoryEvictedLog.log("the message memory of " + (budget.limit() >> 20) + " MiB (limits.maxQueuedMiB) is full:"
          + " dropping the oldest messages of the largest endpoint queues (counted as dropped: memory)");
    }
  }

  private void sweepAcks() {
    long now = System.currentTimeMillis();
    for (Session s : new ArrayList<>(sessions)) s.expireAcks(now);
    ownership.expireAcks(now);
    if (inFlightWasFull && !frozen && !budget.inFlightFull()) {
      // nodes held back while in-flight deliveries filled half the budget (or their identity's
      // share of it): an ack elsewhere made room, but only its own endpoint was dispatched
      inFlightWasFull = false;
      for (Endpoint ep : new ArrayList<>(endpoints.values())) if (!ep.queue.isEmpty()) ep.dispatch();
    }
  }

  /**
   * Drops expired messages, trims queues whose endpoint was sized below its depth, and
   * publishes the queue depths for the metrics (the total and the metrics.topN deepest).
   */
  private void sweepTtl() {
    long cutoff = System.currentTimeMillis() - config.endpointTtlMillis;
    io.wsmsg.metrics.QueueDepths.Builder depths = io.wsmsg.metrics.QueueDepths.builder(config.metricsTopN);
    for (Endpoint ep : endpoints.values()) {
      if (config.endpointTtlMillis > 0) {
        int n = ep.queue.expire(cutoff);
        if (n > 0) counters.drop(Counters.Drop.TTL, n);
      }
      int over = ep.queue.trim(registry.endpointSize(ep.name));
      if (over > 0) counters.drop(Counters.Drop.ENDPOINT_FULL, over);
      depths.add(ep.name, ep.queue.size());
    }
    counters.endpointDepths = depths.build();
  }

  private void sweepPings() {
    long now = System.currentTimeMillis();
    for (Session s : new ArrayList<>(sessions)) {
      long idle = now - s.lastSeen;
      if (idle >= config.pingIntervalMillis + config.pingTimeoutMillis) {
        pingCloseLog.log("closing node " + s.nodeId + " on endpoint " + s.endpointName + " from "
            + s.ws.remoteAddress() + ": no answer to pings for " + idle / 1000 + " s (ping.intervalSeconds,"
            + " ping.timeoutSeconds)");
        s.close((short) 1001, "no pong");
      } else if (idle >= config.pingIntervalMillis) {
        s.ws.writePing(Buffer.buffer("wsmsg"));
      }
    }
  }

  // ---- stopping ----

  /**
   * The stop command {@code cause} (its uid) asked for a stop: the {@code stopping} notices
   * reference it, as events reference the command that caused them (SPEC section 6).
   */
  void requestStop(String why, byte[] cause) {
    stopCause = cause;
    ownership.stopAll(why, cause); // every member (this one too) stops and persists its share
  }

  /** The uid of the stop command behind this stop (null for a signal or a leave). */
  @Override
  public void stopCause(byte[] cause) {
    stopCause = cause;
  }

  /** Step one of a graceful stop: refuse new publishes, tell every node. */
  public Future<Void> beginStop() {
    return runHere(() -> {
      stopping = true;
      for (Session s : sessions) s.sendNotice("stopping", List.of(), stopCause);
      ownership.stopTakingDeliveries(); // nodes served through owners elsewhere: see there
    });
  }

  /** Last step: close every connection with 1001 and the listening socket. */
  public Future<Void> closeAll() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      for (Session s : new ArrayList<>(sessions)) s.close((short) 1001, "server stopping");
      server.close().onComplete(done);
    });
    return done.future();
  }

  /** Runs {@code work} on this gateway's event loop, where its state lives, and returns its result. */
  private <T> Future<T> onLoop(java.util.function.Supplier<T> work) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        p.complete(work.get());
      } catch (RuntimeException e) {
        p.fail(e); // a stop waiting on this must go on (and say why), not hang
      }
    });
    return p.future();
  }

  private Future<Void> runHere(Runnable r) {
    return onLoop(() -> {
      r.run();
      return null;
    });
  }

  /** One endpoint as the status page shows it. */
  public record EndpointStatus(String name, int queued, int nodes, int inFlight) {}

  /** Every endpoint this gateway owns, for the status page. */
  public Future<List<EndpointStatus>> endpointStatus() {
    return onLoop(() -> {
      List<EndpointStatus> out = new ArrayList<>();
      for (Endpoint ep : endpoints.values()) {
        int inFlight = 0;
        for (Consumer c : ep.nodes) inFlight += c.inFlight().size();
        out.add(new EndpointStatus(ep.name, ep.queue.size(), ep.nodes.size(), inFlight));
      }
      return out;
    });
  }

  /**
   * This member's view of endpoints and channels (see {@link MemberView}): what {@code GET
   * /v1/endpoints} and {@code /v1/channels} show, and what this member answers another
   * member's VIEW with. Endpoints are read on this gateway's loop, channel queues on each
   * router's own loop.
   */
  public Future<io.vertx.core.json.JsonObject> memberView() {
    return onLoop(() -> MemberView.endpoints(this)).compose(eps -> routers.depths().map(ch -> {
      io.vertx.core.json.JsonObject channels = new io.vertx.core.json.JsonObject();
      ch.forEach(channels::put);
      return new io.vertx.core.json.JsonObject().put("member", ownership.self()).put("endpoints", eps)
          .put("channels", channels);
    }));
  }

  /** The nodes connected to this gateway (gateway loop only). */
  java.util.Collection<Session> sessions() {
    return sessions;
  }

  /** Queue depth of every endpoint this gateway owns, for status, snapshots and tests. */
  public Future<Map<String, Integer>> queueDepths() {
    return onLoop(() -> {
      Map<String, Integer> m = new HashMap<>();
      endpoints.forEach((k, ep) -> m.put(k, ep.queue.size()));
      return m;
    });
  }

  // ---- persistence ----

  /**
   * A graceful leave from a cluster: deliveries stop, and each owned endpoint goes with its
   * queue to the member that takes it over. Completes with the queues nobody took (they go
   * into the snapshot).
   */
  public Future<HandOff> handOffAll() {
    Promise<HandOff> p = Promise.promise();
    context.runOnContext(v -> {
      frozen = true;
      try {
        ownership.handOffAll().onComplete(p);
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return p.future();
  }

  /**
   * Tells the other members this one is leaving and has taken care of everything they sent it
   * (after the handoff or the snapshot, before the connections close), so none of it is sent
   * again once it is gone; any thread.
   */
  public Future<Void> announceLeaving() {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> ownership.announceLeaving().onComplete(p));
    return p.future();
  }

  /** The member owning an endpoint (null when nobody has claimed it yet); any thread. */
  public String ownerOf(String endpoint) {
    return ownership.ownerOf(endpoint);
  }

  /** True when this gateway is part of a cluster with at least one other member. */
  public boolean hasPeers() {
    return ownership.hasPeers();
  }

  /** Membership and ownership figures for the status page. */
  public Future<Map<String, Object>> clusterStatus() {
    return onLoop(() -> {
      Map<String, Object> m = new java.util.LinkedHashMap<>();
      ownership.status(m, endpoints.size());
      return m;
    });
  }

  /** Before deployment only: puts a restored message at the tail of its endpoint queue. */
  public void restoreQueued(String endpointName, Queued q) {
    endpoint(endpointName).queue.offer(q, Integer.MAX_VALUE);
  }

  /** Before deployment only: forgets every restored message (the snapshot was refused half way). */
  public void forgetRestored() {
    for (Endpoint ep : endpoints.values()) {
      while (ep.queue.poll() != null) {
        // each poll gives the frame's hold on the memory budget back
      }
    }
    endpoints.clear();
  }

  /**
   * Stops all deliveries and returns every endpoint's queued messages in dequeue order. For
   * endpoints with at-least-once requeueing, unacknowledged deliveries come first, as they
   * would after their node left. Runs on this verticle's event loop; the lists are copies of
   * references, the frames are shared.
   */
  public Future<Map<String, List<Queued>>> freezeAndCapture() {
    return onLoop(() -> {
      frozen = true;
      Map<String, List<Queued>> out = new HashMap<>();
      for (Endpoint ep : endpoints.values()) {
        List<Queued> list = new ArrayList<>();
        if (ep.requeueUnacked) {
          for (Consumer c : ep.nodes) list.addAll(c.inFlight().held());
        }
        list.addAll(ep.queue.toList());
        if (!list.isEmpty()) out.put(ep.name, list);
      }
      return out;
    });
  }
}
