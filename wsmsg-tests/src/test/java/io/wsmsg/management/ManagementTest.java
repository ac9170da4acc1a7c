package io.wsmsg.management;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The management port answers health, readiness, metrics and status over real HTTP. */
@ExtendWith(VertxExtension.class)
class ManagementTest extends ServerTestBase {
  TestServer ts;

  @BeforeEach
  void start() {
    ts = startServer();
  }


  record Reply(int status, String contentType, String body) {}

  /** GET on the management port with an admin token (ManagementAuthTest covers who may read what). */
  private Reply get(Vertx vertx, String path) {
    TestServer.HttpReply r = ts.management(path);
    return new Reply(r.status(), r.header("Content-Type"), r.body());
  }

  @Test
  void healthReadinessAndUnknownPaths(Vertx vertx) {
    assertThat(ts.server.managementPort()).isPositive().isNotEqualTo(ts.port());
    Reply health = get(vertx, "/health");
    assertThat(health.status()).isEqualTo(200);
    assertThat(new JsonObject(health.body()).getString("status")).isEqualTo("UP");
    assertThat(get(vertx, "/ready").status()).isEqualTo(200);
    Reply missing = get(vertx, "/nope");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.body()).contains("/status");
  }

  @Test
  void metricsCountTrafficAndDropsInPrometheusFormat(Vertx vertx) {
    try (TestNode node = ts.node("m")) {
      node.command("subscribe.channel", "m", "metered");
      node.sync("m");
      node.publish("metered", "one", 1);
      Frame f = node.nextMessage();
      node.ack(f);
      node.publish("nobody.listens", "x", 2); // dropped: no route
      node.sync("m");
    }
    // the drop is counted by the channel's router, not on the node's path: sync() does not
    // wait for it, so wait until the exporter shows it
    Reply metrics = Await.until("/metrics to count the no-route drop", () -> get(vertx, "/metrics"),
        m -> m.status() != 200 || m.body().contains("wsmsg_messages_dropped_total{reason=\"no_route\"} 1.0"));
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.contentType()).startsWith("text/plain");
    assertThat(metrics.body())
        .contains("wsmsg_messages_in_total")
        .contains("wsmsg_messages_out_total")
        .contains("wsmsg_messages_dropped_total{reason=\"no_route\"} 1.0")
        .contains("wsmsg_delivery_ack_seconds_count")
        .contains("wsmsg_endpoint_queue_depth")
        .contains("wsmsg_connections");
  }

  @Test
  void statusDescribesNodeChannelsAndEndpoints(Vertx vertx, VertxTestContext ctx) {
    try (TestNode admin = ts.node("ops")) {
      admin.command("channel.priority", "orders", 5);
      admin.command("subscribe.channel", "offline", "orders");
      admin.sync("ops");
      admin.publish("orders", "o1", 1);
      admin.publish("orders", "o2", 2);
      // the two messages reach the queue through the channel's router: wait for them there
      JsonObject fin = Await.until("/status to show 2 queued for offline", () -> {
        Reply r = get(vertx, "/status");
        assertThat(r.status()).isEqualTo(200);
        return new JsonObject(r.body());
      }, st -> {
        JsonObject o = find(st.getJsonArray("endpoints"), "offline");
        return o != null && o.getInteger("queued") >= 2;
      });
      JsonObject ep = find(fin.getJsonArray("endpoints"), "offline");
      ctx.verify(() -> {
        assertThat(fin.getJsonObject("node").getString("id")).hasSize(26);
        assertThat(fin.getJsonObject("node").getInteger("websocketPort")).isEqualTo(ts.port());
        assertThat(fin.getLong("connections")).isEqualTo(1L);
        assertThat(find(fin.getJsonArray("channels"), "orders").getInteger("priority")).isEqualTo(5);
        assertThat(find(fin.getJsonArray("channels"), "system").getInteger("priority")).isEqualTo(100);
        assertThat(ep.getInteger("queued")).isEqualTo(2);
        assertThat(ep.getInteger("nodes")).isZero();
        assertThat(find(fin.getJsonArray("endpoints"), "ops").getInteger("nodes")).isEqualTo(1);
        assertThat(fin.getInteger("subscriptions")).isGreaterThanOrEqualTo(1);
        ctx.completeNow();
      });
    }
  }

  @Test
  void readinessTurnsToUnavailableWhileStopping(Vertx vertx) {
    ts.server.stop();
    int status = Await.until("/ready to stop answering 200", () -> get(vertx, "/ready").status(), s -> s != 200);
    assertThat(status).isEqualTo(503);
  }

  private static JsonObject find(JsonArray items, String name) {
    for (Object o : items) {
      JsonObject j = (JsonObject) o;
      if (name.equals(j.getString("name"))) return j;
    }
    return null;
  }
}
