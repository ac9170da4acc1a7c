package io.wsmsg.cli.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.server.WsmsgServer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.HdrHistogram.Histogram;

/**
 * Runs one scenario: set up, warm up, measure for the duration with a sample every second,
 * stop producing, wait for what is still in flight, tear down, and print the summary.
 * Counts (sent, received, lost) cover the whole run, warmup included; throughput (the
 * median of the per-second receive rates) and latency cover only the measured seconds
 * (plus the receipts of the final drain, for latency).
 */
public final class BenchRunner {
  /** Held so the level sticks (JUL keeps loggers weakly). */
  private static final Logger SERVER_LOG = Logger.getLogger(WsmsgServer.class.getName());
  /** Vert.x warns "Connection evicted" for every refused upgrade: the summary counts them instead. */
  private static final Logger EVICTED_LOG = Logger.getLogger("io.vertx.core.http.impl.HttpClientConnection");

  private BenchRunner() {}

  /** Runs and prints; returns the exit code (0 done, 1 the run failed, 2 bad settings). */
  public static int run(BenchSettings s, PrintWriter out, PrintWriter err) {
    String bad = validate(s);
    if (bad != null) {
      err.println("wsmsg bench: " + bad);
      err.flush();
      return 2;
    }
    Scenario sc = switch (s.scenario) {
      case "rpc" -> new RpcScenario(s);
      case "fanout" -> new FanoutScenario(s);
      case "queue" -> new QueueScenario(s);
      case "conns" -> new ConnsScenario(s);
      default -> throw new IllegalArgumentException(s.scenario);
    };
    Progress progress = Progress.of(s.progress, err);
    if (s.embedded) SERVER_LOG.setLevel(Level.SEVERE); // the auth-none warning is expected here
    EVICTED_LOG.setLevel(Level.SEVERE);
    BenchEnv env = null;
    Result summary;
    try {
      env = BenchEnv.open(s, sc.plannedConnections());
      sc.env = env;
      sc.ticker = progress::setup;
      progress.setup(env.severalServers() ? "connecting to " + env.openedPerServer().size() + " servers ..."
          : "connecting to " + env.url + " ...");
      if (env.usage != null) {
        try {
          env.usage.read(); // a wrong token or a URL that is not a management port shows before any load
        } catch (Exception e) {
          throw new IllegalStateException("the server's CPU cannot be read from " + env.usage.source() + ": "
              + BenchEnv.describe(e), e);
        }
      }
      if (!(sc instanceof ConnsScenario)) env.connectControl();
      sc.setup();
      summary = measure(s, sc, env, progress);
    } catch (Exception e) {
      progress.clear();
      err.println("wsmsg bench " + s.scenario + ": " + BenchEnv.describe(e));
      err.flush();
      if (env != null) {
        sc.teardown();
        env.close();
      }
      return 1;
    }
    progress.setup("closing connections ...");
    sc.teardown();
    env.close();
    progress.clear();
    if (s.json) out.println(summary.json().encode());
    else out.print(text(s, summary.json(), summary.extraText()));
    out.flush();
    return 0;
  }

  static String validate(BenchSettings s) {
    if (s.connections < 1 || s.connections > 100_000) return "--connections must be 1..100000";
    if (s.responders < 1 || s.responders > 10_000) return "--responders must be 1..10000";
    if (s.publishers < 1 || s.publishers > 10_000) return "--publishers must be 1..10000";
    if (s.payload < Frames.MIN_PAYLOAD || s.payload > 1_000_000) {
      return "--payload must be " + Frames.MIN_PAYLOAD + "..1000000 bytes (the first 12 carry the send time and sender)";
    }
    if (s.window < 1 || s.window > 65_536) return "--window must be 1..65536 (the server caps it at delivery.maxWindow)";
    if (s.inflight < 0 || s.inflight > 10_000_000) return "--inflight must be 0 (default) ..10000000";
    if (s.durationMillis < 100 || s.durationMillis > 86_400_000L) return "--duration must be 100ms..24h";
    if (s.warmupMillis < 0 || s.warmupMillis > 3_600_000L) return "--warmup must be 0..1h";
    if (s.rate < 0) return "--rate must be 0 (unpaced) or more";
    if (s.count < 0) return "--count must be 0 (no limit) or more";
    if (s.drainMillis < 0 || s.drainMillis > 600_000) return "--drain must be 0..10m";
    if (s.pingIntervalMillis < 10) return "--ping-interval must be at least 10ms";
    if (s.requestTimeoutMillis < 100) return "--request-timeout must be at least 100ms";
    if (s.eventLoops < 0 || s.eventLoops > 256) return "--event-loops must be 0 (2 x CPUs) ..256";
    String d = s.driverOrDefault();
    if (!"raw".equals(d) && !"client".equals(d)) return "--driver must be raw or client";
    if ("conns".equals(s.scenario) && "client".equals(d)) return "conns uses raw connections only";
    if (s.urls == null || s.urls.isEmpty()) return "--url needs at least one server";
    for (List<String> us : java.util.Arrays.asList(s.urls, s.pubUrls, s.subUrls)) {
      if (us == null) continue;
      for (String u : us) {
        String why = BenchEnv.Target.problem(u);
        if (why != null) return "bad server URL: " + why;
      }
    }
    boolean sides = s.pubUrls != null && !s.pubUrls.isEmpty() || s.subUrls != null && !s.subUrls.isEmpty();
    if (sides && s.embedded) return "--embedded starts one server in-process: --pub-url and --sub-url need running servers";
    if (sides && "conns".equals(s.scenario)) return "conns has no sides: spread its connections with --url URL,URL,...";
    int sources = (s.embedded ? 1 : 0) + (s.serverPid != 0 ? 1 : 0) + (s.managementUrl != null ? 1 : 0);
    if (sources > 1) {
      return "read the server's CPU from one place: --embedded (its threads here), --server-pid or --management-url";
    }
    if (s.serverPid != 0) {
      String why = ServerUsage.Proc.problem(s.serverPid);
      if (why != null) return why;
    }
    if (s.managementUrl != null) {
      String why = ServerUsage.Management.problem(s.managementUrl);
      if (why != null) return why;
    }
    if (s.endpointPrefix == null || s.endpointPrefix.isEmpty() || s.endpointPrefix.length() > 200
        || !s.endpointPrefix.chars().allMatch(c -> c > ' ' && c != '/' && c != '?' && c != '#' && c < 127)) {
      return "--endpoint-prefix must be 1..200 printable ASCII characters without spaces, '/', '?' or '#'";
    }
    return null;
  }

  /** The summary, and the scenario's own lines for the text form. */
  record Result(JsonObject json, String extraText) {}

  private static Result measure(BenchSettings s, Scenario sc, BenchEnv env, Progress progress) throws Exception {
    Stats st = sc.stats;
    Histogram total = new Histogram(3);
    Histogram interval = null;
    List<Double> rates = new ArrayList<>();
    long t0 = System.nanoTime();
    long warmEnd = t0 + s.warmupMillis * 1_000_000;
    long end = warmEnd + s.durationMillis * 1_000_000;
    // the server's CPU over exactly the measured seconds: read at the tick that ends the warmup and at the last one
    ServerUsage.Reading cpuBefore = null;
    long opsBefore = 0;
    long cpuFrom = 0;
    String usageError = null;
    if (env.usage != null && s.warmupMillis == 0) {
      try {
        cpuBefore = env.usage.read();
        opsBefore = sc.received();
        cpuFrom = System.nanoTime();
      } catch (Exception e) {
        usageError = BenchEnv.describe(e);
      }
    }
    sc.start();
    long lastT = t0;
    long lastRecv = sc.received();
    boolean early = false;
    while (lastT < end) {
      // ticks every second from the start, and one exactly at the end of the warmup
      long next = lastT < warmEnd ? Math.min(warmEnd, t0 + ((lastT - t0) / 1_000_000_000L + 1) * 1_000_000_000L)
          : Math.min(end, warmEnd + ((lastT - warmEnd) / 1_000_000_000L + 1) * 1_000_000_000L);
      sleepUntil(next);
      long now = System.nanoTime();
      long expectedNow = sc.expected(); // read before the receipts, so in flight never looks larger than it is
      long recv = sc.received();
      double secs = (now - lastT) / 1e9;
      double rate = secs > 0 ? (recv - lastRecv) / secs : 0;
      if (env.usage != null && cpuBefore == null && usageError == null && now >= warmEnd) {
        try {
          cpuBefore = env.usage.read();
          opsBefore = recv;
          cpuFrom = now;
        } catch (Exception e) {
          usageError = BenchEnv.describe(e);
        }
      }
      interval = st.latency.getIntervalHistogram(interval);
      boolean measured = lastT >= warmEnd;
      if (measured) {
        total.add(interval);
        if (secs >= 0.5) rates.add(rate);
      }
      progress.tick(String.format(Locale.ROOT, "%5.1f/%.1f s %-7s sent %,d  recv %,d  %,.0f %s  p50 %s  p99 %s  in flight %,d%s",
          (now - t0) / 1e9, (end - t0) / 1e9, measured ? "measure" : "warmup", st.sent.sum(), recv, rate, sc.unit(),
          us(interval, 50), us(interval, 99), Math.max(0, expectedNow - recv - st.timeouts.sum()),
          sc.progress().isEmpty() ? "" : "  " + sc.progress()));
      lastT = now;
      lastRecv = recv;
      if (sc.finished()) {
        early = true;
        break;
      }
    }
    long measuredNanos = Math.max(0, lastT - warmEnd);
    JsonObject serverCpu = null;
    ServerUsage.Reading cpuAfter = null;
    if (env.usage != null) {
      if (cpuBefore != null) {
        try {
          cpuAfter = env.usage.read();
          serverCpu = ServerUsage.window(env.usage, cpuBefore, cpuAfter, lastRecv - opsBefore, sc.operation(), lastT - cpuFrom);
        } catch (Exception e) {
          usageError = BenchEnv.describe(e);
        }
      }
      if (serverCpu == null) {
        serverCpu = new JsonObject().put("source", env.usage.source()).put("error",
            usageError != null ? usageError : "the run ended before the warmup did: nothing was measured");
      }
    }
    sc.stopProducing();
    env.quiesce(30_000); // a send under way when the flag was set is counted before the totals are read
    long drainStart = System.nanoTime();
    long drainEnd = drainStart + s.drainMillis * 1_000_000;
    while (!sc.settled() && System.nanoTime() < drainEnd) Thread.sleep(10);
    long drainMillis = (System.nanoTime() - drainStart) / 1_000_000;
    interval = st.latency.getIntervalHistogram(interval);
    if (lastT >= warmEnd) total.add(interval); // receipts of the drain: their latency counts

    long expected = sc.expected();
    long received = sc.received();
    long lost = expected - received;
    double[] lat = Stats.micros(total);
    JsonObject j = new JsonObject()
        .put("scenario", s.scenario)
        .put("shape", sc.shape())
        .put("url", env.url)
        .put("embedded", env.embedded())
        .put("driver", s.driverOrDefault())
        .put("cpus", Runtime.getRuntime().availableProcessors())
        .put("eventLoops", env.lanes.size())
        .put("connections", s.connections)
        .put("payloadBytes", s.payload)
        .put("window", s.window)
        .put("inflight", s.inflightOrDefault())
        .put("rate", s.rate)
        .put("warmupSeconds", s.warmupMillis / 1000.0)
        .put("measuredSeconds", round(measuredNanos / 1e9))
        .put("stoppedEarly", early)
        .put("drainMillis", drainMillis)
        .put("sent", st.sent.sum())
        .put("expected", expected)
        .put("received", received)
        .put("lost", lost)
        .put("lostPercent", expected == 0 ? 0.0 : round(100.0 * lost / expected))
        .put("errors", st.errors.sum())
        .put("foreign", st.foreign.sum())
        .put("throughput", new JsonObject()
            .put("unit", sc.unit())
            .put("median", Math.round(Stats.median(rates)))
            .put("min", Math.round(rates.stream().mapToDouble(x -> x).min().orElse(0)))
            .put("max", Math.round(rates.stream().mapToDouble(x -> x).max().orElse(0)))
            .put("perSecond", new JsonArray(rates.stream().map(x -> (Object) Math.round(x)).toList())))
        .put("latencyMicros", new JsonObject()
            .put("count", total.getTotalCount())
            .put("p50", round(lat[0])).put("p90", round(lat[1])).put("p99", round(lat[2]))
            .put("p999", round(lat[3])).put("max", round(lat[4])).put("mean", round(lat[5])));
    JsonArray errs = new JsonArray();
    for (String e : st.errorSamples()) errs.add(e);
    if (!errs.isEmpty()) j.put("errorSamples", errs);
    if (env.severalServers()) j.put("servers", env.openedPerServer());
    if (serverCpu != null) j.put("serverCpu", serverCpu);
    sc.extra(j);
    if (sc.rssBefore >= 0 && cpuAfter != null && cpuAfter.rssBytes() >= 0) {
      int held = j.getInteger("connections");
      JsonObject m = new JsonObject().put("rssBeforeBytes", sc.rssBefore).put("rssAfterBytes", cpuAfter.rssBytes());
      JsonObject conns = j.getJsonObject("conns");
      if (conns != null) held = conns.getInteger("open") - conns.getInteger("closedWhileHeld");
      m.put("connections", held);
      if (held > 0) m.put("bytesPerConnection", Math.round((cpuAfter.rssBytes() - sc.rssBefore) / (double) held));
      j.put("serverMemory", m);
    }
    StringBuilder extra = new StringBuilder();
    sc.extraText(extra);
    return new Result(j, extra.toString());
  }

  static String text(BenchSettings s, JsonObject j, String extra) {
    StringBuilder b = new StringBuilder();
    JsonObject t = j.getJsonObject("throughput");
    JsonObject l = j.getJsonObject("latencyMicros");
    b.append(String.format(Locale.ROOT, "wsmsg bench %s: %s%n", j.getString("scenario"), j.getString("shape")));
    JsonObject servers = j.getJsonObject("servers");
    if (servers == null) {
      b.append(String.format(Locale.ROOT, "  target      %s%s%n", j.getString("url"), j.getBoolean("embedded")
          ? " (embedded: client and server share this JVM and its " + j.getInteger("cpus") + " CPUs)"
          : loopback(j.getString("url")) ? " (same host: client and server share its " + j.getInteger("cpus") + " CPUs)" : ""));
    } else {
      String first = "  targets     ";
      boolean allLoopback = true;
      for (String u : servers.fieldNames()) {
        allLoopback &= loopback(u);
        JsonObject roles = servers.getJsonObject(u);
        List<String> parts = new ArrayList<>();
        for (String role : roles.fieldNames()) parts.add(roles.getInteger(role) + " " + role + (roles.getInteger(role) == 1 ? "" : "s"));
        b.append(String.format(Locale.ROOT, "%s%s  %s%n", first, u, parts.isEmpty() ? "no connections" : String.join(", ", parts)));
        first = "              ";
      }
      if (allLoopback) {
        b.append(String.format(Locale.ROOT, "              (same host: client and servers share its %d CPUs)%n", j.getInteger("cpus")));
      }
    }
    if ("conns".equals(s.scenario)) {
      b.append(String.format(Locale.ROOT, "  settings    driver %s on %d event loops, payload %d B, window %d, ping every %d ms%n",
          j.getString("driver"), j.getInteger("eventLoops"), j.getInteger("payloadBytes"), j.getInteger("window"),
          s.pingIntervalMillis));
    } else {
      b.append(String.format(Locale.ROOT, "  settings    driver %s on %d event loops, payload %d B, window %d, inflight %d per producer, rate %s%n",
          j.getString("driver"), j.getInteger("eventLoops"), j.getInteger("payloadBytes"), j.getInteger("window"),
          j.getInteger("inflight"), s.rate > 0 ? String.format(Locale.ROOT, "%,.0f/s", s.rate) : "unpaced"));
    }
    b.append(String.format(Locale.ROOT, "  time        warmup %.1f s, measured %.1f s%s, drain %d ms%n",
        j.getDouble("warmupSeconds"), j.getDouble("measuredSeconds"),
        j.getBoolean("stoppedEarly") ? " (stopped early: --count reached)" : "", j.getLong("drainMillis")));
    b.append(String.format(Locale.ROOT, "  sent        %,d%s%n", j.getLong("sent"),
        j.getLong("expected").equals(j.getLong("sent")) ? "" : String.format(Locale.ROOT, " (%,d deliveries expected)", j.getLong("expected"))));
    b.append(String.format(Locale.ROOT, "  received    %,d%n", j.getLong("received")));
    b.append(String.format(Locale.ROOT, "  lost        %,d (%.3f %%)%s%n", j.getLong("lost"), j.getDouble("lostPercent"),
        j.getLong("errors") > 0 ? String.format(Locale.ROOT, "; %,d errors from the server", j.getLong("errors")) : ""));
    b.append(String.format(Locale.ROOT, "  throughput  %,d %s median of %d one-second samples (min %,d, max %,d)%n",
        t.getLong("median"), t.getString("unit"), t.getJsonArray("perSecond").size(), t.getLong("min"), t.getLong("max")));
    b.append(String.format(Locale.ROOT, "  latency µs  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (%,d samples)%n",
        num(l.getDouble("p50")), num(l.getDouble("p90")), num(l.getDouble("p99")), num(l.getDouble("p999")),
        num(l.getDouble("max")), l.getLong("count")));
    JsonObject cpu = j.getJsonObject("serverCpu");
    if (cpu != null) cpuText(b, cpu);
    if ("conns".equals(j.getString("scenario")) && j.getBoolean("embedded")) {
      b.append("  server RSS  not measured with --embedded: the load generator's connections share the process;"
          + " give --server-pid or --management-url\n");
    }
    JsonObject mem = j.getJsonObject("serverMemory");
    if (mem != null && mem.getLong("bytesPerConnection") != null) {
      b.append(String.format(Locale.ROOT, "  server RSS  %+.1f KiB per connection (%.1f MiB before, %.1f MiB with %,d connections open)%n",
          mem.getLong("bytesPerConnection") / 1024.0, mem.getLong("rssBeforeBytes") / 1048576.0,
          mem.getLong("rssAfterBytes") / 1048576.0, mem.getInteger("connections")));
    }
    b.append(extra);
    JsonArray errs = j.getJsonArray("errorSamples");
    if (errs != null) for (Object e : errs) b.append("  error       ").append(e).append('\n');
    b.append("  (counts include the warmup; throughput and latency cover the measured seconds)\n");
    return b.toString();
  }

  private static void cpuText(StringBuilder b, JsonObject cpu) {
    if (cpu.getString("error") != null) {
      b.append(String.format(Locale.ROOT, "  server CPU  not measured: %s%n", cpu.getString("error")));
      return;
    }
    Double per = cpu.getDouble("microsPerOperation");
    String op = cpu.getString("operation");
    b.append(String.format(Locale.ROOT, "  server CPU  %s per %s over the %,d %s of the measured seconds, %.2f cores busy%n",
        per == null ? "-" : num(per) + " µs", op, cpu.getLong("operations"), op.endsWith("y") ? op.substring(0, op.length() - 1)
            + "ies" : op + "s", cpu.getDouble("coresBusy")));
    JsonArray loops = cpu.getJsonArray("eventLoops");
    if (loops != null && !loops.isEmpty()) {
      List<String> parts = new ArrayList<>();
      for (Object o : loops) {
        JsonObject l = (JsonObject) o;
        String name = l.getString("thread").replace(io.wsmsg.metrics.ProcessUsage.EVENT_LOOP_PREFIX, "loop ")
            .replace("vert.x-eventloop ", "");
        parts.add(String.format(Locale.ROOT, "%s %.1f %%", name, l.getDouble("percent")));
      }
      b.append(String.format(Locale.ROOT, "  event loops %.1f %% of it, split %s%n",
          cpu.getDouble("eventLoopsPercentOfServer", 0.0), String.join(", ", parts)));
    }
    b.append(String.format(Locale.ROOT, "              (read from %s)%n", cpu.getString("source")));
  }

  private static boolean loopback(String url) {
    String h = java.net.URI.create(url).getHost();
    return h != null && (h.equals("localhost") || h.startsWith("127.") || h.equals("[::1]") || h.equals("::1"));
  }

  private static String num(double v) {
    return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String us(Histogram h, double pct) {
    if (h == null || h.getTotalCount() == 0) return "-";
    return num(h.getValueAtPercentile(pct) / 1000.0) + " µs";
  }

  static double round(double x) {
    return Math.round(x * 1000) / 1000.0;
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    while (true) {
      long left = nanoTime - System.nanoTime();
      if (left <= 0) return;
      Thread.sleep(Math.max(1, Math.min(left / 1_000_000, 100)));
      if (nanoTime - System.nanoTime() < 1_000_000) {
        while (System.nanoTime() < nanoTime) Thread.onSpinWait();
        return;
      }
    }
  }
}
