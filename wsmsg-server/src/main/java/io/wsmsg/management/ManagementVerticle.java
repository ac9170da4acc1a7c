package io.wsmsg.management;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.wsmsg.auth.AuthException;
import io.wsmsg.auth.Authenticator;
import io.wsmsg.cluster.PeerWire;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import io.wsmsg.gateway.GatewayVerticle;
import io.wsmsg.gateway.Gateways;
import io.wsmsg.gateway.RateLimitedLog;
import io.wsmsg.metrics.Counters;
import io.wsmsg.metrics.MetricsExport;
import io.wsmsg.metrics.ProcessUsage;
import io.wsmsg.registry.ChannelSettings;
import io.wsmsg.registry.Registry;
import io.wsmsg.router.ChannelRouters;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.EnumMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * The management port, separate from the WebSocket port: liveness ({@code /health}),
 * readiness ({@code /ready}, 503 while stopping), Prometheus metrics ({@code /metrics}) and a
 * JSON status of the node, its channels and endpoints ({@code /status}); and the views behind
 * {@code wsmsg status}, {@code wsmsg endpoints} and {@code wsmsg channels} ({@code /v1/status},
 * {@code /v1/endpoints}, {@code /v1/channels}). Only the probes are open: see {@link Access}
 * and docs/operations.md, "Management port".
 */
public final class ManagementVerticle extends AbstractVerticle {
  private final ServerConfig config;
  private final Counters counters;
  private final Registry registry;
  private final ChannelRouters routers;
  /** The page at / and its live stream. */
  private Dashboard dashboard;
  /** Rows of each list in a live snapshot: the deepest queues first. */
  static final int LIVE_ROWS = 100;
  private final Gateways gateway;
  private final BooleanSupplier stopping;
  private final String nodeId;
  private final Instant startedAt = Instant.now();
  private final Authenticator authenticator;
  /** SHA-256 of management.scrapeToken, or null when none is configured. */
  private final byte[] scrapeHash;
  private static final Logger LOG = Logger.getLogger(ManagementVerticle.class.getName());
  /** One rate-limited log per reason: a scraper with a stale token does not hide a wrong admin token. */
  private final Map<Counters.ManagementRefusal, RateLimitedLog> refusedLogs = new EnumMap<>(Counters.ManagementRefusal.class);
  /** Where admin tokens are verified: the gateway's pool, never this event loop. */
  private WorkerExecutor verifiers;
  private HttpServer server;
  private MetricsExport metrics;

  public ManagementVerticle(ServerConfig config, Counters counters, Registry registry, ChannelRouters routers,
      Gateways gateway, BooleanSupplier stopping, String nodeId, Authenticator authenticator) {
    this.authenticator = authenticator;
    this.config = config;
    this.counters = counters;
    this.registry = registry;
    this.routers = routers;
    this.gateway = gateway;
    this.stopping = stopping;
    this.nodeId = nodeId;
    this.scrapeHash = config.scrapeToken == null ? null : sha256(config.scrapeToken);
    for (Counters.ManagementRefusal r : Counters.ManagementRefusal.values()) {
      refusedLogs.put(r, new RateLimitedLog(LOG, Level.INFO, 10_000));
    }
  }

  /** The certificate when the port speaks https:// (tls.cert with management.tls), else null. */
  private io.wsmsg.tls.CertificateReloader tls;

  /** Serve https:// with this certificate, reloaded as it changes. */
  public void tls(io.wsmsg.tls.CertificateReloader tls) {
    this.tls = tls;
  }

  @Override
  public void start(Promise<Void> started) {
    metrics = new MetricsExport(counters, registry, routers, config.metricsTopN);
    verifiers = Authenticator.verifierPool(vertx);
    Router router = Router.router(vertx);
    dashboard = new Dashboard(vertx, this::liveSnapshot);
    // the dashboard's page holds no data: open; what it shows comes from /v1/live, for admins
    router.get("/").handler(dashboard::page);
    router.get("/dashboard.js").handler(dashboard::script);
    router.get("/dashboard.css").handler(dashboard::style);
    router.get(Dashboard.LIVE).handler(guarded(Access.ADMIN, dashboard::stream));
    // probes stay open: a load balancer or kubelet has no token
    router.get("/health").handler(rc -> json(rc, 200, new JsonObject().put("status", "UP")));
    router.get("/ready").handler(rc -> {
      boolean down = stopping.getAsBoolean();
      json(rc, down ? 503 : 200, new JsonObject().put("status", down ? "STOPPING" : "READY"));
    });
    // /metrics and /status name endpoints and channels (the deepest queues, every endpoint)
    router.get("/metrics").handler(guarded(config.openMetrics ? Access.OPEN : Access.READ, this::metrics));
    router.get("/status").handler(guarded(Access.READ, this::status));
    router.get("/v1/status").handler(guarded(Access.ADMIN, this::v1Status));
    router.get("/v1/process").handler(guarded(Access.ADMIN, this::v1Process));
    router.get("/v1/endpoints").handler(guarded(Access.ADMIN, this::v1Endpoints));
    router.get("/v1/channels").handler(guarded(Access.ADMIN, this::v1Channels));
    router.route().handler(rc -> json(rc, 404, new JsonObject().put("error",
        "unknown path; try / (the dashboard), /health, /ready, /metrics, /status, /v1/status, /v1/process,"
            + " /v1/endpoints, /v1/channels or /v1/live")));
    io.vertx.core.http.HttpServerOptions opts = new io.vertx.core.http.HttpServerOptions();
    // no client certificate here even with tls.clientCa: probes (/health, /ready) cannot show
    // one, and the routes that reveal anything are for tokens
    if (tls != null) tls.current().apply(opts, false);
    server = vertx.createHttpServer(opts).requestHandler(router);
    if (tls != null) {
      server.exceptionHandler(new io.wsmsg.tls.HandshakeLog(java.util.logging.Logger.getLogger(
          ManagementVerticle.class.getName()), "management port"));
    }
    server.listen(config.managementPort, config.managementHost).<Void>mapEmpty()
        .onSuccess(v -> {
          if (tls != null) tls.register(server, false);
        })
        .onComplete(started);
  }

  @Override
  public void stop() {
    if (dashboard != null) dashboard.close();
    if (tls != null && server != null) tls.unregister(server);
    if (metrics != null) metrics.close();
    if (verifiers != null) verifiers.close();
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** The Prometheus text, made on a worker thread: a scrape never holds up an event loop. */
  private void metrics(RoutingContext rc) {
    // the routers are asked only when the deepest channels are listed, each on its own loop
    Future<java.util.Map<String, Integer>> channels = metrics.listsDeepest()
        ? routers.depths() : Future.succeededFuture(java.util.Map.of());
    channels.compose(ch -> vertx.executeBlocking(() -> metrics.scrape(ch), false)).onComplete(ar -> {
      if (ar.failed()) {
        rc.response().setStatusCode(500).end("metrics could not be gathered: " + ar.cause() + "\n");
        return;
      }
      rc.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(ar.result());
    });
  }

  private void status(RoutingContext rc) {
    gateway.clusterStatus().onComplete(cl -> gateway.endpointStatus().onComplete(ar -> {
      JsonArray channels = new JsonArray();
      Map<String, ChannelSettings> sorted = new TreeMap<>(registry.channels());
      sorted.forEach((name, c) -> channels.add(new JsonObject().put("name", name).put("size", c.size())
          .put("priority", c.priority())));
      JsonArray endpoints = new JsonArray();
      endpointRows(cl, ar).values().forEach(endpoints::add);
      JsonObject body = summary(cl)
          .put("channelQueueDepth", routers.totalDepth())
          .put("subscriptions", registry.subscriptions().size())
          .put("messageSubscriptions", registry.messageSubscriptions().size())
          .put("channels", channels)
          .put("endpoints", endpoints);
      json(rc, 200, body);
    }));
  }

  /**
   * What the dashboard shows each second ({@link Dashboard}): the summary of /status (message
   * counts, drops, connections, memory, cluster), the channels with their queue depth and
   * messages published, the endpoints with queue depth, nodes, deliveries in flight and owner;
   * each list deepest first, at most {@link #LIVE_ROWS} rows, with the full count beside it.
   */
  private Future<JsonObject> liveSnapshot() {
    io.vertx.core.Context here = context; // the lists are built on this verticle's loop, not on a router's or gateway's
    return gateway.clusterStatus().transform(cl -> gateway.endpointStatus().transform(eps -> routers.depths()
        .transform(dp -> onContext(dp, here)).transform(dpOn -> {
          io.vertx.core.AsyncResult<Map<String, Integer>> dp = dpOn.result();
          JsonObject body = summary(cl).put("time", System.currentTimeMillis())
              .put("channelQueueDepth", routers.totalDepth());
          Map<String, Integer> depths = dp.succeeded() ? dp.result() : Map.of();
          Map<String, Long> published = routers.published();
          Map<String, JsonObject> channels = new TreeMap<>();
          registry.channels().forEach((name, c) -> channels.put(name, new JsonObject().put("name", name)
              .put("priority", c.priority()).put("size", c.size())));
          depths.keySet().forEach(name -> channels.computeIfAbsent(name, n -> new JsonObject().put("name", n)));
          channels.forEach((name, j) -> j.put("depth", depths.getOrDefault(name, 0))
              .put("published", published.getOrDefault(name, 0L)));
          List<JsonObject> ch = new ArrayList<>(channels.values());
          ch.sort(Comparator.<JsonObject>comparingInt(j -> -j.getInteger("depth"))
              .thenComparingLong(j -> -j.getLong("published")).thenComparing(j -> j.getString("name")));
          List<JsonObject> ep = new ArrayList<>(endpointRows(cl, eps).values());
          ep.sort(Comparator.<JsonObject>comparingInt(j -> -j.getInteger("queued"))
              .thenComparingInt(j -> -j.getInteger("nodes")).thenComparing(j -> j.getString("name")));
          body.put("channelCount", ch.size()).put("channels", new JsonArray(ch.subList(0, Math.min(LIVE_ROWS, ch.size()))))
              .put("endpointCount", ep.size())
              .put("endpoints", new JsonArray(ep.subList(0, Math.min(LIVE_ROWS, ep.size()))));
          return Future.succeededFuture(body);
        })));
  }

  /** Completes with {@code result} on {@code ctx}'s loop. */
  private static <T> Future<io.vertx.core.AsyncResult<T>> onContext(io.vertx.core.AsyncResult<T> result,
      io.vertx.core.Context ctx) {
    io.vertx.core.Promise<io.vertx.core.AsyncResult<T>> p = io.vertx.core.Promise.promise();
    ctx.runOnContext(v -> p.complete(result));
    return p.future();
  }

  /**
   * Every endpoint of the registry and of this node's gateway, by name: size, queued, nodes,
   * unacknowledged deliveries and, in a cluster, the owning member (/status and the dashboard).
   */
  private Map<String, JsonObject> endpointRows(io.vertx.core.AsyncResult<Map<String, Object>> cl,
      io.vertx.core.AsyncResult<List<GatewayVerticle.EndpointStatus>> status) {
    Map<String, JsonObject> eps = new TreeMap<>();
    registry.endpoints().forEach((name, size) -> eps.put(name, new JsonObject().put("name", name).put("size", size)
        .put("queued", 0).put("nodes", 0).put("inFlight", 0)));
    if (status.succeeded()) {
      for (GatewayVerticle.EndpointStatus s : status.result()) {
        eps.computeIfAbsent(s.name(), n -> new JsonObject().put("name", n).put("size", registry.endpointSize(n)))
            .put("queued", s.queued()).put("nodes", s.nodes()).put("inFlight", s.inFlight());
      }
    }
    boolean clustered = cl.succeeded() && "clustered".equals(cl.result().get("mode"));
    if (clustered) eps.forEach((name, j) -> j.put("owner", gateway.ownerOf(name)));
    return eps;
  }

  /** What /status and /v1/status share: the node, its cluster, connections, message counts and memory. */
  private JsonObject summary(io.vertx.core.AsyncResult<Map<String, Object>> cl) {
    JsonObject node = new JsonObject()
        .put("id", nodeId)
        .put("startedAt", startedAt.toString())
        .put("uptimeSeconds", (System.currentTimeMillis() - startedAt.toEpochMilli()) / 1000)
        .put("websocketPort", gateway.actualPort())
        .put("authMode", config.authMode)
        .put("stopping", stopping.getAsBoolean());
    JsonObject dropped = new JsonObject();
    for (Counters.Drop d : Counters.Drop.values()) dropped.put(d.name().toLowerCase(Locale.ROOT), counters.dropped(d));
    JsonObject messages = new JsonObject()
        .put("in", counters.messagesIn.sum())
        .put("out", counters.messagesOut.sum())
        .put("commands", counters.commands.sum())
        .put("errorsSent", counters.errorsSent.sum())
        .put("dropped", dropped);
    return new JsonObject()
        .put("node", node)
        .put("cluster", cl.succeeded() ? new JsonObject(cl.result()) : new JsonObject().put("mode", "unknown"))
        .put("connections", counters.connections.get())
        .put("pendingUpgrades", counters.pendingUpgrades.get())
        .put("messages", messages)
        .put("memory", new JsonObject().put("limitBytes", routers.budget().limit())
            .put("usedBytes", routers.budget().used()).put("peakBytes", routers.budget().peak())
            .put("inFlightBytes", routers.budget().inFlight()));
  }

  // ---- /v1: the admin views behind wsmsg status, endpoints and channels ----

  /**
   * Who may read a route. OPEN: anyone (the probes, and /metrics with management.openMetrics).
   * READ: an admin token or the scrape token (management.scrapeToken), for what a monitoring
   * system reads, /metrics and /status. ADMIN: an admin token only: the /v1 views, which ask
   * every member of a cluster, and any route that would act (none yet) belong here.
   */
  enum Access { OPEN, READ, ADMIN }

  /**
   * {@code then}, for a request that {@code access} admits; otherwise 401 (no token, or one not
   * valid here, with {@code WWW-Authenticate}) or 403 (valid, not admin), each with a one-line
   * reason, counted in wsmsg_management_refused_total and logged (rate-limited). Tokens are
   * verified off this event loop as the gateway verifies upgrades; in auth mode none every
   * request is the anonymous identity with auth.defaultPermissions, as on the WebSocket port,
   * so admin routes answer only when those permissions say admin. The token itself is never
   * logged nor echoed.
   */
  private Handler<RoutingContext> guarded(Access access, Handler<RoutingContext> then) {
    if (access == Access.OPEN) return then;
    return rc -> {
      String token = bearer(rc.request().getHeader(HttpHeaders.AUTHORIZATION));
      if (token != null && isScrapeToken(token)) {
        if (access == Access.READ) {
          answer(rc, then);
        } else {
          refuse(rc, 403, Counters.ManagementRefusal.NOT_ADMIN, "the scrape token reads /metrics and /status only; "
              + rc.request().path() + " needs an admin token (wsmsg token --sub NAME --admin)");
        }
        return;
      }
      authenticator.authenticateOn(verifiers, token).onComplete(ar -> {
        if (ar.failed()) {
          AuthException.Kind kind = ar.cause() instanceof AuthException e ? e.kind() : AuthException.Kind.INVALID;
          String why = token == null ? "no token: send Authorization: Bearer <" + (access == Access.READ && scrapeHash != null
                  ? "an admin token or the scrape token" : "an admin token") + ">"
              : ar.cause() instanceof AuthException ? ar.cause().getMessage() : "the token could not be checked";
          if (token != null && scrapeHash != null && access == Access.READ && token.indexOf('.') < 0) {
            why = "the token is neither the scrape token (management.scrapeToken) nor a JWT";
          }
          refuse(rc, 401, switch (kind) {
            case NO_TOKEN -> Counters.ManagementRefusal.NO_TOKEN;
            case EXPIRED -> Counters.ManagementRefusal.EXPIRED;
            case BAD_SIGNATURE -> Counters.ManagementRefusal.BAD_SIGNATURE;
            case INVALID -> token == null ? Counters.ManagementRefusal.NO_TOKEN : Counters.ManagementRefusal.INVALID_TOKEN;
          }, why);
        } else if (!ar.result().permissions().admin()) {
          refuse(rc, 403, Counters.ManagementRefusal.NOT_ADMIN, authenticator.required()
              ? "the token of " + ar.result().subject() + " is not an admin token (it needs admin: true, e.g. wsmsg token --sub NAME --admin)"
              : "auth mode none gives every request auth.defaultPermissions, which are not admin: set"
                  + " auth.defaultPermissions.admin (development only)"
                  + (access == Access.READ ? " or send the scrape token (management.scrapeToken)" : ""));
        } else {
          answer(rc, then);
        }
      });
    };
  }

  private static void answer(RoutingContext rc, Handler<RoutingContext> then) {
    try {
      then.handle(rc);
    } catch (RuntimeException e) {
      json(rc, 500, new JsonObject().put("error", "the request could not be answered: " + e.getMessage()));
    }
  }

  /** 401 or 403 with why, counted and logged; {@code WWW-Authenticate} as RFC 6750 asks. */
  private void refuse(RoutingContext rc, int status, Counters.ManagementRefusal reason, String why) {
    counters.managementRefused(reason);
    String code = reason == Counters.ManagementRefusal.NO_TOKEN ? ""
        : status == 403 ? ", error=\"insufficient_scope\"" : ", error=\"invalid_token\"";
    rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"wsmsg\"" + code);
    String from = rc.request().remoteAddress() == null ? "?" : rc.request().remoteAddress().hostAddress();
    refusedLogs.get(reason).log("management port: refused " + rc.request().method() + " " + rc.request().path()
        + " from " + from + " (" + status + "): " + why);
    json(rc, status, new JsonObject().put("error", why).put("reason", reason.name().toLowerCase(Locale.ROOT)));
  }

  /** Whether {@code token} is the scrape token: compared as SHA-256 digests, in constant time and length. */
  private boolean isScrapeToken(String token) {
    return scrapeHash != null && MessageDigest.isEqual(sha256(token), scrapeHash);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** The token of {@code Authorization: Bearer <token>} (or of a bare token), or null. */
  private static String bearer(String header) {
    if (header == null || header.isBlank()) return null;
    String h = header.trim();
    String t = h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : h;
    return t.isEmpty() ? null : t;
  }

  /** The {@code filter} and {@code limit} query parameters; null after answering 400. */
  private record Query(Glob filter, int limit, boolean memberOnly) {
    boolean wants(String name) {
      return filter == null || filter.matches(name);
    }
  }

  private Query query(RoutingContext rc) {
    String f = rc.request().getParam("filter");
    String l = rc.request().getParam("limit");
    String scope = rc.request().getParam("scope");
    int limit = 0;
    if (l != null) {
      try {
        limit = Integer.parseInt(l);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 0) {
        json(rc, 400, new JsonObject().put("error", "limit must be 0 (all) or a positive integer"));
        return null;
      }
    }
    if (f != null && (f.isEmpty() || f.length() > 255)) {
      json(rc, 400, new JsonObject().put("error", "filter must be a glob of 1 to 255 characters"));
      return null;
    }
    if (scope != null && !scope.equals("cluster") && !scope.equals("member")) {
      json(rc, 400, new JsonObject().put("error", "scope must be cluster or member"));
      return null;
    }
    return new Query(f == null ? null : Glob.compile(f), limit, "member".equals(scope));
  }

  /**
   * The views of this member and, in a cluster (unless {@code memberOnly}), of every other
   * member, asked over the peer messaging (VIEW) with a deadline of 5 s. A member that does
   * not answer in time appears as {@code {"member": id, "error": why}}. This member's view is first.
   */
  private Future<List<JsonObject>> views(boolean memberOnly) {
    return gateway.clusterStatus().compose(cl -> {
      List<Future<JsonObject>> asks = new ArrayList<>();
      asks.add(gateway.memberView());
      String self = String.valueOf(cl.get("member"));
      if (!memberOnly && "clustered".equals(cl.get("mode")) && cl.get("members") instanceof Collection<?> members) {
        for (Object m : members) {
          String member = String.valueOf(m);
          if (member.equals(self)) continue;
          Buffer ask = new PeerWire.Writer(PeerWire.VIEW, 64).str(self).buffer(); // members answer members only
          asks.add(vertx.eventBus().<Buffer>request(PeerWire.gatewayAddress(member), ask,
                  new DeliveryOptions().setSendTimeout(5000))
              .map(reply -> new JsonObject(reply.body()))
              .recover(e -> Future.succeededFuture(new JsonObject().put("member", member)
                  .put("error", String.valueOf(e.getMessage())))));
        }
      }
      return back(Future.join(asks)).map(v -> {
        List<JsonObject> out = new ArrayList<>();
        for (Future<JsonObject> f : asks) {
          out.add(f.succeeded() ? f.result() : new JsonObject().put("member", self).put("error", String.valueOf(f.cause())));
        }
        out.get(0).put("mode", cl.get("mode"));
        return out;
      });
    });
  }

  /**
   * {@code f}, completed on this verticle's event loop: the answers of the gateway and the
   * routers arrive on their loops, and the response is built and written here.
   */
  private <T> Future<T> back(Future<T> f) {
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> context.runOnContext(v -> p.handle(ar)));
    return p.future();
  }

  /** Members that answered, and those that did not (with why), for the document's head. */
  private JsonObject head(List<JsonObject> views) {
    JsonArray answered = new JsonArray();
    JsonObject missing = new JsonObject();
    for (JsonObject v : views) {
      if (v.containsKey("error")) missing.put(v.getString("member"), v.getString("error"));
      else answered.add(v.getString("member"));
    }
    return new JsonObject().put("member", views.get(0).getString("member"))
        .put("mode", views.get(0).getString("mode"))
        .put("membersAnswered", answered).put("membersMissing", missing);
  }

  /**
   * The process's CPU time, resident memory and event-loop CPU (see {@link ProcessUsage}), read
   * on a worker: it walks the JVM's threads and reads /proc. Asks nothing of the gateway, so a
   * load tool can read it before and after a run at little cost to what it measures.
   */
  private void v1Process(RoutingContext rc) {
    back(process()).onComplete(ar -> {
      if (ar.failed()) json(rc, 500, new JsonObject().put("error", "the process figures could not be read: " + ar.cause()));
      else json(rc, 200, new JsonObject().put("node", nodeId).put("process", ar.result()));
    });
  }

  private Future<JsonObject> process() {
    return vertx.executeBlocking(() -> {
      ProcessUsage.Reading r = ProcessUsage.read();
      JsonArray loops = new JsonArray();
      for (ProcessUsage.Thread t : r.eventLoops()) loops.add(new JsonObject().put("thread", t.name()).put("cpuNanos", t.cpuNanos()));
      JsonObject p = new JsonObject().put("pid", ProcessHandle.current().pid()).put("cpus", r.cpus())
          .put("cpuNanos", r.cpuNanos()).put("heapUsedBytes", r.heapUsedBytes());
      if (r.rssBytes() >= 0) p.put("rssBytes", r.rssBytes());
      return p.put("eventLoops", loops);
    }, false);
  }

  private void v1Status(RoutingContext rc) {
    gateway.clusterStatus().onComplete(cl -> back(gateway.memberView().compose(view -> process()
        .map(p -> view.copy().put("process", p)))).onComplete(ar -> {
      if (ar.failed()) {
        json(rc, 500, new JsonObject().put("error", "the status could not be gathered (gateway view, process figures): " + ar.cause().getMessage()));
        return;
      }
      long depth = 0;
      long inFlight = 0;
      int owned = 0;
      for (Object o : ar.result().getJsonArray("endpoints")) {
        JsonObject e = (JsonObject) o;
        if (!e.getBoolean("owned")) continue;
        owned++;
        depth += e.getInteger("queued");
        inFlight += e.getInteger("inFlight");
      }
      JsonObject body = summary(cl)
          .put("endpoints", registry.endpointCount())
          .put("ownedEndpoints", owned)
          .put("endpointQueueDepth", depth)
          .put("inFlight", inFlight)
          .put("channels", registry.channelCount())
          .put("routers", ar.result().getJsonObject("channels").size())
          .put("channelQueueDepth", routers.totalDepth())
          .put("subscriptions", registry.subscriptions().size())
          .put("messageSubscriptions", registry.messageSubscriptions().size())
          .put("process", ar.result().getJsonObject("process"));
      json(rc, 200, body);
    }));
  }

  /**
   * The start of a listing: its query, then the views it needs (this member's, or every
   * member's); a bad query or a gateway that does not answer is answered here.
   */
  private void listing(RoutingContext rc, java.util.function.BiConsumer<Query, List<JsonObject>> build) {
    Query q = query(rc);
    if (q == null) return;
    views(q.memberOnly()).onComplete(ar -> {
      if (ar.failed()) {
        json(rc, 500, new JsonObject().put("error", "the gateway did not answer: " + ar.cause().getMessage()));
        return;
      }
      build.accept(q, ar.result());
    });
  }

  /**
   * One row per endpoint: settings and subscriptions from the registry (every member holds all
   * of it), queue figures from the member that owns the queue. Registry reads are of its
   * published, thread-safe view (see {@link Registry}); everything else comes from the views.
   */
  private void v1Endpoints(RoutingContext rc) {
    listing(rc, (q, views) -> {
      JsonObject head = head(views);
      List<Object> answered = head.getJsonArray("membersAnswered").getList();
      Map<String, JsonObject> rows = new TreeMap<>();
      io.wsmsg.registry.SubscriptionTable subs = registry.subscriptions(); // one table for every row
      registry.endpoints().forEach((name, size) -> {
        if (q.wants(name)) rows.put(name, endpointRow(name, gateway.ownerOf(name), subs));
      });
      Map<String, Integer> elsewhere = new HashMap<>();
      for (JsonObject v : views) {
        if (v.containsKey("error")) continue;
        for (Object o : v.getJsonArray("endpoints")) {
          JsonObject e = (JsonObject) o;
          String name = e.getString("name");
          if (!q.wants(name)) continue;
          if (e.getBoolean("owned")) {
            int local = e.getInteger("localNodes");
            int remote = e.getInteger("remoteNodes");
            rows.computeIfAbsent(name, n -> endpointRow(n, null, subs)).put("owner", v.getString("member"))
                .put("queued", e.getInteger("queued")).put("bytes", e.getLong("bytes"))
                .put("inFlight", e.getInteger("inFlight")).put("dropped", e.getLong("dropped"))
                .put("nodes", local + remote).put("localNodes", local).put("remoteNodes", remote);
          } else {
            elsewhere.merge(name, e.getInteger("localNodes"), Integer::sum);
          }
        }
      }
      for (JsonObject row : rows.values()) {
        String owner = row.getString("owner");
        if (owner != null && !answered.contains(owner)) {
          // the owner did not answer (or was not asked: scope=member): its figures are unknown,
          // not zero; the nodes are those seen on the members that answered
          row.putNull("queued").putNull("bytes").putNull("inFlight").putNull("dropped").putNull("localNodes")
              .put("remoteNodes", elsewhere.getOrDefault(row.getString("name"), 0))
              .put("nodes", elsewhere.getOrDefault(row.getString("name"), 0));
        }
      }
      List<JsonObject> sorted = new ArrayList<>(rows.values());
      sorted.sort(Comparator.<JsonObject>comparingLong(r -> number(r, "queued")).reversed()
          .thenComparing(Comparator.<JsonObject>comparingLong(r -> number(r, "inFlight")).reversed())
          .thenComparing(r -> r.getString("name")));
      json(rc, 200, head.put("total", sorted.size()).put("endpoints", limited(sorted, q.limit())));
    });
  }

  private JsonObject endpointRow(String name, String owner, io.wsmsg.registry.SubscriptionTable subs) {
    return new JsonObject().put("name", name).put("owner", owner).put("queued", 0).put("bytes", 0L)
        .put("size", registry.endpointSize(name)).put("inFlight", 0).put("dropped", 0L)
        .put("nodes", 0).put("localNodes", 0).put("remoteNodes", 0)
        .put("subscriptions", subs.of(name).size())
        .put("ephemeral", registry.isEphemeral(name));
  }

  /**
   * One row per channel: settings from the registry, the number of subscriptions whose channel
   * pattern matches it (and of distinct endpoints holding them), and its queue on each member
   * (a channel is routed on the member where a message is published, so its queue is the sum).
   */
  private void v1Channels(RoutingContext rc) {
    listing(rc, (q, views) -> {
      JsonObject head = head(views);
      Set<String> names = new java.util.TreeSet<>();
      registry.channels().keySet().forEach(n -> {
        if (q.wants(n)) names.add(n);
      });
      for (JsonObject v : views) {
        if (v.containsKey("error")) continue;
        for (String n : v.getJsonObject("channels").fieldNames()) if (q.wants(n)) names.add(n);
      }
      // subscriptions by literal channel, and the wildcard ones: channels x wildcards, not channels x all
      Map<String, List<io.wsmsg.registry.Subscription>> literal = new HashMap<>();
      List<io.wsmsg.registry.Subscription> wildcard = new ArrayList<>();
      for (List<io.wsmsg.registry.Subscription> l : registry.subscriptions().all().values()) {
        for (io.wsmsg.registry.Subscription s : l) {
          if (s.channel().isLiteral()) literal.computeIfAbsent(s.channel().pattern(), k -> new ArrayList<>()).add(s);
          else wildcard.add(s);
        }
      }
      List<JsonObject> rows = new ArrayList<>();
      for (String name : names) {
        int subs = 0;
        Set<String> eps = new HashSet<>();
        for (io.wsmsg.registry.Subscription s : literal.getOrDefault(name, List.of())) {
          subs++;
          eps.add(s.endpoint());
        }
        for (io.wsmsg.registry.Subscription s : wildcard) {
          if (s.channel().matches(name)) {
            subs++;
            eps.add(s.endpoint());
          }
        }
        int queued = 0;
        int routersUp = 0;
        for (JsonObject v : views) {
          if (v.containsKey("error")) continue;
          Integer d = v.getJsonObject("channels").getInteger(name);
          if (d != null) {
            routersUp++;
            queued += d;
          }
        }
        ChannelSettings c = registry.channel(name);
        rows.add(new JsonObject().put("name", name).put("queued", queued).put("priority", c.priority())
            .put("size", c.size()).put("subscriptions", subs).put("endpoints", eps.size())
            .put("router", routersUp > 0 ? "deployed" : "idle").put("routers", routersUp)
            .put("configured", registry.isConfigured(name)));
      }
      rows.sort(Comparator.<JsonObject>comparingLong(r -> number(r, "queued")).reversed()
          .thenComparing(Comparator.<JsonObject>comparingLong(r -> number(r, "priority")).reversed())
          .thenComparing(r -> r.getString("name")));
      json(rc, 200, head.put("total", rows.size()).put("channels", limited(rows, q.limit())));
    });
  }

  /** A number field for sorting; unknown (null) sorts below zero. */
  private static long number(JsonObject row, String key) {
    Long v = row.getLong(key);
    return v == null ? -1 : v;
  }

  private static JsonArray limited(List<JsonObject> rows, int limit) {
    JsonArray out = new JsonArray();
    for (JsonObject r : rows) {
      if (limit > 0 && out.size() >= limit) break;
      out.add(r);
    }
    return out;
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encodePrettily());
  }
}
