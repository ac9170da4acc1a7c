package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.TokenSigner;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three cluster members as separate JVM processes on 127.0.0.1, started the way operators
 * start them ({@code wsmsg server -c conf.json --cluster}); one of them is killed with
 * SIGKILL.
 */
class ClusterProcessTest {
  @TempDir Path dir;
  private final List<Process> processes = new ArrayList<>();
  private final Vertx clientVertx = Vertx.vertx();

  @AfterEach
  void stopEverything() throws Exception {
    for (Process p : processes) p.destroyForcibly();
    for (Process p : processes) p.waitFor(20, TimeUnit.SECONDS);
    TestNode.await(clientVertx.close());
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private JsonObject status(int managementPort) {
    try {
      TestServer.HttpReply r = TestServer.management(managementPort, "/status", "Bearer " + admin());
      return r.status() == 200 ? r.json() : null;
    } catch (Exception e) {
      return null;
    }
  }

  /** /status needs an admin token: signed with the secret the processes share. */
  private String admin() {
    return new TokenSigner(clientVertx, TestServer.SECRET).sign("test", io.wsmsg.auth.Permissions.ALL.toJson(), 3600);
  }

  private void awaitMembers(int managementPort, int n, Process p, Path log) throws Exception {
    long deadline = System.currentTimeMillis() + 90_000;
    while (true) {
      JsonObject s = status(managementPort);
      if (s != null && s.getJsonObject("cluster").getJsonArray("members").size() == n) return;
      assertThat(p.isAlive()).as("process running; log:%n%s", Files.exists(log) ? Files.readString(log) : "").isTrue();
      assertThat(System.currentTimeMillis()).as("%d members seen within 90 s", n).isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  @Test
  void separateProcessesRouteAcrossGatewaysAndSurviveAKill9() throws Exception {
    int n = 3;
    int[] ws = new int[n];
    int[] mgmt = new int[n];
    int[] hz = new int[n];
    JsonArray members = new JsonArray();
    for (int i = 0; i < n; i++) {
      ws[i] = freePort();
      mgmt[i] = freePort();
      hz[i] = freePort();
      members.add("127.0.0.1:" + hz[i]);
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String clusterName = "wsmsg-proc-" + UUID.randomUUID();
    Path[] logs = new Path[n];
    for (int i = 0; i < n; i++) {
      Path conf = dir.resolve("gateway" + i + ".json");
      Files.writeString(conf, new JsonObject().put("host", "127.0.0.1").put("port", ws[i])
          .put("dataDir", dir.resolve("data" + i).toString())
          .put("management", new JsonObject().put("port", mgmt[i]))
          .put("auth", new JsonObject().put("hs256Secret", TestServer.SECRET))
          .put("cluster", new JsonObject().put("name", clusterName).put("host", "127.0.0.1").put("port", hz[i])
              .put("members", members))
          .encodePrettily());
      logs[i] = dir.resolve("gateway" + i + ".log");
      List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m"));
      cmd.addAll(List.of(System.getProperty("wsmsg.test.hazelcastFlags", HAZELCAST_FLAGS).split(" ")));
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.wsmsg.cli.Main", "server", "-c",
          conf.toString(), "--cluster"));
      processes.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logs[i].toFile()).start());
    }
    for (int i = 0; i < n; i++) awaitMembers(mgmt[i], n, processes.get(i), logs[i]);

    String token = new TokenSigner(clientVertx, TestServer.SECRET).sign("test", io.wsmsg.auth.Permissions.ALL.toJson(), 3600);

    // pub/sub across processes: subscriber at gateway 0, publisher at gateway 2
    try (TestNode sink = TestNode.connect(clientVertx, ws[0], "sink", token, WireOrder.SEED);
        TestNode pub = TestNode.connect(clientVertx, ws[2], "pub", token, WireOrder.SEED)) {
      int known = Await.until("gateway 2's status", () -> subscriptions(mgmt[2]), count -> count >= 0);
      sink.command("subscribe.channel", "sink", "evt", "*");
      sink.sync("sink");
      // gateway 2 routes the publish with its own copy of the registry: wait until it has it
      Await.until("gateway 2 to know the subscription made at gateway 0", () -> subscriptions(mgmt[2]),
          count -> count > known);
      pub.publish("evt", "hello", "from gateway 2");
      Frame f = sink.nextMessage();
      assertThat(TestNode.data(f)).isEqualTo("from gateway 2");
      sink.ack(f);
    }

    // an endpoint owned by gateway 1, which then dies without a word
    int known = Await.until("gateway 0's status", () -> subscriptions(mgmt[0]), count -> count >= 0);
    try (TestNode first = TestNode.connect(clientVertx, ws[1], "jobs", token, WireOrder.SEED)) {
      first.command("subscribe.channel", "jobs", "work", "*");
      first.sync("jobs");
    }
    String victim = Await.until("gateway 1's status", () -> status(mgmt[1]), st -> st != null)
        .getJsonObject("cluster").getString("member");
    // the subscription must have reached gateway 0 before gateway 1 dies, for it to survive
    Await.until("gateway 0 to know the subscription made at gateway 1", () -> subscriptions(mgmt[0]),
        count -> count > known);
    // gateway 1 claimed it; gateway 0 learns that asynchronously
    Await.until("gateway 0 to say " + victim + " owns jobs", () -> owner(status(mgmt[0]), "jobs"), victim::equals);

    processes.get(1).destroyForcibly(); // SIGKILL
    assertThat(processes.get(1).waitFor(20, TimeUnit.SECONDS)).isTrue();
    awaitMembers(mgmt[0], n - 1, processes.get(0), logs[0]);
    awaitMembers(mgmt[2], n - 1, processes.get(2), logs[2]);

    // the takeover follows the membership change, at each survivor on its own: the worker
    // attaches at gateway 2 and the boss publishes at gateway 0, so both must name the new owner
    String heir = Await.until("jobs re-owned by a survivor, not " + victim, () -> owner(status(mgmt[0]), "jobs"),
        o -> o != null && !o.equals(victim));
    Await.until("gateway 2 to agree that " + heir + " owns jobs", () -> owner(status(mgmt[2]), "jobs"), heir::equals);

    try (TestNode worker = TestNode.connect(clientVertx, ws[2], "jobs", token, WireOrder.SEED);
        TestNode boss = TestNode.connect(clientVertx, ws[0], "boss", token, WireOrder.SEED)) {
      worker.sync("jobs");
      for (int i = 0; i < 5; i++) boss.publish("work", "job" + i, i);
      for (int i = 0; i < 5; i++) {
        Frame f = worker.nextMessage();
        assertThat(f.subject()).isEqualTo("job" + i);
        worker.ack(f);
      }
    }

    // the survivors still stop gracefully (SIGTERM) and exit 0
    processes.get(0).destroy();
    processes.get(2).destroy();
    for (int i : new int[] {0, 2}) {
      assertThat(processes.get(i).waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(processes.get(i).exitValue()).as("exit code; log:%n%s", Files.readString(logs[i])).isZero();
    }
  }

  /** How many channel subscriptions the gateway's registry holds (-1 when its status is unavailable). */
  private int subscriptions(int managementPort) {
    JsonObject s = status(managementPort);
    return s == null ? -1 : s.getInteger("subscriptions");
  }

  private static String owner(JsonObject status, String endpoint) {
    if (status == null) return null;
    for (Object o : status.getJsonArray("endpoints")) {
      JsonObject e = (JsonObject) o;
      if (endpoint.equals(e.getString("name"))) return e.getString("owner");
    }
    return null;
  }

  static final String HAZELCAST_FLAGS = "--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED"
      + " --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
      + " --add-opens java.management/sun.management=ALL-UNNAMED"
      + " --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED";
}
