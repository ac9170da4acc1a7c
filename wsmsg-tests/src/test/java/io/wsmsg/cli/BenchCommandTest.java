package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.cli.bench.BenchSettings;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Each scenario of {@code wsmsg bench} runs for about a second with small numbers, in-process,
 * and its summary must be sane. Never asserts speed: the machine is shared.
 */
class BenchCommandTest extends ServerTestBase {
  private static final String[] SHORT = {"--duration", "1s", "--warmup", "500ms", "--drain", "3s", "--progress", "none"};

  record Run(int code, String out, String err) {
    JsonObject json() {
      String line = out.strip();
      assertThat(line).as("stdout holds one JSON object; stderr: %s", err).startsWith("{").endsWith("}");
      assertThat(line.lines().count()).isEqualTo(1);
      return new JsonObject(line);
    }
  }

  static Run bench(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of(SHORT));
    int code = new CommandLine(new BenchCommand())
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute(all.toArray(new String[0]));
    return new Run(code, out.toString(), err.toString());
  }

  static void assertSane(JsonObject j, boolean noLoss) {
    assertThat(j.getLong("received")).isPositive();
    assertThat(j.getLong("sent")).isPositive();
    assertThat(j.getLong("lost")).isEqualTo(j.getLong("expected") - j.getLong("received"));
    if (noLoss) {
      assertThat(j.getLong("lost")).as("lost, with flow control on every hop").isZero();
      assertThat(j.getLong("errors")).isZero();
    }
    JsonObject l = j.getJsonObject("latencyMicros");
    assertThat(l.getLong("count")).isPositive();
    assertThat(l.getDouble("p50")).isPositive();
    assertThat(l.getDouble("p50")).isLessThanOrEqualTo(l.getDouble("p90"));
    assertThat(l.getDouble("p90")).isLessThanOrEqualTo(l.getDouble("p99"));
    assertThat(l.getDouble("p99")).isLessThanOrEqualTo(l.getDouble("p999"));
    assertThat(l.getDouble("p999")).isLessThanOrEqualTo(l.getDouble("max"));
    JsonObject t = j.getJsonObject("throughput");
    assertThat(t.getLong("median")).isPositive();
    assertThat(t.getLong("min")).isLessThanOrEqualTo(t.getLong("median"));
    assertThat(t.getLong("median")).isLessThanOrEqualTo(t.getLong("max"));
    assertThat(t.getJsonArray("perSecond")).isNotEmpty();
  }

  @Test
  void rpcWithTheClientLibraryAgainstATestServerWithAToken() {
    try (TestServer server = startServer()) {
      Run r = bench("rpc", "--url", "ws://127.0.0.1:" + server.port() + "/", "--token", server.adminToken(),
          "-n", "2", "--responders", "2", "--inflight", "2", "--window", "2", "--json");
      assertThat(r.code()).as(r.err()).isZero();
      JsonObject j = r.json();
      assertSane(j, true);
      assertThat(j.getString("scenario")).isEqualTo("rpc");
      assertThat(j.getString("driver")).isEqualTo("client");
      assertThat(j.getBoolean("embedded")).isFalse();
      assertThat(j.getLong("timeouts")).isZero();
      assertThat(j.getLong("handledByResponders")).isGreaterThanOrEqualTo(j.getLong("received"));
    }
  }

  @Test
  void rpcWithRawFramesEmbedded() {
    Run r = bench("rpc", "--embedded", "--driver", "raw", "-n", "2", "--inflight", "4", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject j = r.json();
    assertSane(j, true);
    assertThat(j.getBoolean("embedded")).isTrue();
    assertThat(j.getString("driver")).isEqualTo("raw");
  }

  @Test
  void fanoutDeliversEveryMessageToEverySubscriber() {
    Run r = bench("fanout", "--embedded", "-n", "3", "--window", "8", "--inflight", "200", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject j = r.json();
    assertSane(j, true);
    assertThat(j.getLong("expected")).isEqualTo(3 * j.getLong("sent"));
    assertThat(j.getLong("perSubscriberMin")).isEqualTo(j.getLong("perSubscriberMax"));
    assertThat(j.getLong("perSubscriberMin")).isEqualTo(j.getLong("sent"));
  }

  @Test
  void fanoutWithTheClientLibraryAtAFixedRate() {
    Run r = bench("fanout", "--embedded", "--driver", "client", "-n", "2", "--rate", "500", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject j = r.json();
    assertSane(j, true);
    // paced at 500/s for 1.5 s: far fewer than unpaced, never more than the pace allows (+1 per tick)
    assertThat(j.getLong("sent")).isBetween(100L, 900L);
  }

  @Test
  void queueSharesTheWorkBetweenConsumers() {
    Run r = bench("queue", "--embedded", "-n", "3", "--publishers", "2", "--window", "4", "--inflight", "100", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject j = r.json();
    assertSane(j, true);
    JsonObject f = j.getJsonObject("fairness");
    assertThat(f.getLong("minPerConsumer")).isPositive();
    assertThat(f.getLong("minPerConsumer")).isLessThanOrEqualTo(f.getLong("maxPerConsumer"));
    assertThat(f.getDouble("minOverMax")).isBetween(0.0, 1.0);
    assertThat(f.getJsonArray("perConsumer")).hasSize(3);
    assertThat(f.getJsonArray("perConsumer").stream().mapToLong(x -> ((Number) x).longValue()).sum())
        .isEqualTo(j.getLong("received"));
  }

  @Test
  void queueStopsAtCount() {
    Run r = bench("queue", "--embedded", "-n", "2", "--count", "300", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject j = r.json();
    assertThat(j.getLong("sent")).isEqualTo(300);
    assertThat(j.getLong("received")).isEqualTo(300);
    assertThat(j.getLong("lost")).isZero();
  }

  @Test
  void connsOpensHoldsAndPingsEveryConnection() {
    Run r = bench("conns", "--embedded", "-n", "50", "--rate", "200", "--ping-interval", "200ms", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject j = r.json();
    assertSane(j, true);
    JsonObject c = j.getJsonObject("conns");
    assertThat(c.getInteger("attempted")).isEqualTo(50);
    assertThat(c.getInteger("open")).isEqualTo(50);
    assertThat(c.getInteger("failed")).isZero();
    assertThat(c.getInteger("closedWhileHeld")).isZero();
    JsonObject ms = c.getJsonObject("connectMillis");
    assertThat(ms.getDouble("p50")).isPositive().isLessThanOrEqualTo(ms.getDouble("p99"));
    assertThat(ms.getDouble("p99")).isLessThanOrEqualTo(ms.getDouble("max"));
  }

  @Test
  void connsReportsRefusedConnections() {
    try (TestServer server = startServer()) { // JWT auth, and no token given: every upgrade gets 401
      Run r = bench("conns", "--url", "ws://127.0.0.1:" + server.port() + "/", "--token", "", "-n", "5", "--json");
      assertThat(r.code()).as(r.err()).isZero();
      JsonObject c = r.json().getJsonObject("conns");
      assertThat(c.getInteger("failed")).isEqualTo(5);
      assertThat(c.getInteger("open")).isZero();
      assertThat(c.getJsonArray("failures").encode()).contains("401");
    }
  }

  @Test
  void textSummaryNamesTheSharedCpus() {
    Run r = bench("queue", "--embedded", "-n", "2");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("wsmsg bench queue:", "embedded: client and server share", "throughput",
        "latency µs  p50", "lost        0 (0.000 %)", "fairness");
  }

  @Test
  void badSettingsAreRefusedBeforeConnecting() {
    Run r = bench("fanout", "--url", "ws://127.0.0.1:1/", "--payload", "4");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--payload");
    Run t = bench("rpc", "--embedded", "--duration", "soon");
    assertThat(t.code()).isEqualTo(2);
    assertThat(t.err()).contains("not a time");
  }

  @Test
  void anUnreachableServerFailsTheRunWithExitCode1() {
    Run r = bench("rpc", "--url", "ws://127.0.0.1:1/");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("wsmsg bench rpc:");
  }

  /** The settings a command line gives, without running it. */
  static BenchSettings parse(String... args) {
    CommandLine cl = new CommandLine(new BenchCommand());
    CommandLine.ParseResult pr = cl.parseArgs(args);
    return ((BenchCommand.Scenario) pr.subcommand().commandSpec().userObject()).settings();
  }

  @Test
  void oneUrlByDefaultAndBothSidesUseIt() {
    BenchSettings s = parse("rpc");
    assertThat(s.urls).containsExactly("ws://127.0.0.1:8765/");
    assertThat(s.pubUrls).isNull();
    assertThat(s.subUrls).isNull();
    assertThat(s.pubUrlsOrDefault()).containsExactly("ws://127.0.0.1:8765/");
    assertThat(s.subUrlsOrDefault()).containsExactly("ws://127.0.0.1:8765/");
    assertThat(s.endpoint("rpc-0")).isEqualTo("bench-rpc-0");
    assertThat(parse("fanout").publishers).isEqualTo(1);
  }

  @Test
  void urlsAreCommaSeparatedOrRepeatedAndEachSideCanHaveItsOwn() {
    BenchSettings s = parse("rpc", "--url", "ws://a:1/,ws://b:2/", "--url", "ws://c:3/", "--sub-url", "ws://d:4/",
        "--endpoint-prefix", "bench-x");
    assertThat(s.urls).as("the default is replaced, not added to").containsExactly("ws://a:1/", "ws://b:2/", "ws://c:3/");
    assertThat(s.pubUrlsOrDefault()).containsExactly("ws://a:1/", "ws://b:2/", "ws://c:3/");
    assertThat(s.subUrlsOrDefault()).containsExactly("ws://d:4/");
    assertThat(s.endpoint("rpc-responders")).isEqualTo("bench-x-rpc-responders");

    BenchSettings f = parse("fanout", "--pub-url", "ws://a:1/", "--pub-url", "ws://b:2/", "--sub-url",
        "ws://a:1/,ws://b:2/,ws://c:3/", "--publishers", "3", "-n", "9");
    assertThat(f.pubUrlsOrDefault()).containsExactly("ws://a:1/", "ws://b:2/");
    assertThat(f.subUrlsOrDefault()).containsExactly("ws://a:1/", "ws://b:2/", "ws://c:3/");
    assertThat(f.publishers).isEqualTo(3);
    assertThat(f.connections).isEqualTo(9);

    BenchSettings q = parse("queue", "--sub-url", "ws://a:1/", "--publishers", "2");
    assertThat(q.pubUrlsOrDefault()).containsExactly("ws://127.0.0.1:8765/");
    assertThat(q.subUrlsOrDefault()).containsExactly("ws://a:1/");
  }

  @Test
  void sideOptionsAreRefusedWhereTheyMeanNothing() {
    Run conns = bench("conns", "--pub-url", "ws://127.0.0.1:1/");
    assertThat(conns.code()).as("conns has no sides").isEqualTo(2);
    assertThat(conns.err()).contains("--pub-url");
    Run embedded = bench("rpc", "--embedded", "--sub-url", "ws://127.0.0.1:1/");
    assertThat(embedded.code()).isEqualTo(2);
    assertThat(embedded.err()).contains("--embedded");
    Run badUrl = bench("queue", "--url", "ws://127.0.0.1:1/,localhost:8765");
    assertThat(badUrl.code()).isEqualTo(2);
    assertThat(badUrl.err()).contains("localhost:8765");
    Run badPrefix = bench("queue", "--url", "ws://127.0.0.1:1/", "--endpoint-prefix", "a/b");
    assertThat(badPrefix.code()).isEqualTo(2);
    assertThat(badPrefix.err()).contains("--endpoint-prefix");
  }

  /** Samples the servers' open connections every few milliseconds and keeps the largest count seen. */
  static final class ConnectionWatch implements AutoCloseable {
    private final List<TestServer> servers;
    private final long[] max;
    private final Thread thread;
    private volatile boolean done;

    ConnectionWatch(TestServer... servers) {
      this.servers = List.of(servers);
      this.max = new long[servers.length];
      thread = new Thread(() -> {
        while (!done) {
          for (int i = 0; i < max.length; i++) {
            long n = this.servers.get(i).server.counters().connections.get();
            synchronized (max) {
              max[i] = Math.max(max[i], n);
            }
          }
          Cli.sleep(2);
        }
      }, "connection-watch");
      thread.setDaemon(true);
      thread.start();
    }

    long max(int i) {
      synchronized (max) {
        return max[i];
      }
    }

    @Override
    public void close() {
      done = true;
      try {
        thread.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static String url(TestServer s) {
    return "ws://127.0.0.1:" + s.port() + "/";
  }

  @Test
  void connectionsAreSpreadRoundRobinOverTheUrls() {
    try (TestServer a = startServer(); TestServer b = startServer()) {
      long inA = a.server.counters().messagesIn.sum();
      long inB = b.server.counters().messagesIn.sum();
      Run r;
      try (ConnectionWatch w = new ConnectionWatch(a, b)) {
        // conns: each connection pings itself through its own server, so two standalone servers do
        r = bench("conns", "--url", url(a) + "," + url(b), "--token", a.adminToken(), "-n", "6", "--rate", "0",
            "--ping-interval", "100ms", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(w.max(0)).as("connections seen at a").isGreaterThanOrEqualTo(3);
        assertThat(w.max(1)).as("connections seen at b").isGreaterThanOrEqualTo(3);
      }
      JsonObject j = r.json();
      assertSane(j, true);
      assertThat(j.getJsonObject("conns").getInteger("open")).isEqualTo(6);
      JsonObject servers = j.getJsonObject("servers");
      assertThat(servers.fieldNames()).containsExactly(url(a), url(b));
      assertThat(servers.getJsonObject(url(a)).getInteger("connection")).isEqualTo(3);
      assertThat(servers.getJsonObject(url(b)).getInteger("connection")).isEqualTo(3);
      assertThat(a.server.counters().messagesIn.sum()).as("pings published at a").isGreaterThan(inA);
      assertThat(b.server.counters().messagesIn.sum()).as("pings published at b").isGreaterThan(inB);
    }
  }

  @Test
  void eachSideConnectsToItsOwnUrls() {
    try (TestServer a = startServer(); TestServer b = startServer()) {
      Run r;
      try (ConnectionWatch w = new ConnectionWatch(a, b)) {
        // two standalone servers share nothing: the requests published at a find no responder
        // (they time out); what counts here is where each connection went
        r = bench("rpc", "--pub-url", url(a), "--sub-url", url(b), "--token", a.adminToken(), "-n", "2",
            "--responders", "3", "--request-timeout", "200ms", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(w.max(0)).as("connections at a: the requesters").isEqualTo(2);
        assertThat(w.max(1)).as("connections at b: the responders and the control connection").isEqualTo(4);
      }
      JsonObject j = r.json();
      assertThat(j.getString("url")).isEqualTo(url(a));
      JsonObject servers = j.getJsonObject("servers");
      assertThat(servers.getJsonObject(url(a)).getMap()).containsOnlyKeys("requester").containsEntry("requester", 2);
      assertThat(servers.getJsonObject(url(b)).getMap()).containsOnlyKeys("responder", "control")
          .containsEntry("responder", 3).containsEntry("control", 1);
      assertThat(j.getLong("handledByResponders")).isZero();
      assertThat(j.getLong("timeouts")).isPositive();
    }
  }

  @Test
  void fanoutPublishersAndSubscribersGoRoundRobinOverTheirSides() {
    try (TestServer a = startServer(); TestServer b = startServer(); TestServer c = startServer()) {
      try (ConnectionWatch w = new ConnectionWatch(a, b, c)) {
        Run r = bench("fanout", "--pub-url", url(a) + "," + url(b), "--sub-url", url(c), "--token", a.adminToken(),
            "--publishers", "4", "-n", "3", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(w.max(0)).as("publishers 0 and 2").isEqualTo(2);
        assertThat(w.max(1)).as("publishers 1 and 3").isEqualTo(2);
        assertThat(w.max(2)).as("3 subscribers and the control connection").isEqualTo(4);
        JsonObject servers = r.json().getJsonObject("servers");
        assertThat(servers.getJsonObject(url(a)).getInteger("publisher")).isEqualTo(2);
        assertThat(servers.getJsonObject(url(b)).getInteger("publisher")).isEqualTo(2);
        assertThat(servers.getJsonObject(url(c)).getInteger("subscriber")).isEqualTo(3);
      }
    }
  }

  @Test
  void textSummaryListsEveryServerWithItsConnections() {
    try (TestServer a = startServer(); TestServer b = startServer()) {
      Run r = bench("conns", "--url", url(a), "--url", url(b), "--token", a.adminToken(), "-n", "4");
      assertThat(r.code()).as(r.err()).isZero();
      // the warmup opens and closes as many connections before the measured ramp
      assertThat(r.out()).contains("targets     " + url(a) + "  2 warm-up connections, 2 connections",
          "              " + url(b) + "  2 warm-up connections, 2 connections", "(same host: client and servers share");
    }
  }

  @Test
  void oneServerKeepsTheSummaryAsItWas() {
    Run r = bench("fanout", "--embedded", "-n", "2", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject j = r.json();
    assertThat(j.containsKey("servers")).isFalse();
    assertThat(j.getInteger("publishers")).isEqualTo(1);
  }

  @Test
  void fanoutWithSeveralPublishersDeliversEachOfTheirMessagesToEverySubscriber() {
    Run r = bench("fanout", "--embedded", "-n", "3", "--publishers", "3", "--window", "8", "--inflight", "100", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject j = r.json();
    assertSane(j, true);
    assertThat(j.getInteger("publishers")).isEqualTo(3);
    assertThat(j.getLong("expected")).isEqualTo(3 * j.getLong("sent"));
    assertThat(j.getLong("perSubscriberMin")).isEqualTo(j.getLong("sent"));
    assertThat(j.getLong("perSubscriberMax")).isEqualTo(j.getLong("sent"));
  }

  @Test
  void timesParse() {
    BenchCommand.TimeConverter c = new BenchCommand.TimeConverter();
    assertThat(c.convert("10s")).isEqualTo(10_000);
    assertThat(c.convert("500ms")).isEqualTo(500);
    assertThat(c.convert("1.5s")).isEqualTo(1_500);
    assertThat(c.convert("2m")).isEqualTo(120_000);
    assertThat(c.convert("3")).isEqualTo(3_000);
  }
}
