package io.wsmsg.management;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What /metrics exports, read over real HTTP from a real server after real WebSocket traffic:
 * JVM and process metrics, build info, the deepest queues by name (bounded by metrics.topN),
 * refusals by reason, bytes in and out, and latency percentiles without histogram buckets.
 */
class MetricsTest extends ServerTestBase {
  private static final int TOP_N = 3;
  private static final int MAX_FRAME = 64 * 1024;
  /** The system channel's priority: holding it makes every other channel router wait. */
  private static final int SYSTEM_PRIORITY = 100;

  TestServer ts;

  @BeforeEach
  void start() {
    ts = startServer(new JsonObject().put("metrics", new JsonObject().put("topN", TOP_N))
        .put("limits", new JsonObject().put("maxFrameBytes", MAX_FRAME)));
  }


  private String scrape() {
    TestServer.HttpReply r = ts.management("/metrics");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  /** The value of one series, written exactly as Prometheus shows it ({@code name{labels}}); null when absent. */
  private static Double value(String body, String series) {
    for (String line : body.split("\n")) {
      if (line.startsWith(series + " ")) return Double.parseDouble(line.substring(series.length() + 1).trim());
    }
    return null;
  }

  private static List<String> lines(String body, String prefix) {
    List<String> out = new ArrayList<>();
    for (String line : body.split("\n")) if (line.startsWith(prefix)) out.add(line);
    return out;
  }

  /** Series of a labelled gauge, as label value -> value. */
  private static java.util.Map<String, Double> labelled(String body, String name, String label) {
    java.util.Map<String, Double> out = new java.util.TreeMap<>();
    Pattern p = Pattern.compile("^" + Pattern.quote(name) + "\\{" + label + "=\"([^\"]*)\"} (\\S+)$");
    for (String line : body.split("\n")) {
      Matcher m = p.matcher(line);
      if (m.matches()) out.put(m.group(1), Double.parseDouble(m.group(2)));
    }
    return out;
  }

  @Test
  void jvmProcessAndBuildInfoAreExported() {
    String body = scrape();
    assertThat(lines(body, "jvm_memory_used_bytes{")).isNotEmpty();
    assertThat(value(body, "process_cpu_usage")).isNotNull();
    assertThat(lines(body, "jvm_threads_live_threads")).isNotEmpty();
    assertThat(lines(body, "jvm_classes_loaded_classes")).isNotEmpty();
    assertThat(lines(body, "process_uptime_seconds")).isNotEmpty();
    assertThat(lines(body, "jvm_gc_")).isNotEmpty();
    List<String> build = lines(body, "wsmsg_build_info{");
    assertThat(build).hasSize(1);
    assertThat(build.get(0))
        .contains("java=\"" + System.getProperty("java.version") + "\"")
        .contains("vertx=\"5.")
        .containsPattern("version=\"\\d+\\.\\d+\\.\\d+[^\"]*\"")
        .matches(".*} 1(\\.0)?$");
  }

  @Test
  void theDeepestEndpointsAreListedByNameUpToTopN() {
    try (TestNode ops = ts.node("ops")) {
      // endpoints with no node: what is published to them stays queued
      ops.command("subscribe.channel", "deep", "jobs");
      for (int i = 1; i <= 5; i++) ops.command("subscribe.channel", "q" + i, "c" + i);
      ops.sync("ops");
      for (int n = 0; n < 7; n++) ops.publish("jobs", "job", n);
      for (int i = 1; i <= 5; i++) for (int n = 0; n < i; n++) ops.publish("c" + i, "x", n);
      ops.sync("ops");

      String body = Await.until("the deepest endpoints in /metrics", this::scrape,
          b -> labelled(b, "wsmsg_endpoint_queue_depth_top", "endpoint").equals(
              java.util.Map.of("deep", 7.0, "q5", 5.0, "q4", 4.0)));
      // six queues hold messages, only the three deepest are named; the total counts them all
      assertThat(lines(body, "wsmsg_endpoint_queue_depth_top{")).hasSize(TOP_N);
      assertThat(value(body, "wsmsg_endpoint_queue_depth")).isEqualTo(7.0 + 1 + 2 + 3 + 4 + 5);
    }
  }

  @Test
  void theDeepestChannelsAreListedByName() {
    try (TestNode ops = ts.node("ops")) {
      ops.command("subscribe.channel", "held-reader", "held");
      ops.sync("ops");
      ts.server.routers().gate().add(SYSTEM_PRIORITY, 1); // a system message "waits": other routers hold theirs
      try {
        for (int n = 0; n < 4; n++) ops.publish("held", "x", n);
        String body = Await.until("channel held in /metrics", this::scrape,
            b -> Double.valueOf(4.0).equals(labelled(b, "wsmsg_channel_queue_depth_top", "channel").get("held")));
        // the total is the priority gate's count: the four, and the system message it was told of
        assertThat(value(body, "wsmsg_channel_queue_depth")).isEqualTo(4.0 + 1);
        assertThat(lines(body, "wsmsg_channel_queue_depth_top{")).hasSizeLessThanOrEqualTo(TOP_N);
      } finally {
        ts.server.routers().gate().add(SYSTEM_PRIORITY, -1);
      }
      // once the router forwards them, the channel leaves the list
      Await.until("channel held drained", this::scrape,
          b -> !labelled(b, "wsmsg_channel_queue_depth_top", "channel").containsKey("held"));
    }
  }

  @Test
  void refusalsAreCountedByReason() {
    assertThat(ts.upgradeStatus("/x", "Bearer not-a-token")).isEqualTo(401);
    JsonObject onlyMine = new JsonObject().put("endpoints", new JsonArray().add("mine"))
        .put("publish", new JsonArray()).put("subscribe", new JsonArray()).put("admin", false);
    assertThat(ts.upgradeStatus("/someone-else", "Bearer " + ts.token(onlyMine))).isEqualTo(403);
    assertThat(ts.upgradeStatus("/x?window=0", "Bearer " + ts.adminToken())).isEqualTo(400);

    try (TestNode node = ts.node("big")) {
      node.sendRaw(new byte[MAX_FRAME + 1]);
      assertThat(node.awaitClose()).isEqualTo((short) 1009);
    }

    String body = Await.until("the closed node counted", this::scrape,
        b -> Double.valueOf(1.0).equals(value(b, "wsmsg_connections_refused_total{reason=\"frame_too_big\"}")));
    assertThat(value(body, "wsmsg_connections_refused_total{reason=\"unauthorized\"}")).isEqualTo(1.0);
    assertThat(value(body, "wsmsg_connections_refused_total{reason=\"forbidden\"}")).isEqualTo(1.0);
    assertThat(value(body, "wsmsg_connections_refused_total{reason=\"bad_request\"}")).isEqualTo(1.0);
    assertThat(value(body, "wsmsg_connections_refused_total{reason=\"per_ip\"}")).isEqualTo(0.0);
  }

  @Test
  void bytesInAndOutGrowWithTraffic() {
    try (TestNode node = ts.node("bytes")) {
      node.command("subscribe.channel", "bytes", "b");
      node.sync("bytes");
      String before = scrape();
      double in = value(before, "wsmsg_received_bytes_total");
      double out = value(before, "wsmsg_sent_bytes_total");
      assertThat(in).isPositive(); // the commands and the sync probe
      assertThat(out).isPositive(); // the probe came back

      node.publish("b", "big", "x".repeat(10_000));
      Frame f = node.nextMessage();
      node.ack(f);
      node.sync("bytes");
      String after = scrape();
      assertThat(value(after, "wsmsg_received_bytes_total")).isGreaterThanOrEqualTo(in + 10_000);
      assertThat(value(after, "wsmsg_sent_bytes_total")).isGreaterThanOrEqualTo(out + 10_000);
    }
  }

  @Test
  void latenciesExportPercentilesWithoutBuckets() {
    try (TestNode node = ts.node("lat")) {
      node.command("subscribe.channel", "lat", "l");
      node.sync("lat");
      for (int n = 0; n < 5; n++) {
        node.publish("l", "x", n);
        node.ack(node.nextMessage());
      }
      node.sync("lat");
    }
    String body = Await.until("acks recorded", this::scrape,
        b -> value(b, "wsmsg_delivery_ack_seconds_count") != null && value(b, "wsmsg_delivery_ack_seconds_count") >= 5);
    for (String timer : List.of("wsmsg_delivery_ack_seconds", "wsmsg_endpoint_queue_wait_seconds")) {
      for (String q : List.of("0.5", "0.9", "0.99")) {
        assertThat(value(body, timer + "{quantile=\"" + q + "\"}")).as(timer + " p" + q).isNotNull();
      }
      assertThat(value(body, timer + "_count")).isNotNull();
      assertThat(value(body, timer + "_sum")).isNotNull();
      // about ten lines per timer (HELP, TYPE, three quantiles, count, sum, max), not 190 buckets
      assertThat(lines(body, timer)).hasSizeLessThan(20);
      assertThat(lines(body, "# HELP " + timer)).isNotEmpty();
    }
    assertThat(lines(body, "wsmsg_").stream().filter(l -> l.contains("_bucket")).toList()).isEmpty();
  }
}
