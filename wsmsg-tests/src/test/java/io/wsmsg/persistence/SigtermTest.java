package io.wsmsg.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM to a real server process takes the graceful path: snapshot written, exit code 0. */
class SigtermTest extends ServerTestBase {
  @TempDir Path dir;

  @Test
  void sigtermPersistsQueuedMessagesAndExitsZero() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path dataDir = dir.resolve("data");
    Path conf = dir.resolve("conf.json");
    Files.writeString(conf, new JsonObject().put("host", "127.0.0.1").put("port", port)
        .put("dataDir", dataDir.toString())
        .put("management", new JsonObject().put("port", 0))
        .put("auth", new JsonObject().put("hs256Secret", TestServer.SECRET)).encodePrettily());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path log = dir.resolve("server.log"); // a file, not a pipe: the whole output survives the exit
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "io.wsmsg.cli.Main",
        "server", "-c", conf.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      Await.until("the server process says it is listening", () -> {
        assertThat(p.isAlive()).as("server process running").isTrue();
        try {
          return Files.exists(log) && Files.readString(log).contains("wsmsg is listening");
        } catch (IOException e) {
          throw new UncheckedIOException(e); // read again at the next poll
        }
      }, Duration.ofSeconds(60));
      try (TestServer tokens = startServer()) {
        // a throwaway in-process server lends its token signer and client Vert.x
        try (TestNode admin = TestNode.connect(tokens.vertx, port, "admin", tokens.adminToken(), null)) {
          admin.command("subscribe.channel", "offline", "jobs", "*");
          admin.sync("admin");
          for (int i = 0; i < 3; i++) admin.publish("jobs", "job" + i, i);
        }
      }
      p.destroy(); // SIGTERM
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exited").isTrue();
      String output = Files.readString(log);
      assertThat(p.exitValue()).as("exit code; output:%n%s", output).isZero();
      assertThat(output).contains("stopping").contains("state written").contains("3 queued messages");
      assertThat(Files.exists(dataDir.resolve(StateStore.FILE))).isTrue();
    } finally {
      p.destroyForcibly();
    }

    try (TestServer restarted = startServer(new JsonObject().put("dataDir", dataDir.toString()));
        TestNode node = restarted.node("offline")) {
      List<String> subjects = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Frame f = node.nextMessage();
        subjects.add(f.subject());
        node.ack(f);
      }
      assertThat(subjects).containsExactly("job0", "job1", "job2");
    }
  }
}
