package io.wsmsg.management;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * /v1/process and the process object of /v1/status: what the server process has spent (CPU in
 * all and per event loop) and holds (RSS), for a load tool to read before and after a run.
 * The test server runs in the test's JVM, so the figures also count the test's own threads:
 * only their presence and direction are asserted.
 */
class ProcessStatusTest extends ServerTestBase {
  TestServer ts;

  @BeforeEach
  void start() {
    ts = startServer();
  }

  @Test
  void processFiguresGrowWithWork() {
    JsonObject before = ts.management("/v1/process").json().getJsonObject("process");
    try (TestNode node = ts.node("busy")) {
      node.command("subscribe.channel", "busy", "work");
      node.sync("busy");
      for (int i = 0; i < 200; i++) {
        node.publish("work", "x", i);
        node.ack(node.nextMessage());
      }
    }
    TestServer.HttpReply r = ts.management("/v1/process");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonObject after = r.json().getJsonObject("process");
    assertThat(r.json().getString("node")).isNotBlank();
    assertThat(after.getLong("pid")).isEqualTo(ProcessHandle.current().pid());
    assertThat(after.getInteger("cpus")).isPositive();
    assertThat(after.getLong("cpuNanos")).isGreaterThanOrEqualTo(before.getLong("cpuNanos")).isPositive();
    assertThat(after.getLong("heapUsedBytes")).isPositive();
    if (Files.isReadable(Path.of("/proc/self/status"))) assertThat(after.getLong("rssBytes")).isPositive();
    JsonArray loops = after.getJsonArray("eventLoops");
    assertThat(loops).isNotEmpty();
    long spent = 0;
    for (Object o : loops) {
      JsonObject t = (JsonObject) o;
      assertThat(t.getString("thread")).startsWith("vert.x-eventloop-thread-");
      assertThat(t.getLong("cpuNanos")).isNotNegative();
      spent += t.getLong("cpuNanos");
    }
    assertThat(spent).as("the event loops that served 200 messages used CPU").isPositive();
  }

  @Test
  void statusCarriesTheSameProcessObject() {
    JsonObject status = ts.management("/v1/status").json();
    JsonObject p = status.getJsonObject("process");
    assertThat(p).as(status.encodePrettily()).isNotNull();
    assertThat(p.getLong("cpuNanos")).isPositive();
    assertThat(p.getJsonArray("eventLoops")).isNotEmpty();
    assertThat(status.getJsonObject("node")).as("the rest of the status is still there").isNotNull();
  }

  @Test
  void processFiguresNeedAnAdminToken() {
    TestServer.HttpReply none = ts.management("/v1/process", null);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.json().getString("error")).contains("no token");
    TestServer.HttpReply user = ts.management("/v1/process", "Bearer " + ts.token(new JsonObject()));
    assertThat(user.status()).isEqualTo(403);
    assertThat(user.json().getString("error")).contains("not an admin token");
  }
}
