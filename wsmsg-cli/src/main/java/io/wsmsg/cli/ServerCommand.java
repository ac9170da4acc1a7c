package io.wsmsg.cli;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.wsmsg.cluster.ClusterSetup;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.server.StartupException;
import io.wsmsg.server.WsmsgServer;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wsmsg server [-c conf.json]}: runs one node until stopped. */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = "Run a wsmsg server (standalone on built-in defaults when no file is given).")
public final class ServerCommand implements Runnable {
  @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "JSON configuration file (see conf/)")
  Path config;

  @Option(names = {"-p", "--port"}, paramLabel = "N",
      description = "WebSocket port, 0 for any free one (overrides port and WSMSG_PORT)")
  Integer port;

  @Option(names = "--management-port", paramLabel = "N",
      description = "Management HTTP port, 0 for any free one (overrides management.port and WSMSG_MANAGEMENT_PORT)")
  Integer managementPort;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Where the snapshot is kept; one server per directory (overrides dataDir and WSMSG_DATA_DIR)")
  Path dataDir;

  @Option(names = "--log-level", paramLabel = "LEVEL",
      description = "error, warn, info, debug or trace (overrides log.level and WSMSG_LOG_LEVEL)")
  String logLevel;

  @Option(names = "--log-format", paramLabel = "FORMAT",
      description = "text or json, one JSON object per line (overrides log.format and WSMSG_LOG_FORMAT)")
  String logFormat;

  @Option(names = "--cluster", description = "Join a cluster (Hazelcast, see cluster.xml) instead of running standalone;"
      + " same as cluster.enabled in the file or WSMSG_CLUSTER=true")
  boolean cluster;

  @Override
  public void run() {
    ServerConfig loaded;
    try {
      loaded = ServerConfig.load(config, System.getenv());
      JsonObject j = loaded.json.copy();
      if (port != null) j.put("port", port);
      if (managementPort != null) j.getJsonObject("management").put("port", managementPort);
      if (dataDir != null) j.put("dataDir", dataDir.toString());
      if (logLevel != null) j.getJsonObject("log").put("level", logLevel);
      if (logFormat != null) j.getJsonObject("log").put("format", logFormat);
      if (cluster) j.getJsonObject("cluster").put("enabled", true);
      loaded = ServerConfig.of(j);
    } catch (Exception e) {
      System.err.println("wsmsg: cannot use the configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    final ServerConfig cfg = loaded;
    Logging.configure(cfg.logLevel, cfg.logFormat);
    Vertx vertx;
    if (cfg.clusterEnabled) {
      System.out.println("wsmsg: joining cluster \"" + cfg.clusterName + "\" on " + cfg.clusterHost + ":" + cfg.clusterPort
          + " (members " + String.join(", ", cfg.clusterMembers) + ")");
      Logging.Held errors = Logging.holdErrors(); // a port taken is one sentence, not three stack traces
      try {
        vertx = ClusterSetup.start(cfg).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        errors.release();
      } catch (Exception e) {
        Throwable c = e.getCause() != null ? e.getCause() : e;
        String why = clusterFailure(c, cfg);
        if (why.startsWith("could not join")) errors.release(); // not explained: the details help
        cannotStart(cfg, why);
        System.exit(1);
        return;
      }
    } else {
      vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(true));
    }
    CountDownLatch done = new CountDownLatch(1);
    WsmsgServer server;
    try {
      server = WsmsgServer.start(vertx, cfg).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable c = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
      cannotStart(cfg, c instanceof StartupException ? c.getMessage() : "the server could not start: " + c.getMessage());
      vertx.close();
      System.exit(1);
      return;
    }
    printBanner(server, cfg);
    // SIGTERM / SIGINT take the same graceful path as the stop command, and exit 0 like it.
    // Vert.x is closed once, by whichever path comes first; both wait for that one close, so
    // a cluster member has left Hazelcast (the others know at once) before the JVM ends.
    java.util.concurrent.atomic.AtomicBoolean signalled = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.function.Supplier<io.vertx.core.Future<Void>> closeOnce = memoized(vertx::close);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (done.getCount() == 0) return; // already stopped through the stop command
      signalled.set(true);
      try {
        server.stop().toCompletionStage().toCompletableFuture()
            .get(cfg.stopGraceMillis + cfg.handoffTimeoutMillis + 15_000, TimeUnit.MILLISECONDS);
        closeOnce.get().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        cannotStart(cfg, "the graceful stop did not complete: " + e.getMessage());
        Runtime.getRuntime().halt(1);
      }
      Runtime.getRuntime().halt(0);
    }, "wsmsg-shutdown"));
    server.stopped().onComplete(ar -> {
      if (signalled.get() || done.getCount() == 0) return; // the shutdown hook finishes the job
      done.countDown();
      closeOnce.get().onComplete(v -> System.exit(ar.succeeded() ? 0 : 1));
    });
  }

  /**
   * Why the server cannot start (or stop), in one sentence on standard error: a log record in
   * the JSON format when that is the format asked for, so a log shipper reads every line.
   */
  private static void cannotStart(ServerConfig cfg, String sentence) {
    if ("json".equals(cfg.logFormat)) {
      java.util.logging.Logger.getLogger(ServerCommand.class.getName()).severe(sentence);
    } else {
      System.err.println("wsmsg: " + sentence);
    }
  }

  /**
   * Why joining the cluster failed, in one sentence: a port Hazelcast or the event bus could
   * not bind names its setting and variable.
   */
  static String clusterFailure(Throwable c, ServerConfig cfg) {
    boolean hazelcast = false;
    for (Throwable t = c; t != null && !hazelcast; t = t.getCause() == t ? null : t.getCause()) {
      hazelcast = t.getClass().getName().startsWith("com.hazelcast");
    }
    StartupException bind = hazelcast
        ? StartupException.bind(c, cfg.clusterHost, cfg.clusterPort, "cluster.port", "WSMSG_CLUSTER_PORT")
        : StartupException.bind(c, cfg.clusterHost, cfg.clusterEventBusPort, "cluster.eventBusPort",
            "WSMSG_CLUSTER_EVENT_BUS_PORT (0 picks a free one)");
    return bind != null ? bind.getMessage() : "could not join the cluster: " + c.getMessage();
  }

  /** The first call runs {@code f}; every call returns its result. */
  private static <T> java.util.function.Supplier<T> memoized(java.util.function.Supplier<T> f) {
    return new java.util.function.Supplier<>() {
      private T value;

      @Override
      public synchronized T get() {
        if (value == null) value = f.get();
        return value;
      }
    };
  }

  private static void printBanner(WsmsgServer server, ServerConfig cfg) {
    String host = "0.0.0.0".equals(cfg.host) || "::".equals(cfg.host) ? "127.0.0.1" : cfg.host;
    String url = (server.tls() ? "wss://" : "ws://") + host + ":" + server.port() + cfg.root;
    StringBuilder b = new StringBuilder();
    b.append("wsmsg is listening on ").append(url).append("<endpoint>\n");
    String murl = null;
    if (server.managementPort() > 0) {
      String mhost = "0.0.0.0".equals(cfg.managementHost) ? "127.0.0.1" : cfg.managementHost;
      murl = (server.managementTls() ? "https://" : "http://") + mhost + ":" + server.managementPort();
      b.append("management: ").append(murl).append("/status  (also /health, /ready, /metrics)\n");
    }
    if (server.tls()) {
      // clients of a private CA must be told it: the banner's commands say how
      String client = cfg.tlsClientCa != null ? " --cert CLIENT.pem --key CLIENT.key" : "";
      b.append("TLS: ").append(server.certificates().current().describe()).append('\n');
      b.append("  try: wsmsg sub --url ").append(url).append(" --ca CA.pem").append(client).append(" 'demo'\n");
      if (murl != null && server.managementTls()) {
        b.append("       wsmsg status --management-url ").append(murl).append(" --ca CA.pem\n");
      }
      b.append("  (CA.pem: the CA that signed ").append(cfg.tlsCert).append("; --insecure skips the check, development only)\n");
    }
    if (server.membership().clustered()) {
      int n = server.membership().members().size();
      b.append("cluster \"").append(cfg.clusterName).append("\": this member is ").append(server.membership().self())
          .append(", ").append(n).append(n == 1 ? " member" : " members").append(" so far\n");
    }
    if ("none".equals(cfg.authMode)) {
      b.append("auth: none (no token needed). Try: ").append(url).append("demo\n");
    } else if (server.devToken() != null) {
      b.append("auth: no JWT key is configured, so a secret was generated for this run.\n");
      b.append("An admin token valid for ").append(cfg.devTokenTtlSeconds / 3600).append(" h:\n\n  ")
          .append(server.devToken()).append("\n\n");
      b.append("Connect with the header  Authorization: Bearer <token>\n");
      b.append("or, from a browser,      ").append(url).append("demo?access_token=<token>\n");
      b.append("Set auth.hs256Secret (or WSMSG_JWT_SECRET) to keep tokens valid across restarts.\n");
    } else {
      b.append("auth: JWT (send Authorization: Bearer <token>)\n");
    }
    b.append(managementHint(server, cfg));
    System.out.print(b);
    System.out.flush();
  }

  /** One line: what the management port asks for (docs/operations.md, "Management port"). */
  static String managementHint(WsmsgServer server, ServerConfig cfg) {
    if (server.managementPort() <= 0) return "";
    String metrics = cfg.openMetrics ? "/status needs" : "/status and /metrics need";
    if ("none".equals(cfg.authMode)) {
      return "management: " + metrics + " auth.defaultPermissions.admin in auth mode none"
          + (cfg.scrapeToken != null ? " (or the scrape token)" : "") + "; /health and /ready are open\n";
    }
    return "management: " + metrics + " Authorization: Bearer <admin token> (wsmsg token --sub NAME --admin)"
        + (cfg.scrapeToken != null ? " or the scrape token" : "") + "; /health and /ready are open\n";
  }
}
