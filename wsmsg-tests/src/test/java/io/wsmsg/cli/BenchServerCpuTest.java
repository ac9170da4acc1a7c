package io.wsmsg.cli;

import static io.wsmsg.cli.BenchCommandTest.bench;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.cli.BenchCommandTest.Run;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wsmsg bench} reports the server's CPU per operation and how it splits over the event
 * loops, from each place it can read them: the embedded server's threads, /proc of a server
 * process (--server-pid) and the management port (--management-url). Asserts that the figures
 * are there and consistent, never how large they are: the machine is shared.
 */
class BenchServerCpuTest extends ServerTestBase {
  @TempDir Path dir;

  /** The serverCpu object of a run: present, for {@code operation}, positive, its event-loop split summing to 100 %. */
  static JsonObject assertCpu(JsonObject j, String operation) {
    JsonObject cpu = j.getJsonObject("serverCpu");
    assertThat(cpu).as("serverCpu in %s", j.encodePrettily()).isNotNull();
    assertThat(cpu.getString("error")).as("error").isNull();
    assertThat(cpu.getString("operation")).isEqualTo(operation);
    assertThat(cpu.getLong("operations")).isPositive().isLessThanOrEqualTo(j.getLong("received"));
    assertThat(cpu.getLong("cpuMicros")).isPositive();
    assertThat(cpu.getDouble("microsPerOperation")).isPositive();
    assertThat(cpu.getDouble("coresBusy")).isPositive();
    JsonArray loops = cpu.getJsonArray("eventLoops");
    assertThat(loops).as("the event loops that ran").isNotEmpty();
    double sum = 0;
    for (Object o : loops) sum += ((JsonObject) o).getDouble("percent");
    assertThat(sum).as("the split over the event loops").isCloseTo(100.0, org.assertj.core.data.Offset.offset(0.5));
    assertThat(cpu.getDouble("eventLoopsPercentOfServer")).isPositive().isLessThanOrEqualTo(100.0);
    return cpu;
  }

  @Test
  void embeddedCountsTheServersOwnThreadsPerCall() {
    Run r = bench("rpc", "--embedded", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject cpu = assertCpu(r.json(), "call");
    assertThat(cpu.getString("source")).contains("embedded server's Vert.x threads");
    for (Object o : cpu.getJsonArray("eventLoops")) {
      assertThat(((JsonObject) o).getString("thread")).startsWith("vert.x-eventloop-thread-");
    }
  }

  @Test
  void managementUrlReadsTheServerPerDelivery() {
    try (TestServer server = startServer()) {
      Run r = bench("fanout", "--url", server.url(), "--token", server.adminToken(), "-n", "3", "--window", "8",
          "--management-url", server.managementUrl(), "--admin-token", server.adminToken(), "--json");
      assertThat(r.code()).as(r.err()).isZero();
      JsonObject cpu = assertCpu(r.json(), "delivery");
      assertThat(cpu.getString("source")).contains(server.managementUrl() + "/v1/process");
    }
  }

  @Test
  void theTextSummaryShowsCpuPerOperationAndTheSplit() {
    Run r = bench("queue", "--embedded", "-n", "2");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("server CPU  [0-9.,]+ µs per consumed message over the [0-9,]+ consumed messages")
        .containsPattern("event loops [0-9.]+ % of it, split loop \\d+ [0-9.]+ %")
        .contains("(read from embedded server's Vert.x threads");
  }

  /** A server in a JVM of its own, auth none with admin rights for everyone; its WebSocket URL and pid. */
  private ServerProcess serverProcess() throws Exception {
    Path conf = dir.resolve("conf.json");
    Files.writeString(conf, new JsonObject().put("host", "127.0.0.1").put("port", 0)
        .put("dataDir", dir.resolve("data").toString())
        .put("management", new JsonObject().put("port", 0))
        .put("limits", new JsonObject().put("maxConnectionsPerIp", 100_000))
        .put("auth", new JsonObject().put("mode", "none")).encodePrettily());
    return ServerProcess.start(dir, Map.of(), "-c", conf.toString()).awaitListening();
  }

  private static String url(ServerProcess p) {
    Matcher m = Pattern.compile("listening on (ws://127\\.0\\.0\\.1:\\d+/)").matcher(p.output());
    assertThat(m.find()).as(p.output()).isTrue();
    return m.group(1);
  }

  @Test
  void serverPidReadsProcPerConsumedMessageAndMemoryPerConnection() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "needs Linux /proc");
    try (ServerProcess p = serverProcess()) {
      String pid = Long.toString(p.process.pid());
      Run q = bench("queue", "--url", url(p), "-n", "2", "--server-pid", pid, "--json");
      assertThat(q.code()).as(q.err()).isZero();
      JsonObject cpu = assertCpu(q.json(), "consumed message");
      assertThat(cpu.getString("source")).startsWith("pid " + pid + " (/proc");

      Run c = bench("conns", "--url", url(p), "-n", "40", "--rate", "0", "--ping-interval", "200ms", "--server-pid", pid,
          "--json");
      assertThat(c.code()).as(c.err()).isZero();
      JsonObject mem = c.json().getJsonObject("serverMemory");
      assertThat(mem).as(c.out()).isNotNull();
      assertThat(mem.getLong("rssBeforeBytes")).isPositive();
      assertThat(mem.getLong("rssAfterBytes")).isPositive();
      assertThat(mem.getInteger("connections")).isEqualTo(40);
      assertThat(mem.getLong("bytesPerConnection"))
          .isEqualTo(Math.round((mem.getLong("rssAfterBytes") - mem.getLong("rssBeforeBytes")) / 40.0));
    }
  }

  @Test
  void embeddedConnsSaysWhyThereIsNoMemoryPerConnection() {
    Run r = bench("conns", "--embedded", "-n", "5");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("server RSS  not measured with --embedded");
  }

  /** A pid no process has now. */
  private static long unusedPid() {
    long pid = 4_000_000;
    while (Files.exists(Path.of("/proc", Long.toString(pid)))) pid++;
    return pid;
  }

  @Test
  void badSourcesAreRefusedSayingWhatIsWrong() {
    long gone = unusedPid();
    Run noProcess = bench("rpc", "--url", "ws://127.0.0.1:1/", "--server-pid", Long.toString(gone));
    assertThat(noProcess.code()).isEqualTo(2);
    assertThat(noProcess.err()).contains("--server-pid " + gone + ": no process " + gone + " on this machine");

    Run negative = bench("rpc", "--url", "ws://127.0.0.1:1/", "--server-pid", "-3");
    assertThat(negative.code()).isEqualTo(2);
    assertThat(negative.err()).contains("--server-pid -3 is not a process id");

    Run two = bench("rpc", "--embedded", "--server-pid", Long.toString(ProcessHandle.current().pid()));
    assertThat(two.code()).isEqualTo(2);
    assertThat(two.err()).contains("read the server's CPU from one place");

    Run ws = bench("rpc", "--url", "ws://127.0.0.1:1/", "--management-url", "ws://127.0.0.1:1/");
    assertThat(ws.code()).isEqualTo(2);
    assertThat(ws.err()).contains("--management-url must be http://host:port");
  }

  @Test
  void aManagementPortThatRefusesTheTokenFailsTheRunBeforeAnyLoad() {
    try (TestServer server = startServer()) {
      long in = server.server.counters().messagesIn.sum();
      Run r = bench("rpc", "--url", server.url(), "--token", server.adminToken(),
          "--management-url", server.managementUrl(), "--admin-token", server.token(new JsonObject()));
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.err()).contains("the server's CPU cannot be read from", "answered 403", "not an admin token",
          "--admin-token");
      assertThat(server.server.counters().messagesIn.sum()).as("nothing published").isEqualTo(in);
    }
  }
}
