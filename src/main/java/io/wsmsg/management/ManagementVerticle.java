package io.wsmsg.management;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.wsmsg.auth.AuthException;
import io.wsmsg.auth.Authenticator;
import io.wsmsg.auth.Identity;
import io.wsmsg.cluster.PeerWire;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import io.wsmsg.gateway.GatewayVerticle;
import io.wsmsg.metrics.Counters;
import io.wsmsg.metrics.MetricsExport;
import io.wsmsg.registry.ChannelSettings;
import io.wsmsg.registry.Registry;
import io.wsmsg.router.ChannelRouters;
import java.time.Instant;
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
 * JSON status of the node, its channels and endpoints ({@code /status}); and, for an admin
 * token only, the views behind {@code wsmsg status}, {@code wsmsg endpoints} and {@code wsmsg
 * channels} ({@code /v1/status}, {@code /v1/endpoints}, {@code /v1/channels}; see
 * docs/operations.md).
 */
public final class ManagementVerticle extends AbstractVerticle {
  private final ServerConfig config;
  private final Counters counters;
  private final Registry registry;
  private final ChannelRouters routers;
  private final GatewayVerticle gateway;
  private final BooleanSupplier stopping;
  private final String nodeId;
  private final Instant startedAt = Instant.now();
  private final Authenticator authenticator;
  /** Where admin tokens are verified: the gateway's pool, never this event loop. */
  private WorkerExecutor verifiers;
  private HttpServer server;
  private MetricsExport metrics;

  public ManagementVerticle(ServerConfig config, Counters counters, Registry registry, ChannelRouters routers,
      GatewayVerticle gateway, BooleanSupplier stopping, String nodeId, Authenticator authenticator) {
    this.authenticator = authenticator;
    this.config = config;
    this.counters = counters;
    this.registry = registry;
    this.routers = routers;
    this.gateway = gateway;
    this.stopping = stopping;
    this.nodeId = nodeId;
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
    Router router = Router.router(vertx);
    router.get("/health").handler(rc -> json(rc, 200, new JsonObject().put("status", "UP")));
    router.get("/ready").handler(rc -> {
      boolean down = stopping.getAsBoolean();
      json(rc, down ? 503 : 200, new JsonObject().put("status", down ? "STOPPING" : "READY"));
    });
    router.get("/metrics").handler(this::metrics);
    router.get("/status").handler(this::status);
    verifiers = Authenticator.verifierPool(vertx);
    router.get("/v1/status").handler(rc -> asAdmin(rc, this::v1Status));
    router.get("/v1/endpoints").handler(rc -> asAdmin(rc, this::v1Endpoints));
    router.get("/v1/channels").handler(rc -> asAdmin(rc, this::v1Channels));
    router.route().handler(rc -> json(rc, 404, new JsonObject().put("error",
        "unknown path; try /health, /ready, /metrics, /status, /v1/status, /v1/endpoints or /v1/channels")));
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
      Map<String, JsonObject> eps = new TreeMap<>();
      registry.endpoints().forEach((name, size) -> eps.put(name, new JsonObject().put("name", name).put("size", size)
          .put("queued", 0).put("nodes", 0).put("inFlight", 0)));
      if (ar.succeeded()) {
        for (GatewayVerticle.EndpointStatus s : ar.result()) {
          eps.computeIfAbsent(s.name(), n -> new JsonObject().put("name", n).put("size", registry.endpointSize(n)))
              .put("queued", s.queued()).put("nodes", s.nodes()).put("inFlight", s.inFlight());
        }
      }
      boolean clustered = cl.succeeded() && "clustered".equals(cl.result().get("mode"));
      if (clustered) eps.forEach((name, j) -> j.put("owner", gateway.ownerOf(name)));
      eps.values().forEach(endpoints::add);
      JsonObject body = summary(cl)
          .put("channelQueueDepth", routers.totalDepth())
          .put("subscriptions", registry.subscriptions().size())
          .put("messageSubscriptions", registry.messageSubscriptions().size())
          .put("channels", channels)
          .put("endpoints", endpoints);
      json(rc, 200, body);
    }));
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
        .put("messages", messages)
        .put("memory", new JsonObject().put("limitBytes", routers.budget().limit())
            .put("usedBytes", routers.budget().used()).put("peakBytes", routers.budget().peak())
            .put("inFlightBytes", routers.budget().inFlight()));
  }

  // ---- /v1: the admin views behind wsmsg status, endpoints and channels ----

  /**
   * Runs {@code then} for a request whose bearer token the server's authenticator accepts as
   * an admin token, verified off this event loop as the gateway verifies upgrades; otherwise
   * answers 401 (no token, or one that is not valid here) or 403 (valid, not admin), each with
   * a one-line reason. The token itself is never logged nor echoed.
   */
  private void asAdmin(RoutingContext rc, java.util.function.BiConsumer<RoutingContext, Identity> then) {
    String token = bearer(rc.request().getHeader(HttpHeaders.AUTHORIZATION));
    authenticator.authenticateOn(verifiers, token).onComplete(ar -> {
      if (ar.failed()) {
        String why = token == null ? "no token: send an admin token as Authorization: Bearer <token>"
            : ar.cause() instanceof AuthException ? ar.cause().getMessage() : "the token could not be checked";
        rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"wsmsg management\"");
        json(rc, 401, new JsonObject().put("error", why));
      } else if (!ar.result().permissions().admin()) {
        json(rc, 403, new JsonObject().put("error", authenticator.required()
            ? "the token of " + ar.result().subject() + " is not an admin token"
            : "auth mode none gives every request the default permissions, and auth.defaultPermissions is not admin"));
      } else {
        try {
          then.accept(rc, ar.result());
        } catch (RuntimeException e) {
          json(rc, 500, new JsonObject().put("error", "the request could not be answered: " + e.getMessage()));
        }
      }
    });
  }

  /** The token of {@code Authorization: Bearer <token>} (or of a bare token), or null. */
  private static String bearer(String header) {
    if (header == null || header.isBlank()) return null;
    String h = header.trim();
    return h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : h;
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
          Buffer ask = new PeerWire.Writer(PeerWire.VIEW, 1).buffer();
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

  private void v1Status(RoutingContext rc, Identity who) {
    gateway.clusterStatus().onComplete(cl -> back(gateway.memberView()).onComplete(ar -> {
      if (ar.failed()) {
        json(rc, 500, new JsonObject().put("error", "the gateway did not answer: " + ar.cause().getMessage()));
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
          .put("messageSubscriptions", registry.messageSubscriptions().size());
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
  private void v1Endpoints(RoutingContext rc, Identity who) {
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
  private void v1Channels(RoutingContext rc, Identity who) {
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
