package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.Permissions;
import io.wsmsg.auth.TokenSigner;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, "operators see nothing": a real server process logging JSON lines tells of a
 * refused upgrade (with its reason, address and endpoint, never the token) and of the nodes it
 * closes for abuse; WSMSG_LOG_LEVEL=warn leaves the info lines out.
 */
class OperatorLogTest {
  @TempDir Path dir;
  Vertx vertx;

  @BeforeEach
  void clientVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() {
    TestNode.await(vertx.close());
  }

  private ServerProcess start(Map<String, String> env, int port) throws Exception {
    Path conf = dir.resolve("conf.json");
    Files.writeString(conf, new JsonObject().put("host", "127.0.0.1").put("port", port)
        .put("dataDir", dir.resolve("data").toString())
        .put("management", new JsonObject().put("port", 0))
        .put("limits", new JsonObject().put("errorBurst", 3).put("maxFrameBytes", 1024))
        .put("auth", new JsonObject().put("hs256Secret", TestServer.SECRET)).encodePrettily());
    return ServerProcess.start(dir, env, "-c", conf.toString()).awaitListening();
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Every line of the output that is a log record, parsed; other lines are the banner. */
  private static List<JsonObject> records(ServerProcess p) {
    List<JsonObject> out = new ArrayList<>();
    for (String line : p.output().split("\n")) {
      if (!line.startsWith("{")) continue;
      JsonObject j = new JsonObject(line); // fails the test if a line is not one JSON object
      assertThat(j.fieldNames()).as(line).contains("time", "level", "logger", "message", "thread");
      out.add(j);
    }
    return out;
  }

  private static JsonObject awaitRecord(ServerProcess p, String what, Predicate<JsonObject> match) {
    return Await.until(what, () -> records(p).stream().filter(match).findFirst().orElse(null), r -> r != null,
        Duration.ofSeconds(30));
  }

  /** A refused upgrade (a token signed with another secret), then a node closed for an error flood. */
  private String refusalAndFlood(int port) {
    String forged = new TokenSigner(vertx, "some-other-secret-of-at-least-32-bytes!!").sign("mallory",
        Permissions.ALL.toJson(), 3600);
    assertThat(TestNode.upgradeStatus(vertx, port, "/victim", "Bearer " + forged)).isEqualTo(401);
    String good = new TokenSigner(vertx, TestServer.SECRET).sign("flooder", Permissions.ALL.toJson(), 3600);
    try (TestNode n = TestNode.connect(vertx, port, "/flooder", good, null)) {
      try {
        // errorBurst (3) refusals within the window, then one more closes
        for (int i = 0; i < 10 && !n.isClosed(); i++) n.sendRaw(new byte[] {(byte) 0xc1, 1, 2, 3});
      } catch (RuntimeException closedWhileWriting) {
        // the server closed it between the check and the write: what the test waits for below
      }
      assertThat(n.awaitClose()).isEqualTo((short) 1008);
    }
    try (TestNode n = TestNode.connect(vertx, port, "/big", good, null)) {
      n.sendRaw(new byte[4096]); // over limits.maxFrameBytes
      assertThat(n.awaitClose()).isEqualTo((short) 1009);
    }
    return forged;
  }

  @Test
  void jsonLinesTellOfRefusalsAndAbuseClosesWithoutTheToken() throws Exception {
    int port = freePort();
    try (ServerProcess p = start(Map.of("WSMSG_LOG_FORMAT", "json"), port)) {
      String forged = refusalAndFlood(port);
      JsonObject refused = awaitRecord(p, "the refused upgrade logged",
          r -> r.getString("message").contains("HTTP 401"));
      assertThat(refused.getString("level")).isEqualTo("INFO");
      assertThat(refused.getString("logger")).isEqualTo("io.wsmsg.gateway.GatewayVerticle");
      assertThat(refused.getString("message")).contains("from 127.0.0.1").contains("endpoint victim")
          .contains("the token signature is not valid");
      assertThat(refused.getString("time")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");

      JsonObject flood = awaitRecord(p, "the flood close logged",
          r -> r.getString("message").contains("refused messages within"));
      assertThat(flood.getString("level")).isEqualTo("WARN");
      assertThat(flood.getString("message")).contains("endpoint flooder").contains("limits.errorBurst");

      JsonObject big = awaitRecord(p, "the too-big close logged", r -> r.getString("message").contains("1009"));
      assertThat(big.getString("message")).contains("endpoint big").contains("larger than 1024 bytes");

      // the started line is JSON too, with the thread that wrote it
      assertThat(records(p)).anyMatch(r -> r.getString("message").contains("started: WebSocket port " + port)
          && r.getString("thread").startsWith("vert.x-eventloop"));
      // never the token, not even its signature part
      assertThat(p.output()).doesNotContain(forged).doesNotContain(forged.substring(forged.lastIndexOf('.') + 1));
    }
  }

  @Test
  void warnLevelLeavesInfoOut() throws Exception {
    int port = freePort();
    try (ServerProcess p = start(Map.of("WSMSG_LOG_FORMAT", "json", "WSMSG_LOG_LEVEL", "warn"), port)) {
      refusalAndFlood(port);
      awaitRecord(p, "the flood close logged", r -> r.getString("message").contains("refused messages within"));
      assertThat(records(p)).noneMatch(r -> r.getString("message").contains("HTTP 401"))
          .noneMatch(r -> r.getString("level").equals("INFO"));
    }
  }

  @Test
  void textIsTheDefaultFormat() throws Exception {
    int port = freePort();
    try (ServerProcess p = start(Map.of(), port)) {
      String forged = refusalAndFlood(port);
      Await.until("the refusal logged as text", () -> p.output().lines().anyMatch(l -> l.matches(
          "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d INFO   io\\.wsmsg\\.gateway\\.GatewayVerticle: refused a connection"
              + " from 127\\.0\\.0\\.1 to endpoint victim: HTTP 401, the token signature is not valid")),
          Duration.ofSeconds(30));
      assertThat(p.output()).doesNotContain(forged);
    }
  }
}
