package io.wsmsg.cli.bench;

import io.vertx.core.json.JsonObject;
import io.wsmsg.metrics.ProcessUsage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the bench reads what the server has spent: its CPU time (in all, and per event-loop
 * thread) and its resident memory. The runner reads it at the start and at the end of the
 * measured window and divides the difference by the operations done in between.
 */
abstract class ServerUsage {
  /** One reading: CPU nanoseconds so far; RSS bytes or -1; CPU nanoseconds per event-loop thread. */
  record Reading(long cpuNanos, long rssBytes, Map<String, Long> eventLoops) {}

  /** Says where the figures come from and what they include, for the summary. */
  abstract String source();

  abstract Reading read() throws Exception;

  /** Whether {@link Reading#rssBytes()} means the server's memory alone. */
  boolean rssIsServerOnly() {
    return true;
  }

  // ---- --embedded: the server's own Vert.x threads in this JVM ----

  /**
   * The threads the embedded server's Vert.x instance made (event loops, workers, acceptor),
   * measured one by one: the load generator shares the JVM, so the process's CPU would count
   * it too. GC and JIT threads serve both and are left out.
   */
  static final class Threads extends ServerUsage {
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final ThreadMXBean mx = ManagementFactory.getThreadMXBean();

    /** Called by the server Vert.x instance's thread factory for every thread it makes. */
    void made(Thread t) {
      threads.add(t);
    }

    @Override
    String source() {
      return "embedded server's Vert.x threads (event loops, workers, acceptor; not GC or JIT), per-thread CPU";
    }

    @Override
    Reading read() {
      if (!mx.isThreadCpuTimeSupported()) throw new IllegalStateException("this JVM does not measure CPU time per thread");
      if (!mx.isThreadCpuTimeEnabled()) mx.setThreadCpuTimeEnabled(true);
      long all = 0;
      List<Map.Entry<String, Long>> loops = new ArrayList<>();
      for (Thread t : threads) {
        long cpu = mx.getThreadCpuTime(t.getId());
        if (cpu < 0) continue; // ended
        all += cpu;
        if (t.getName().startsWith(ProcessUsage.EVENT_LOOP_PREFIX)) loops.add(Map.entry(t.getName(), cpu));
      }
      return new Reading(all, -1, sorted(loops));
    }

    @Override
    boolean rssIsServerOnly() {
      return false;
    }
  }

  // ---- --server-pid: /proc of a process on this machine ----

  static final class Proc extends ServerUsage {
    /** Linux truncates a thread's name to 15 characters: vert.x-eventloop-thread-N shows as this. */
    static final String EVENT_LOOP_COMM = "vert.x-eventloo";
    private final long pid;
    private final Path dir;
    private final long hz;

    Proc(long pid) {
      this.pid = pid;
      this.dir = Path.of("/proc", Long.toString(pid));
      this.hz = clockTicks();
    }

    /** Why {@code pid} cannot be read, or null when it can. */
    static String problem(long pid) {
      if (pid <= 0) return "--server-pid " + pid + " is not a process id (give the server's pid, e.g. from pgrep -f 'wsmsg.jar server')";
      if (!Files.isDirectory(Path.of("/proc/self"))) {
        return "--server-pid reads /proc, which this system does not have (Linux only); use --management-url instead";
      }
      Path stat = Path.of("/proc", Long.toString(pid), "stat");
      if (!Files.exists(stat)) return "--server-pid " + pid + ": no process " + pid + " on this machine (" + stat + " does not exist)";
      if (!Files.isReadable(stat) || !Files.isReadable(stat.resolveSibling("status"))) {
        return "--server-pid " + pid + ": " + stat.getParent() + " is not readable by this user";
      }
      return null;
    }

    @Override
    String source() {
      return "pid " + pid + " (/proc: the whole process, GC and JIT included; event loops by thread id)";
    }

    @Override
    Reading read() throws IOException {
      long cpu;
      try {
        cpu = ticks(Files.readString(dir.resolve("stat"))) * 1_000_000_000L / hz;
      } catch (NoSuchFileException e) {
        throw new IllegalStateException("the server process " + pid + " is gone (" + dir + " disappeared)");
      }
      long rss = ProcessUsage.vmRss(Files.readAllLines(dir.resolve("status")));
      List<Map.Entry<String, Long>> loops = new ArrayList<>();
      try (var tasks = Files.list(dir.resolve("task"))) {
        for (Path task : (Iterable<Path>) tasks::iterator) {
          String stat;
          try {
            stat = Files.readString(task.resolve("stat"));
          } catch (IOException e) {
            continue; // the thread ended
          }
          String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          if (comm.startsWith(EVENT_LOOP_COMM)) {
            loops.add(Map.entry("vert.x-eventloop tid " + task.getFileName(), ticks(stat) * 1_000_000_000L / hz));
          }
        }
      }
      return new Reading(cpu, rss, sorted(loops));
    }

    /** utime + stime of a /proc/PID/stat or /proc/PID/task/TID/stat line, in clock ticks. */
    static long ticks(String stat) {
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of proc(5); f[0] is field 3
    }

    /** The kernel's clock ticks per second (getconf CLK_TCK), 100 when it cannot be asked. */
    private static long clockTicks() {
      try {
        Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        if (p.waitFor() == 0) return Long.parseLong(out);
      } catch (IOException | NumberFormatException e) {
        // the usual value
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 100;
    }
  }

  // ---- --management-url: GET /v1/process on the server's management port ----

  static final class Management extends ServerUsage {
    private final URI uri;
    private final String token;
    private final HttpClient http;

    Management(String base, String token, io.wsmsg.client.ClientTls tls) {
      String b = base.trim();
      while (b.endsWith("/")) b = b.substring(0, b.length() - 1);
      this.uri = URI.create(b + "/v1/process");
      this.token = token;
      HttpClient.Builder hb = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
      if ("https".equals(uri.getScheme())) hb.sslContext(tls.sslContext());
      this.http = hb.build();
    }

    /** Why {@code url} cannot be a management URL, or null when it can. */
    static String problem(String url) {
      String u = url.trim();
      if (!u.startsWith("http://") && !u.startsWith("https://")) {
        return "--management-url must be http://host:port or https://host:port (the server's management port, not its"
            + " WebSocket URL), not '" + url + "'";
      }
      try {
        URI x = URI.create(u);
        if (x.getHost() == null) return "--management-url '" + url + "' names no host";
      } catch (IllegalArgumentException e) {
        return "--management-url '" + url + "' is not a URL: " + e.getMessage();
      }
      return null;
    }

    @Override
    String source() {
      return uri + " (the whole server process, GC and JIT included)";
    }

    @Override
    Reading read() throws Exception {
      HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET();
      if (token != null && !token.isBlank()) req.header("Authorization", "Bearer " + token.trim());
      HttpResponse<String> resp;
      try {
        resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (java.net.ConnectException e) {
        throw new IllegalStateException("cannot connect to the management port at " + uri + " (connection refused)");
      }
      JsonObject body;
      try {
        body = new JsonObject(resp.body());
      } catch (RuntimeException e) {
        throw new IllegalStateException(uri + " answered " + resp.statusCode() + " with something that is not JSON: is it a"
            + " wsmsg management port?");
      }
      if (resp.statusCode() == 404) {
        throw new IllegalStateException(uri + " answered 404: the server is older than /v1/process; use --server-pid");
      }
      if (resp.statusCode() != 200) {
        throw new IllegalStateException(uri + " answered " + resp.statusCode() + ": " + body.getString("error")
            + (resp.statusCode() == 401 || resp.statusCode() == 403 ? " (give an admin token with --admin-token)" : ""));
      }
      JsonObject p = body.getJsonObject("process");
      List<Map.Entry<String, Long>> loops = new ArrayList<>();
      for (Object o : p.getJsonArray("eventLoops")) {
        JsonObject t = (JsonObject) o;
        loops.add(Map.entry(t.getString("thread"), t.getLong("cpuNanos")));
      }
      return new Reading(p.getLong("cpuNanos"), p.getLong("rssBytes", -1L), sorted(loops));
    }
  }

  private static Map<String, Long> sorted(List<Map.Entry<String, Long>> loops) {
    loops.sort(Comparator.comparingInt((Map.Entry<String, Long> e) -> e.getKey().length()).thenComparing(Map.Entry::getKey));
    Map<String, Long> out = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : loops) out.put(e.getKey(), e.getValue());
    return out;
  }

  /**
   * What the server spent between two readings, per operation: {@code operations} done in
   * {@code wallNanos}. The event-loop split is each loop's share of what all event loops spent
   * (summing to 100); loops that did not run in the window are left out.
   */
  static JsonObject window(ServerUsage u, Reading before, Reading after, long operations, String operation, long wallNanos) {
    long cpu = after.cpuNanos() - before.cpuNanos();
    JsonObject j = new JsonObject().put("source", u.source())
        .put("operation", operation)
        .put("operations", operations)
        .put("cpuMicros", Math.round(cpu / 1e3))
        .put("coresBusy", BenchRunner.round(wallNanos > 0 ? (double) cpu / wallNanos : 0));
    if (operations > 0) j.put("microsPerOperation", BenchRunner.round(cpu / 1e3 / operations));
    long loopsTotal = 0;
    Map<String, Long> spent = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : after.eventLoops().entrySet()) {
      long d = e.getValue() - before.eventLoops().getOrDefault(e.getKey(), 0L);
      if (d <= 0) continue;
      spent.put(e.getKey(), d);
      loopsTotal += d;
    }
    io.vertx.core.json.JsonArray loops = new io.vertx.core.json.JsonArray();
    for (Map.Entry<String, Long> e : spent.entrySet()) {
      loops.add(new JsonObject().put("thread", e.getKey()).put("cpuMicros", Math.round(e.getValue() / 1e3))
          .put("percent", BenchRunner.round(100.0 * e.getValue() / loopsTotal)));
    }
    j.put("eventLoops", loops);
    if (cpu > 0) j.put("eventLoopsPercentOfServer", BenchRunner.round(Math.min(100.0, 100.0 * loopsTotal / cpu)));
    return j;
  }
}
