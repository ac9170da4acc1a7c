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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  /** The first server of the producing side: the one named in the summary when there is one. */
  final String url;
  /** Where the producing side connects (rpc requesters, publishers), round-robin; also conns. */
  final List<Target> pubTargets;
  /** Where the receiving side connects (responders, subscribers, consumers) and the control connection. */
  final List<Target> subTargets;
  /** Every distinct server, in order of first mention, with the connections opened to it per role. */
  private final Map<String, Map<String, AtomicInteger>> opened = new LinkedHashMap<>();
  /** A short random id naming this run's channels, so runs against one server never mix. */
  final String runId = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  private final Vertx serverVertx;
  private final WsmsgServer server;
  /** Where the server's CPU and memory are read (--embedded, --server-pid, --management-url), or null. */
  final ServerUsage usage;
  private final Path dataDir;
  private final AtomicInteger nextLane = new AtomicInteger();
  private final AtomicInteger nextProducerLane = new AtomicInteger();
  /** Lanes [0, reserved) are kept for producers, so a busy sender never starves a receiver's event loop. */
  private volatile int reserved;
  WsmsgClient control;

  /** One server to connect to, parsed once. */
  static final class Target {
    final String url;
    final String host;
    final int port;
    final boolean ssl;
    /** The path the endpoint name is appended to, ending in a slash. */
    final String root;

    Target(String url) {
      URI u = URI.create(url);
      this.url = url;
      this.ssl = "wss".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme());
      this.host = u.getHost();
      this.port = u.getPort() > 0 ? u.getPort() : ssl ? 443 : 80;
      String r = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
      this.root = r.endsWith("/") ? r : r + "/";
    }

    /**
     * Why {@code url} cannot be loaded, or null when it can: ws or wss (http, https) with a
     * host. Checked before anything connects.
     */
    static String problem(String url) {
      try {
        URI u = new URI(url.trim());
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!List.of("ws", "wss", "http", "https").contains(scheme)) return "'" + url + "' is not a ws:// or wss:// URL";
        if (u.getHost() == null || u.getHost().isEmpty()) return "'" + url + "' names no host";
        if (u.getRawQuery() != null) return "'" + url + "' has a query: give the server's root, e.g. ws://host:port/";
        return null;
      } catch (java.net.URISyntaxException e) {
        return "'" + url + "' is not a URL: " + e.getReason();
      }
    }
  }

  private BenchEnv(BenchSettings s, Vertx vertx, List<Context> lanes, Vertx serverVertx, WsmsgServer server,
      Path dataDir, List<String> pubUrls, List<String> subUrls, int maxConnections, ServerUsage usage) {
    this.s = s;
    this.usage = usage;
    this.vertx = vertx;
    this.lanes = lanes;
    this.serverVertx = serverVertx;
    this.server = server;
    this.dataDir = dataDir;
    this.pubTargets = targets(pubUrls);
    this.subTargets = targets(subUrls);
    this.url = pubTargets.get(0).url;
    for (Target t : pubTargets) opened.putIfAbsent(t.url, new LinkedHashMap<>());
    for (Target t : subTargets) opened.putIfAbsent(t.url, new LinkedHashMap<>());
    this.wsClient = vertx.createWebSocketClient(s.tls.apply(new WebSocketClientOptions()
        .setMaxConnections(maxConnections)
        .setMaxFrameSize(16 << 20)
        .setMaxMessageSize(16 << 20)
        .setTcpNoDelay(true)
        .setConnectTimeout(10_000)
        .setClosingTimeout(1)));
  }

  static BenchEnv open(BenchSettings s, int plannedConnections) throws Exception {
    Vertx serverVertx = null;
    WsmsgServer server = null;
    Path dataDir = null;
    List<String> pubUrls = s.pubUrlsOrDefault();
    List<String> subUrls = s.subUrlsOrDefault();
    ServerUsage usage = null;
    if (s.serverPid > 0) usage = new ServerUsage.Proc(s.serverPid);
    if (s.managementUrl != null) usage = new ServerUsage.Management(s.managementUrl, s.adminToken, s.tls);
    if (s.embedded) {
      dataDir = Files.createTempDirectory("wsmsg-bench-");
      JsonObject conf = new JsonObject()
          .put("host", "127.0.0.1")
          .put("port", 0)
          .put("dataDir", dataDir.toString())
          .put("management", new JsonObject().put("enabled", false)) // never collide with a real node's port
          .put("auth", new JsonObject().put("mode", "none"))
          // every bench connection comes from 127.0.0.1
          .put("limits", new JsonObject().put("maxEndpoints", 1_000_000).put("maxConnectionsPerIp", 1_000_000));
      ServerUsage.Threads threads = new ServerUsage.Threads();
      usage = threads;
      serverVertx = recordingThreads(threads);
      server = await(WsmsgServer.start(serverVertx, ServerConfig.of(conf)), 30_000);
      pubUrls = List.of("ws://127.0.0.1:" + server.port() + "/");
      subUrls = pubUrls;
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
    return new BenchEnv(s, vertx, List.copyOf(lanes), serverVertx, server, dataDir, pubUrls, subUrls,
        Math.max(64, plannedConnections * 2 + 16), usage);
  }

  /**
   * The embedded server's Vert.x instance, whose every thread (event loops, workers, acceptor)
   * is handed to {@code threads} as it is made, so its CPU is told apart from the load
   * generator's in the same JVM. Vert.x's public builder has no thread factory: its bootstrap does.
   */
  private static Vertx recordingThreads(ServerUsage.Threads threads) {
    io.vertx.core.spi.VertxThreadFactory recording = new io.vertx.core.spi.VertxThreadFactory() {
      @Override
      public io.vertx.core.impl.VertxThread newVertxThread(Runnable target, String name, boolean worker, long maxExecTime,
          TimeUnit maxExecTimeUnit) {
        io.vertx.core.impl.VertxThread t = io.vertx.core.spi.VertxThreadFactory.INSTANCE.newVertxThread(target, name, worker,
            maxExecTime, maxExecTimeUnit);
        threads.made(t);
        return t;
      }
    };
    return io.vertx.core.internal.VertxBootstrap.create().options(new VertxOptions()).threadFactory(recording).init().vertx();
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

  /**
   * Returns once every lane has finished what it was running: producers and pingers run on
   * lanes, so after their stop flag is set and this returns, nothing more is sent or counted
   * as sent, and the final counts can be read.
   */
  void quiesce(long millis) throws Exception {
    List<Future<Void>> idle = new ArrayList<>();
    for (Context lane : lanes) {
      Promise<Void> p = Promise.promise();
      lane.runOnContext(v -> p.complete());
      idle.add(p.future());
    }
    await(Future.all(idle), millis);
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

  private static List<Target> targets(List<String> urls) {
    List<Target> out = new ArrayList<>();
    for (String u : urls) out.add(new Target(u.trim()));
    return List.copyOf(out);
  }

  /** The server of the {@code i}-th connection of the producing side (round-robin). */
  Target pub(int i) {
    return pubTargets.get(Math.floorMod(i, pubTargets.size()));
  }

  /** The server of the {@code i}-th connection of the receiving side (round-robin). */
  Target sub(int i) {
    return subTargets.get(Math.floorMod(i, subTargets.size()));
  }

  /** Counts a connection opened to {@code t} for {@code role} (requester, responder, ...). Any thread. */
  void opened(Target t, String role) {
    synchronized (opened) {
      opened.computeIfAbsent(t.url, k -> new LinkedHashMap<>()).computeIfAbsent(role, k -> new AtomicInteger())
          .incrementAndGet();
    }
  }

  /** True when the run loads more than one server (then the summary lists them). */
  boolean severalServers() {
    synchronized (opened) {
      return opened.size() > 1;
    }
  }

  /** Per server, the connections opened to it by role: {"ws://...": {"requester": 16, "control": 1}}. */
  JsonObject openedPerServer() {
    JsonObject j = new JsonObject();
    synchronized (opened) {
      opened.forEach((u, roles) -> {
        JsonObject r = new JsonObject();
        roles.forEach((role, n) -> r.put(role, n.get()));
        j.put(u, r);
      });
    }
    return j;
  }

  ClientOptions clientOptions(Target t, String endpoint, int window) {
    ClientOptions o = new ClientOptions().url(t.url).endpoint(endpoint).window(window)
        .requestTimeout(Duration.ofMillis(s.requestTimeoutMillis))
        .reconnect(false)
        .tls(s.tls);
    if (s.token != null && !s.token.isEmpty()) o.token(s.token);
    return o;
  }

  /** A WsmsgClient on server {@code t} whose event loop is the next lane (connect() takes the caller's context). */
  Future<WsmsgClient> client(Target t, String role, String endpoint, int window) {
    return clientOn(nextLane(), t, role, endpoint, window);
  }

  /** A WsmsgClient on server {@code t} whose handlers and futures run on {@code lane}. */
  Future<WsmsgClient> clientOn(Context lane, Target t, String role, String endpoint, int window) {
    Promise<WsmsgClient> p = Promise.promise();
    lane.runOnContext(v -> WsmsgClient.connect(vertx, clientOptions(t, endpoint, window))
        .onSuccess(c -> opened(t, role))
        .onComplete(p));
    return p.future();
  }

  /**
   * Connects the control client, used to set up and remove subscriptions, to the first
   * server of the receiving side.
   */
  void connectControl() throws Exception {
    control = await(client(sub(0), "control", s.endpoint("control"), 16), 15_000);
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
    // a raw connection's TLS failure is Netty's words: say what is wrong and what to pass
    String tls = t instanceof io.wsmsg.client.WsmsgException ? null : io.wsmsg.client.ClientTls.explain(t, true, "the server");
    if (tls != null) return tls;
    String m = t.getMessage();
    return m == null || m.isEmpty() ? t.getClass().getSimpleName() : m;
  }
}
