package io.wsmsg.management;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
    bindMetrics(counters.registry);
    Router router = Router.router(vertx);
    router.get("/health").handler(rc -> json(rc, 200, new JsonObject().put("status", "UP")));
    router.get("/ready").handler(rc -> {
      boolean down = stopping.getAsBoolean();
      json(rc, down ? 503 : 200, new JsonObject().put("status", down ? "STOPPING" : "READY"));
    });
    router.get("/metrics").handler(rc -> rc.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(counters.registry.scrape()));
    router.get("/status").handler(this::status);
    router.route().handler(rc -> json(rc, 404,
        new JsonObject().put("error", "unknown path; try /health, /ready, /metrics or /status")));
    server = vertx.createHttpServer().requestHandler(router);
    server.listen(config.managementPort, config.managementHost).<Void>mapEmpty().onComplete(started);
  }

  public int actualPort() {
    return server.actualPort();
  }

  private void bindMetrics(PrometheusMeterRegistry r) {
    FunctionCounter.builder("wsmsg.messages.in", counters.messagesIn, a -> a.sum())
        .description("messages received from nodes, commands included").register(r);
    FunctionCounter.builder("wsmsg.messages.out", counters.messagesOut, a -> a.sum())
        .description("messages delivered to nodes from endpoint queues").register(r);
    FunctionCounter.builder("wsmsg.commands", counters.commands, a -> a.sum())
        .description("commands received on channel system (acks excluded)").register(r);
    FunctionCounter.builder("wsmsg.errors.sent", counters.errorsSent, a -> a.sum())
        .description("error messages sent to nodes").register(r);
    for (Counters.Drop d : Counters.Drop.values()) {
      FunctionCounter.builder("wsmsg.messages.dropped", counters.droppedAdder(d), a -> a.sum())
          .tag("reason", d.name().toLowerCase(Locale.ROOT)).description("messages dropped, by reason").register(r);
    }
    for (Counters.Refusal c : Counters.Refusal.values()) {
      FunctionCounter.builder("wsmsg.connections.refused", counters.refusedAdder(c), a -> a.sum())
          .tag("reason", c.name().toLowerCase(Locale.ROOT))
          .description("connections refused before their upgrade, or closed for abuse, by reason").register(r);
    }
    Gauge.builder("wsmsg.connections", counters.connections, a -> a.get()).description("open node connections")
        .register(r);
    Gauge.builder("wsmsg.channel.queue.depth", routers, ChannelRouters::totalDepth)
        .description("messages waiting in channel queues").register(r);
    Gauge.builder("wsmsg.endpoint.queue.depth", counters, c -> c.endpointQueueDepth)
        .description("messages waiting in endpoint queues (refreshed each second)").register(r);
    Gauge.builder("wsmsg.subscriptions", registry, g -> g.subscriptions().size()).register(r);
    Gauge.builder("wsmsg.message.subscriptions", registry, g -> g.messageSubscriptions().size()).register(r);
    Gauge.builder("wsmsg.channels", registry, Registry::channelCount).register(r);
    Gauge.builder("wsmsg.endpoints", registry, Registry::endpointCount).register(r);
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
