package io.wsmsg.cli.bench;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import io.wsmsg.client.ClientOptions;
import io.wsmsg.client.WsmsgClient;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.server.WsmsgServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every scenario runs on: the client-side Vert.x instance with one context per event
 * loop ("lanes": connections are spread over them), the shared WebSocket client of the raw
 * nodes, the control client that sets up subscriptions, and the in-process server of
 * {@code --embedded}.
 */
final class BenchEnv implements AutoCloseable {
  final BenchSettings s;
  final Vertx vertx;
  final List<Context> lanes;
  /** Shared by every raw node. A field on purpose: an unreferenced client is closed by a cleaner. */
  final WebSocketClient wsClient;
  final String host;
  final int port;
  final boolean ssl;
  final String root;
  final String url;
  /** A short random id naming this run's channels, so runs against one server never mix. */
  final String runId = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  private final Vertx serverVertx;
  private final WsmsgServer server;
  private final Path dataDir;
  private final AtomicInteger nextLane = new AtomicInteger();
  private final AtomicInteger nextProducerLane = new AtomicInteger();
  /** Lanes [0, reserved) are kept for producers, so a busy sender never starves a receiver's event loop. */
  private volatile int reserved;
  WsmsgClient control;

  private BenchEnv(BenchSettings s, Vertx vertx, List<Context> lanes, Vertx serverVertx, WsmsgServer server,
      Path dataDir, String url, int maxConnections) {
    this.s = s;
    this.vertx = vertx;
    this.lanes = lanes;
    this.serverVertx = serverVertx;
    this.server = server;
    this.dataDir = dataDir;
    this.url = url;
    URI u = URI.create(url);
    this.ssl = "wss".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme());
    this.host = u.getHost();
    this.port = u.getPort() > 0 ? u.getPort() : ssl ? 443 : 80;
    String r = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
    this.root = r.endsWith("/") ? r : r + "/";
    this.wsClient = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxConnections(maxConnections)
        .setMaxFrameSize(16 << 20)
        .setMaxMessageSize(16 << 20)
        .setTcpNoDelay(true)
        .setConnectTimeout(10_000)
        .setClosingTimeout(1));
  }

  static BenchEnv open(BenchSettings s, int plannedConnections) throws Exception {
    Vertx serverVertx = null;
    WsmsgServer server = null;
    Path dataDir = null;
    String url = s.url;
    if (s.embedded) {
      dataDir = Files.createTempDirectory("wsmsg-bench-");
      JsonObject conf = new JsonObject()
          .put("host", "127.0.0.1")
          .put("port", 0)
          .put("dataDir", dataDir.toString())
          .put("management", new JsonObject().put("enabled", false)) // never collide with a real node's port
          .put("auth", new JsonObject().put("mode", "none"))
          .put("limits", new JsonObject().put("maxEndpoints", 1_000_000));
      serverVertx = Vertx.vertx();
      server = await(WsmsgServer.start(serverVertx, ServerConfig.of(conf)), 30_000);
      url = "ws://127.0.0.1:" + server.port() + "/";
    }
    int n = s.eventLoops > 0 ? s.eventLoops : defaultEventLoops(s);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(n));
    List<Context> lanes = Collections.synchronizedList(new ArrayList<>());
    // One context per event loop: connecting from the main thread would put every connection on
    // the same (sticky) event loop. Deploying N instances of a verticle spreads them.
    await(vertx.deployVerticle(() -> new AbstractVerticle() {
      @Override
      public void start() {
        lanes.add(context);
      }
    }, new DeploymentOptions().setInstances(n)), 10_000);
    return new BenchEnv(s, vertx, List.copyOf(lanes), serverVertx, server, dataDir, url,
        Math.max(64, plannedConnections * 2 + 16));
  }

  /**
   * 2 x CPUs, as Vert.x does; for queue at least one per publisher and consumer, or the
   * fairness figure would measure which consumers share a client thread, not the server.
   */
  static int defaultEventLoops(BenchSettings s) {
    int n = 2 * Runtime.getRuntime().availableProcessors();
    if ("queue".equals(s.scenario)) n = Math.max(n, Math.min(64, s.publishers + s.connections));
    return n;
  }

  boolean embedded() {
    return server != null;
  }

  /** The next lane for a receiving (or idle) connection: round-robin over the lanes not kept for producers. */
  Context nextLane() {
    int r = reserved;
    return lanes.get(r + Math.floorMod(nextLane.getAndIncrement(), lanes.size() - r));
  }

  /** Keeps up to {@code producers} lanes (always leaving one) for {@link #producerLane()}. */
  void reserveProducerLanes(int producers) {
    reserved = Math.max(0, Math.min(producers, lanes.size() - 1));
  }

  /** The next lane for a producer: its own when enough lanes are kept, else shared with receivers. */
  Context producerLane() {
    int r = reserved;
    if (r == 0) return nextLane();
    return lanes.get(Math.floorMod(nextProducerLane.getAndIncrement(), r));
  }

  ClientOptions clientOptions(String endpoint, int window) {
    ClientOptions o = new ClientOptions().url(url).endpoint(endpoint).window(window)
        .requestTimeout(Duration.ofMillis(s.requestTimeoutMillis))
        .reconnect(false);
    if (s.token != null && !s.token.isEmpty()) o.token(s.token);
    return o;
  }

  /** A WsmsgClient whose event loop is the next lane (connect() takes the caller's context). */
  Future<WsmsgClient> client(String endpoint, int window) {
    return clientOn(nextLane(), endpoint, window);
  }

  /** A WsmsgClient whose handlers and futures run on {@code lane}. */
  Future<WsmsgClient> clientOn(Context lane, String endpoint, int window) {
    Promise<WsmsgClient> p = Promise.promise();
    lane.runOnContext(v -> WsmsgClient.connect(vertx, clientOptions(endpoint, window)).onComplete(p));
    return p.future();
  }

  /** Connects the control client, used to set up and remove subscriptions. */
  void connectControl() throws Exception {
    control = await(client("bench-control", 16), 15_000);
  }

  String channel(String scenario) {
    return "bench." + scenario + "." + runId;
  }

  @Override
  public void close() {
    try {
      if (control != null) await(control.close(), 5_000);
    } catch (Exception ignored) {
      // closing anyway
    }
    try {
      await(wsClient.close(), 5_000);
    } catch (Exception ignored) {
      // closing anyway
    }
    try {
      await(vertx.close(), 10_000);
    } catch (Exception ignored) {
      // closing anyway
    }
    if (server != null) {
      try {
        await(server.close(), 10_000);
      } catch (Exception ignored) {
        // closing anyway
      }
      try {
        await(serverVertx.close(), 10_000);
      } catch (Exception ignored) {
        // closing anyway
      }
    }
    if (dataDir != null) deleteTree(dataDir);
  }

  private static void deleteTree(Path p) {
    try (var walk = Files.walk(p)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
    } catch (Exception ignored) {
      // a temp dir left behind is harmless
    }
  }

  static <T> T await(Future<T> f, long millis) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(millis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof Exception x) throw x;
      throw e;
    }
  }

  static String describe(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isEmpty() ? t.getClass().getSimpleName() : m;
  }
}
