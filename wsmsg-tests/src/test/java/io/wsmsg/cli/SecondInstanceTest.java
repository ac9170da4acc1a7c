package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import io.wsmsg.server.StartupException;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10: a second server on one machine either runs on ports and a data directory of its
 * own (--port, --management-port, --data-dir) or ends at once with one sentence naming what
 * collides and how to change it, exit code 1, no stack trace.
 */
class SecondInstanceTest extends ServerTestBase {
  @TempDir Path dir;

  private static final Map<String, String> ENV = Map.of("WSMSG_HOST", "127.0.0.1",
      "WSMSG_JWT_SECRET", TestServer.SECRET);

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void assertOneSentence(String output) {
    assertThat(output).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("wsmsg is listening");
  }

  @Test
  void aTakenManagementPortIsNamedWithItsFlag() throws Exception {
    try (TestServer first = startServer()) {
      int taken = first.server.managementPort();
      try (ServerProcess second = ServerProcess.start(dir, ENV, "--port", "0", "--management-port",
          String.valueOf(taken), "--data-dir", dir.resolve("second").toString())) {
        assertThat(second.awaitExit()).as(second.output()).isEqualTo(1);
        String out = second.output();
        assertThat(out).contains("cannot listen on 127.0.0.1:" + taken + " (management.port): address already in use;"
            + " choose another with --management-port or WSMSG_MANAGEMENT_PORT");
        assertOneSentence(out);
      }
    }
  }

  @Test
  void aTakenWebSocketPortIsNamedWithItsFlagAsAJsonRecordWhenTheLogIsJson() throws Exception {
    try (TestServer first = startServer()) {
      try (ServerProcess second = ServerProcess.start(dir, ENV, "--port", String.valueOf(first.port()),
          "--management-port", "0", "--data-dir", dir.resolve("second").toString(), "--log-format", "json")) {
        assertThat(second.awaitExit()).as(second.output()).isEqualTo(1);
        String out = second.output();
        assertOneSentence(out);
        JsonObject line = out.lines().filter(l -> l.startsWith("{")).map(JsonObject::new)
            .filter(j -> j.getString("message").contains("cannot listen")).findFirst().orElseThrow(
                () -> new AssertionError("no JSON record of the failure in:\n" + out));
        assertThat(line.getString("level")).isEqualTo("ERROR");
        assertThat(line.getString("message")).isEqualTo("cannot listen on 127.0.0.1:" + first.port()
            + " (port): address already in use; choose another with --port or WSMSG_PORT");
      }
    }
  }

  @Test
  void aTakenClusterPortIsOneSentenceWithoutHazelcastsStackTraces() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      Map<String, String> env = new java.util.HashMap<>(ENV);
      env.put("WSMSG_CLUSTER_PORT", String.valueOf(port));
      env.put("WSMSG_CLUSTER_MEMBERS", "127.0.0.1:" + port);
      try (ServerProcess second = ServerProcess.start(dir, env, "--cluster", "--port", "0", "--management-port", "0",
          "--data-dir", dir.resolve("second").toString())) {
        assertThat(second.awaitExit()).as(second.output()).isEqualTo(1);
        String out = second.output();
        assertThat(out).contains("cannot listen on 127.0.0.1:" + port + " (cluster.port): address already in use;"
            + " choose another with WSMSG_CLUSTER_PORT");
        assertOneSentence(out);
      }
    }
  }

  @Test
  void aDataDirectoryInUseByAnotherProcessIsRefused() throws Exception {
    try (TestServer first = startServer()) {
      Path shared = first.dataDir();
      try (ServerProcess second = ServerProcess.start(dir, ENV, "--port", "0", "--management-port", "0",
          "--data-dir", shared.toString())) {
        assertThat(second.awaitExit()).as(second.output()).isEqualTo(1);
        String out = second.output();
        assertThat(out).contains("the data directory " + shared.toAbsolutePath().normalize()
            + " (dataDir) is in use by another wsmsg server (process " + ProcessHandle.current().pid() + ")")
            .contains("--data-dir or WSMSG_DATA_DIR");
        assertOneSentence(out);
      }
      // the first one's snapshot is its own: nothing was written there by the second
      assertThat(Files.exists(shared.resolve("snapshot.wsmsg"))).isFalse();
    }
  }

  @Test
  void aDataDirectoryInUseInThisProcessIsRefusedAndFreedOnStop() {
    TestServer first = startServer();
    JsonObject same = new JsonObject().put("dataDir", first.dataDir().toString());
    try {
      assertThatThrownBy(() -> startServer(same)).hasCauseInstanceOf(StartupException.class)
          .hasMessageContaining("is in use by another wsmsg server");
    } finally {
      first.close();
    }
    try (TestServer again = startServer(same)) {
      assertThat(again.dataDir()).isEqualTo(first.dataDir());
    }
  }

  @Test
  void theFlagsAreHonoured() throws Exception {
    int port = freePort();
    int management = freePort();
    Path data = dir.resolve("own-data");
    ServerProcess p = ServerProcess.start(dir, ENV, "--port", String.valueOf(port), "--management-port",
        String.valueOf(management), "--data-dir", data.toString());
    try {
      p.awaitListening();
      assertThat(p.output()).contains("ws://127.0.0.1:" + port + "/")
          .contains("management: http://127.0.0.1:" + management + "/status")
          .contains("management: /status and /metrics need Authorization: Bearer <admin token> (wsmsg token --sub NAME"
              + " --admin); /health and /ready are open");
      HttpResponse<String> health = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + "/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      HttpResponse<String> status = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + "/status")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(status.statusCode()).as("the banner's hint holds").isEqualTo(401);
      assertThat(Files.readString(data.resolve("wsmsg.lock")).trim()).isEqualTo(String.valueOf(p.process.pid()));
    } finally {
      p.close();
    }
    assertThat(p.process.exitValue()).as(p.output()).isZero();
    assertThat(data.resolve("snapshot.wsmsg")).exists();
  }
}
