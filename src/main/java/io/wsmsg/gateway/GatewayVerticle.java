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
import io.wsmsg.cluster.Claims;
import io.wsmsg.cluster.Membership;
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
public final class GatewayVerticle extends AbstractVerticle {
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
  private final Runnable onStopRequest;
  private final List<Glob> requeueGlobs = new ArrayList<>();

  private final Map<String, Endpoint> endpoints = new HashMap<>();
  /** Bytes of all frames in this gateway's endpoint queues, against limits.maxQueuedBytes. */
  private final long[] queuedBytes = new long[1];
  private final Set<Session> sessions = new LinkedHashSet<>();
  private HttpServer server;
  volatile boolean stopping;
  /** Set when the state is captured for the snapshot: nothing more leaves the queues. */
  boolean frozen;

  /** Endpoint ownership and the traffic to other members' gateways (idle when standalone). */
  final ClusterLink link;

  public GatewayVerticle(ServerConfig config, Registry registry, ChannelRouters routers, Authenticator authenticator,
      EventSink events, Counters counters, Runnable onStopRequest, Membership membership, Claims claims) {
    this.link = new ClusterLink(this, membership, claims, onStopRequest);
    this.config = config;
    this.registry = registry;
    this.routers = routers;
    this.authenticator = authenticator;
    this.events = events;
    this.counters = counters;
    this.onStopRequest = onStopRequest;
    for (String g : config.requeueUnacked) requeueGlobs.add(Glob.compile(g));
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
        .setTcpNoDelay(true);
    server = vertx.createHttpServer(opts).requestHandler(this::onRequest);
    link.start().compose(v -> server.listen()).<Void>mapEmpty().onComplete(started);
  }

  @Override
  public void stop() {
    link.close();
  }

  /** The port actually bound (useful with port 0). */
  public int actualPort() {
    return server.actualPort();
  }

  // ---- connecting ----

  private void onRequest(HttpServerRequest req) {
    String upgrade = req.getHeader(HttpHeaders.UPGRADE);
    if (upgrade == null || !"websocket".equalsIgnoreCase(upgrade)) {
      refuse(req, 426, "this is the wsmsg WebSocket port: connect with ws://host:port" + config.root + "<endpoint>");
      return;
    }
    String endpointName;
    try {
      endpointName = EndpointPath.parse(req.path(), config.root);
    } catch (IllegalArgumentException e) {
      refuse(req, 400, e.getMessage());
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
        refuse(req, 400, "window must be an integer from 1 to " + config.maxWindow + ", not \"" + w + "\"");
        return;
      }
    }
    WireOrder order = null;
    String o = req.getParam("order");
    if (o != null) {
      order = WireOrder.parse(o);
      if (order == null) {
        refuse(req, 400, "order must be seed or legacy, not \"" + o + "\"");
        return;
      }
    }
    boolean ephemeral = false;
    String eph = req.getParam("ephemeral");
    if (eph != null) {
      if (eph.equals("1") || eph.equals("true")) {
        ephemeral = true;
      } else if (!eph.equals("0") && !eph.equals("false")) {
        refuse(req, 400, "ephemeral must be 1 or 0, not \"" + printable(eph) + "\"");
        return;
      }
    }
    if (stopping) {
      refuse(req, 503, "the server is stopping");
      return;
    }
    String token = bearer(req);
    boolean finalEphemeral = ephemeral;
    int finalWindow = window;
    WireOrder finalOrder = order;
    req.pause();
    authenticator.authenticate(token).onComplete(ar -> {
      try {
        upgradeChecked(req, ar, endpointName, finalWindow, finalOrder, finalEphemeral);
      } catch (RuntimeException e) {
        // never leave a paused request unanswered, whatever went wrong
        log.warning("refused a connection from " + req.remoteAddress() + ": " + e.getMessage());
        if (!req.response().ended()) refuse(req, 400, "the request could not be handled");
      }
    });
  }

  private void upgradeChecked(HttpServerRequest req, io.vertx.core.AsyncResult<Identity> ar, String endpointName,
      int finalWindow, WireOrder finalOrder, boolean ephemeral) {
    {
      if (ar.failed()) {
        String why = ar.cause() instanceof AuthException ? ar.cause().getMessage() : "the token could not be checked";
        why = printable(why);
        req.response().putHeader("WWW-Authenticate",
            "Bearer error=\"invalid_token\", error_description=\"" + why.replace('"', '\'').replace('\\', '/') + "\"");
        refuse(req, 401, why);
        return;
      }
      Identity id = ar.result();
      if (!id.permissions().mayAttach(endpointName)) {
        refuse(req, 403, "your token does not allow endpoint " + endpointName);
        return;
      }
      if (!registry.hasEndpoint(endpointName) && registry.endpointCount() >= config.maxEndpoints) {
        refuse(req, 503, "the server holds its maximum of " + config.maxEndpoints + " endpoints");
        return;
      }
      if (!registry.hasEndpoint(endpointName)) {
        String no = io.wsmsg.registry.QuotaBook.refusal(
            registry.quotas().used(id.subject(), io.wsmsg.registry.QuotaBook.ENDPOINTS),
            registry.quota(id.quotas(), io.wsmsg.registry.QuotaBook.ENDPOINTS), io.wsmsg.registry.QuotaBook.ENDPOINTS,
            "endpoint " + endpointName);
        if (no != null) {
          refuse(req, 429, printable(no));
          return;
        }
      }
      req.resume();
      req.toWebSocket().onComplete(ws -> {
        if (ws.succeeded()) attach(ws.result(), endpointName, id, finalWindow, finalOrder, ephemeral);
      });
    }
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

  private void refuse(HttpServerRequest req, int status, String why) {
    req.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
        .end(why + "\n");
  }

  private void attach(ServerWebSocket ws, String endpointName, Identity id, int window, WireOrder order,
      boolean ephemeral) {
    Session s = new Session(this, ws, endpointName, id, window, order);
    s.ephemeral = ephemeral;
    sessions.add(s);
    counters.connections.incrementAndGet();
    ws.binaryMessageHandler(s::onBinary);
    ws.textMessageHandler(s::onText);
    ws.pongHandler(b -> s.lastSeen = System.currentTimeMillis());
    ws.exceptionHandler(e -> onSocketException(s, e));
    ws.closeHandler(v -> detach(s));
    if (id.expiresAtMillis() > 0) {
      long delay = Math.max(1, id.expiresAtMillis() - System.currentTimeMillis());
      s.expiryTimer = vertx.setTimer(delay, t -> {
        s.expiryTimer = -1;
        s.close((short) 4001, "token expired");
      });
    }
    link.attach(s);
    if (!registry.hasEndpoint(endpointName)) {
      // a node that asks for an ephemeral endpoint gets one only when it creates it: attaching
      // to an existing endpoint never changes what that endpoint is
      vertx.eventBus().request(io.wsmsg.registry.RegistryVerticle.ADDRESS, new io.wsmsg.registry.RegistryCommand.Attributed(
          ephemeral ? new io.wsmsg.registry.RegistryCommand.EphemeralEndpoint(endpointName, null)
              : new io.wsmsg.registry.RegistryCommand.CreateEndpoint(endpointName, null), id.subject(), id.quotas()),
          io.wsmsg.router.Outbound.LOCAL);
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
    if (e instanceof CorruptedWebSocketFrameException c) {
      code = (short) c.closeStatus().code(); // 1009 when too big, 1002/1007 for broken frames
    } else if (e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("max message size")) {
      code = 1009; // the aggregated fragments of one message are too big
    }
    if (code == 0) {
      log.fine("node " + s.nodeId + ": " + e.getMessage());
      return;
    }
    String why = code == 1009 ? "a message larger than " + config.maxFrameBytes + " bytes" : "a malformed WebSocket frame";
    log.info("closing node " + s.nodeId + " on endpoint " + s.endpointName + ": it sent " + why);
    s.close(code, code == 1009 ? "message too big" : "protocol error");
  }

  private void detach(Session s) {
    if (!sessions.remove(s)) return;
    counters.connections.decrementAndGet();
    s.onClosed();
    link.forget(s);
    events.publish("node.left", List.of(s.endpointName, s.nodeId), null);
  }

  /** Names of the endpoints this gateway owns (holds the queue of). */
  java.util.Collection<String> endpointNames() {
    return endpoints.keySet();
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

  /** The endpoint this gateway owns by that name, created on first use. */
  Endpoint endpoint(String name) {
    Endpoint ep = endpoints.get(name);
    if (ep == null) {
      boolean requeue = false;
      for (Glob g : requeueGlobs) requeue |= g.matches(name);
      ep = new Endpoint(name, requeue, config.endpointTtlMillis, counters, queuedBytes);
      ep.onLastNodeLeft = lifecycle::lastNodeLeft;
      endpoints.put(name, ep);
    }
    return ep;
  }

  // ---- routing in and out ----

  void publish(Frame f, Session by) {
    if (!registry.hasChannel(f.channel())) {
      // First use creates the channel (and its channel.created event), counted against the
      // publisher's quota. The node's input waits for it (once per new channel), so a refusal
      // (limit) reaches the publisher and its next message follows this one in order.
      // The event's reference is nil: a publish is not a command, and referencing its uid would
      // hand the event to message subscriptions waiting for replies to that publish (RPC).
      by.ws.pause();
      vertx.eventBus().<io.wsmsg.registry.RegistryReply>request(io.wsmsg.registry.RegistryVerticle.ADDRESS,
          new io.wsmsg.registry.RegistryCommand.Attributed(new io.wsmsg.registry.RegistryCommand.CreateChannel(
              f.channel(), null), by.identity.subject(), by.identity.quotas()), io.wsmsg.router.Outbound.LOCAL)
          .onComplete(ar -> {
            if (!by.closed) by.ws.resume();
            if (ar.succeeded() && !ar.result().body().ok()) {
              by.sendError(ar.result().body().errorCode(), ar.result().body().errorText(), f.uid());
            } else {
              routers.submit(f);
            }
          });
      return;
    }
    routers.submit(f);
  }

  private void deliver(Delivery d) {
    java.util.List<String> moved = null;
    for (String name : d.endpoints()) {
      if (link.owns(name)) {
        enqueue(name, d.frame(), d.priority());
      } else {
        if (moved == null) moved = new ArrayList<>();
        moved.add(name);
      }
    }
    // the owner changed after the router looked: pass those on as if they came from a router
    if (moved != null) {
      for (String name : moved) {
        vertx.eventBus().send(io.wsmsg.cluster.PeerWire.gatewayAddress(link.ownerFor(name)),
            io.wsmsg.cluster.ClusterOutbound.deliver(d.frame(), List.of(name), d.priority(), 1));
      }
    }
  }

  /** Puts a routed message into an endpoint queue this gateway owns, and delivers what it can. */
  void enqueue(String name, Frame frame, int priority) {
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
      ep.dispatch();
    }
  }

  /** Applies the endpoint's size and the node-wide byte bound after messages were added. */
  void trimToLimits(Endpoint ep) {
    int dropped = ep.queue.trim(registry.endpointSize(ep.name));
    if (queuedBytes[0] > config.maxQueuedBytes) dropped += ep.queue.trimBytes(config.maxQueuedBytes);
    if (dropped > 0) counters.drop(Counters.Drop.ENDPOINT_FULL, dropped);
  }

  private void sweepAcks() {
    long now = System.currentTimeMillis();
    for (Session s : new ArrayList<>(sessions)) s.expireAcks(now);
    link.expireAcks(now);
  }

  /** Drops expired messages, and trims queues whose endpoint was sized below its depth. */
  private void sweepTtl() {
    long cutoff = System.currentTimeMillis() - config.endpointTtlMillis;
    long depth = 0;
    for (Endpoint ep : endpoints.values()) {
      if (config.endpointTtlMillis > 0) {
        int n = ep.queue.expire(cutoff);
        if (n > 0) counters.drop(Counters.Drop.TTL, n);
      }
      int over = ep.queue.trim(registry.endpointSize(ep.name));
      if (over > 0) counters.drop(Counters.Drop.ENDPOINT_FULL, over);
      depth += ep.queue.size();
    }
    counters.endpointQueueDepth = depth;
  }

  private void sweepPings() {
    long now = System.currentTimeMillis();
    for (Session s : new ArrayList<>(sessions)) {
      long idle = now - s.lastSeen;
      if (idle >= config.pingIntervalMillis + config.pingTimeoutMillis) {
        log.info("closing node " + s.nodeId + " on endpoint " + s.endpointName + ": no answer to pings for "
            + idle / 1000 + " s");
        s.close((short) 1001, "no pong");
      } else if (idle >= config.pingIntervalMillis) {
        s.ws.writePing(Buffer.buffer("wsmsg"));
      }
    }
  }

  // ---- stopping ----

  void requestStop(String why) {
    log.info("stop requested by " + why + (link.clustered() ? ": stopping every member of the cluster" : ""));
    if (link.clustered()) link.stopAll(); // every member (this one too) stops and persists its share
    else onStopRequest.run();
  }

  /** Step one of a graceful stop: refuse new publishes, tell every node. */
  public Future<Void> beginStop() {
    return runHere(() -> {
      stopping = true;
      for (Session s : sessions) s.sendNotice("stopping", List.of(), null);
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
        link.handOffAll().onComplete(p);
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return p.future();
  }

  /** The member owning an endpoint (null when nobody has claimed it yet); any thread. */
  public String ownerOf(String endpoint) {
    return link.clustered() ? link.claims.owner(endpoint) : link.self;
  }

  /** True when this gateway is part of a cluster with at least one other member. */
  public boolean hasPeers() {
    return link.clustered() && link.membership.members().size() > 1;
  }

  /** Membership and ownership figures for the status page. */
  public Future<Map<String, Object>> clusterStatus() {
    return onLoop(() -> {
      Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("mode", link.clustered() ? "clustered" : "standalone");
      m.put("member", link.self);
      m.put("members", link.membership.members());
      m.put("ownedEndpoints", endpoints.size());
      m.put("knownOwners", link.claims.size());
      m.put("remoteNodesServed", link.remoteNodeCount());
      return m;
    });
  }

  /** Before deployment only: puts a restored message at the tail of its endpoint queue. */
  public void restoreQueued(String endpointName, Queued q) {
    endpoint(endpointName).queue.offer(q, Integer.MAX_VALUE);
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
