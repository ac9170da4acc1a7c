package io.wsmsg.management;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.gateway.GatewayVerticle;
import io.wsmsg.metrics.Counters;
import io.wsmsg.metrics.MetricsExport;
import io.wsmsg.registry.ChannelSettings;
import io.wsmsg.registry.Registry;
import io.wsmsg.router.ChannelRouters;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * The management port, separate from the WebSocket port: liveness ({@code /health}),
 * readiness ({@code /ready}, 503 while stopping), Prometheus metrics ({@code /metrics}) and a
 * JSON status of the node, its channels and endpoints ({@code /status}).
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
  private HttpServer server;
  private MetricsExport metrics;

  public ManagementVerticle(ServerConfig config, Counters counters, Registry registry, ChannelRouters routers,
      GatewayVerticle gateway, BooleanSupplier stopping, String nodeId) {
    this.config = config;
    this.counters = counters;
    this.registry = registry;
    this.routers = routers;
    this.gateway = gateway;
    this.stopping = stopping;
    this.nodeId = nodeId;
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
    router.route().handler(rc -> json(rc, 404,
        new JsonObject().put("error", "unknown path; try /health, /ready, /metrics or /status")));
    server = vertx.createHttpServer().requestHandler(router);
    server.listen(config.managementPort, config.managementHost).<Void>mapEmpty().onComplete(started);
  }

  @Override
  public void stop() {
    if (metrics != null) metrics.close();
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** The Prometheus text, made on a worker thread: a scrape never holds up an event loop. */
  private void metrics(RoutingContext rc) {
    vertx.executeBlocking(metrics::scrape, false).onComplete(ar -> {
      if (ar.failed()) {
        rc.response().setStatusCode(500).end("metrics could not be gathered: " + ar.cause() + "\n");
        return;
      }
      rc.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(ar.result());
    });
  }

  private void status(RoutingContext rc) {
    gateway.clusterStatus().onComplete(cl -> gateway.endpointStatus().onComplete(ar -> {
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
      JsonObject body = new JsonObject()
          .put("node", node)
          .put("cluster", cl.succeeded() ? new JsonObject(cl.result()) : new JsonObject().put("mode", "unknown"))
          .put("connections", counters.connections.get())
          .put("messages", messages)
          .put("channelQueueDepth", routers.totalDepth())
          .put("memory", new JsonObject().put("limitBytes", routers.budget().limit())
              .put("usedBytes", routers.budget().used()).put("peakBytes", routers.budget().peak())
              .put("inFlightBytes", routers.budget().inFlight()))
          .put("subscriptions", registry.subscriptions().size())
          .put("messageSubscriptions", registry.messageSubscriptions().size())
          .put("channels", channels)
          .put("endpoints", endpoints);
      json(rc, 200, body);
    }));
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encodePrettily());
  }
}
