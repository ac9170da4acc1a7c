package io.wsmsg.gateway;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.buffer.Buffer;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.wsmsg.auth.Authenticator;
import io.wsmsg.auth.Identity;
import io.wsmsg.config.ServerConfig;
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
 * The WebSocket gateway, the verticle that wires its parts: {@link Upgrades} turns requests
 * into nodes, one {@link Session} runs each node, the {@link EndpointTable} holds the queues of
 * the endpoints it owns and delivers from them under flow control, {@link Ownership} says who
 * owns an endpoint and serves the rest through their owners, and {@link Shutdown} takes it
 * through a stop. All of its state lives on its own event loop, so writes to sockets are made
 * there and need no locks.
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
  private final EventSink events;
  /** The endpoints this gateway owns: queues, hand-out, acks and their sweeps. */
  final EndpointTable endpoints;
  private final Set<Session> sessions = new LinkedHashSet<>();
  /** Nodes closed for flooding: one log line per 10 s at most. */
  final RateLimitedLog floodLog = new RateLimitedLog(log, 10_000);
  /** Nodes closed for oversized or malformed frames, and for not answering pings: 10 s each. */
  private final RateLimitedLog frameCloseLog = new RateLimitedLog(log, java.util.logging.Level.INFO, 10_000);
  private final RateLimitedLog pingCloseLog = new RateLimitedLog(log, java.util.logging.Level.INFO, 10_000);
  private HttpServer server;
  /** Upgrade and authentication: the HTTP request to WebSocket to node path, and its refusals. */
  private final Upgrades upgrades;
  /** Stop and snapshot: freeze, capture, hand off, close. */
  private final Shutdown shutdown;
  volatile boolean stopping;
  /** This instance's number among the node's gateway instances (see {@link Gateways}); 0 when alone. */
  int instance;
  /** The port to listen on: the configured one, or the one the first instance bound (shared). */
  int listenPort;
  /** The connection limits shared by every instance of the node; null: this instance's own. */
  Admission admission;
  /** The node's other gateway instances (see {@link Gateways}); empty when this one is alone. */
  List<GatewayVerticle> siblings = List.of();

  /**
   * The message memory is full and this instance's queues gave up what they could: the other
   * instances drop the oldest of their largest queues until {@code room} fits, each on its own loop.
   */
  Future<Void> evictAtSiblings(long room) {
    List<Future<Void>> all = new ArrayList<>(siblings.size());
    for (GatewayVerticle g : siblings) {
      Promise<Void> p = Promise.promise();
      g.loop().runOnContext(v -> {
        g.endpoints.evict(room);
        p.complete();
      });
      all.add(p.future());
    }
    // completed back on this instance's loop: the asking node's state lives here, and a plain
    // future would run its callbacks on the loop of whichever sibling finished last
    Promise<Void> done = Promise.promise();
    Future.join(all).onComplete(ar -> context.runOnContext(v -> done.complete()));
    return done.future();
  }

  /** Who owns each endpoint, and what is done about the ones owned elsewhere. */
  final Ownership ownership;

  public GatewayVerticle(ServerConfig config, Registry registry, ChannelRouters routers, Authenticator authenticator,
      EventSink events, Counters counters, Ownership ownership) {
    this.ownership = ownership;
    this.config = config;
    this.registry = registry;
    this.routers = routers;
    this.endpoints = new EndpointTable(config, registry, counters, routers.budget(), log, lifecycle::lastNodeLeft);
    this.upgrades = new Upgrades(this, authenticator);
    this.shutdown = new Shutdown(this);
    this.events = events;
    this.counters = counters;
    this.listenPort = config.port;
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
    vertx.eventBus().<Delivery>localConsumer(Delivery.address(instance), m -> deliver(m.body()));
    long sweep = Math.max(50, Math.min(1000, config.ackTimeoutMillis / 4));
    vertx.setPeriodic(sweep, id -> sweepAcks());
    long ttlSweep = config.endpointTtlMillis > 0 ? Math.max(50, Math.min(1000, config.endpointTtlMillis / 4 + 1)) : 1000;
    vertx.setPeriodic(ttlSweep, id -> endpoints.sweepTtl());
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
        // Every request on this port is answered on its connection's event loop (this verticle's),
        // so the HTTP connection can write directly instead of through a multi-producer queue:
        // that queue's first chunk (1,024 slots, ~4.7 KB) stayed with every WebSocket for its
        // whole life, as the upgraded socket keeps its HTTP request (docs/benchmarks.md, issue 14).
        .setStrictThreadMode(true)
        .setTcpNoDelay(true);
    if (tls != null) tls.current().apply(opts, true);
    upgrades.start();
    server = vertx.createHttpServer(opts).connectionHandler(upgrades::onConnection)
        .requestHandler(upgrades::onRequest);
    if (tls != null) server.exceptionHandler(new io.wsmsg.tls.HandshakeLog(log, "WebSocket port"));
    // listenPort: -1 shares one free port among instances (see Gateways.deploy), which the
    // options refuse but listen(port, host) takes
    if (deferListen) {
      ownership.start().onComplete(started); // Gateways calls listen() once every instance is deployed
    } else {
      ownership.start().compose(v -> listenHere()).onComplete(started);
    }
  }

  /**
   * Set by {@link Gateways} when there are several instances: deploying does not listen yet, so
   * no instance takes a connection (and routes a message to a sibling's queue) before every
   * instance's delivery consumer is registered.
   */
  boolean deferListen;

  /** Starts listening (on this instance's loop, where the server's connections then live). */
  Future<Void> listen() {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> listenHere().onComplete(p));
    return p.future();
  }

  private Future<Void> listenHere() {
    return server.listen(listenPort, config.host).<Void>mapEmpty().onSuccess(v -> {
      if (tls != null) tls.register(server, true);
    });
  }

  @Override
  public void stop() {
    if (tls != null && server != null) tls.unregister(server);
    ownership.close();
    upgrades.close();
  }

  /** The port actually bound (useful with port 0). */
  public int actualPort() {
    return server.actualPort();
  }

  /** An upgraded, admitted connection becomes a node on its endpoint. */
  void attach(ServerWebSocket ws, Admission.Conn conn, String endpointName, Identity id, int window,
      WireOrder order, boolean ephemeral, boolean paused) {
    Session s = new Session(this, ws, endpointName, id, window, order);
    s.admitted = conn;
    s.ephemeral = ephemeral;
    s.paused = paused; // before the owner learns of the node (ownership.attach) and before any kick
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
    upgrades.release(s.admitted);
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
    return endpoints.budget;
  }

  @Override
  public boolean stopping() {
    return stopping;
  }

  @Override
  public List<String> ownedEndpointNames() {
    return endpoints.names();
  }

  @Override
  public void putFirst(String name, List<Queued> queued) {
    endpoints.putFirst(name, queued);
  }

  @Override
  public List<Queued> surrender(String name) {
    return endpoints.surrender(name);
  }

  @Override
  public boolean requeues(String name) {
    return endpoints.requeues(name);
  }

  @Override
  public void enqueue(String name, Frame frame, int priority) {
    endpoints.enqueue(name, frame, priority);
  }

  @Override
  public void dispatch(String name) {
    endpoints.endpoint(name).dispatch();
  }

  @Override
  public RemoteNode serveRemote(String name, String nodeId, String member, int window, RemoteNode.Link link) {
    return attachRemote(name, nodeId, member, window, link, null, false);
  }

  /**
   * Serves a node of a sibling instance from an owned endpoint (see {@link SiblingOwnership}):
   * its deliveries are counted here, in the memory budget and its identity's share.
   */
  RemoteNode serveSibling(String name, String nodeId, int window, RemoteNode.Link link, IdentityLoad load) {
    return attachRemote(name, nodeId, ownership.self(), window, link, load, true);
  }

  private RemoteNode attachRemote(String name, String nodeId, String member, int window, RemoteNode.Link link,
      IdentityLoad load, boolean sibling) {
    Endpoint e = endpoints.endpoint(name);
    RemoteNode n = new RemoteNode(endpoints, e, nodeId, member, window, link, load, sibling);
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
    Endpoint e = endpoints.endpoint(s.endpointName);
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

  /** True when a node attached here (open) or to a sibling instance is on the endpoint, whoever owns it. */
  boolean hasNodesOn(String name) {
    Set<Session> set = sessionsByEndpoint.get(name);
    if (set == null) return ownership.nodesAtSiblings(name);
    for (Session s : set) if (!s.closed) return true;
    return ownership.nodesAtSiblings(name);
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
        endpoints.enqueue(name, d.frame(), d.priority());
      } else {
        if (moved == null) moved = new ArrayList<>();
        moved.add(name);
      }
    }
    // the owner changed after the router looked: pass those on as if they came from a router
    if (moved != null) {
      for (String name : moved) ownership.deliverElsewhere(d.frame(), name, d.priority());
    }
    endpoints.budget.release(d.frame()); // the router's hold, carried by the delivery: the queues hold it now
  }

  /** Expires overdue deliveries of every node served here, then lets endpoints deliver if that made room. */
  private void sweepAcks() {
    long now = System.currentTimeMillis();
    for (Session s : new ArrayList<>(sessions)) s.expireAcks(now);
    ownership.expireAcks(now);
    endpoints.dispatchHeldBack();
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

  // ---- stopping (see Shutdown) ----

  /** The stop command {@code cause} (its uid) asked for a stop (see {@link Shutdown#requestStop}). */
  void requestStop(String why, byte[] cause) {
    shutdown.requestStop(why, cause);
  }

  @Override
  public void stopCause(byte[] cause) {
    shutdown.stopCause(cause);
  }

  /** Step one of a graceful stop: refuse new publishes, tell every node. */
  public Future<Void> beginStop() {
    return shutdown.beginStop();
  }

  /** Last step: close every connection with 1001 and the listening socket. */
  public Future<Void> closeAll() {
    return shutdown.closeAll(server);
  }

  /** This gateway's event loop, where its state lives. */
  io.vertx.core.Context loop() {
    return context;
  }

  /** Runs {@code work} on this gateway's event loop, where its state lives, and returns its result. */
  <T> Future<T> onLoop(java.util.function.Supplier<T> work) {
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

  /** One endpoint as the status page shows it. */
  public record EndpointStatus(String name, int queued, int nodes, int inFlight) {}

  /** Every endpoint this gateway owns, for the status page. */
  public Future<List<EndpointStatus>> endpointStatus() {
    return onLoop(endpoints::status);
  }

  /**
   * This member's view of endpoints and channels (see {@link MemberView}): what {@code GET
   * /v1/endpoints} and {@code /v1/channels} show, and what this member answers another
   * member's VIEW with. Endpoints are read on this gateway's loop, channel queues on each
   * router's own loop.
   */
  public Future<io.vertx.core.json.JsonObject> memberView() {
    return endpointsView().compose(this::withChannels);
  }

  /** This instance's endpoints as {@link MemberView} lists them, read on its loop. */
  Future<io.vertx.core.json.JsonArray> endpointsView() {
    return onLoop(() -> MemberView.endpoints(this));
  }

  /** The member view of these endpoints: the member's name and its channel queues (each router's loop). */
  Future<io.vertx.core.json.JsonObject> withChannels(io.vertx.core.json.JsonArray eps) {
    return routers.depths().map(ch -> {
      io.vertx.core.json.JsonObject channels = new io.vertx.core.json.JsonObject();
      ch.forEach(channels::put);
      return new io.vertx.core.json.JsonObject().put("member", ownership.self()).put("endpoints", eps)
          .put("channels", channels);
    });
  }

  /** The nodes connected to this gateway (gateway loop only). */
  java.util.Collection<Session> sessions() {
    return sessions;
  }

  /** Queue depth of every endpoint this gateway owns, for status, snapshots and tests. */
  public Future<Map<String, Integer>> queueDepths() {
    return onLoop(endpoints::depths);
  }

  // ---- persistence ----

  /** A graceful leave from a cluster (see {@link Shutdown#handOffAll}). */
  public Future<HandOff> handOffAll() {
    return shutdown.handOffAll();
  }

  /** Tells the other members this one leaves (see {@link Shutdown#announceLeaving}); any thread. */
  public Future<Void> announceLeaving() {
    return shutdown.announceLeaving();
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
    endpoints.restoreQueued(endpointName, q);
  }

  /** Before deployment only: forgets every restored message (the snapshot was refused half way). */
  public void forgetRestored() {
    endpoints.forgetRestored();
  }

  /** Stops all deliveries and returns every endpoint's queued messages (see {@link Shutdown#freezeAndCapture}). */
  public Future<Map<String, List<Queued>>> freezeAndCapture() {
    return shutdown.freezeAndCapture();
  }
}
