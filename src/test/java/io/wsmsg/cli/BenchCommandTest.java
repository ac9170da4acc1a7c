package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
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
class BenchCommandTest {
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
    try (TestServer server = TestServer.start()) {
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
    try (TestServer server = TestServer.start()) { // JWT auth, and no token given: every upgrade gets 401
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
