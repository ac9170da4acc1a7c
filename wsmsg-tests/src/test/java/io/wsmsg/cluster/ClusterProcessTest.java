package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three cluster members as separate JVM processes on 127.0.0.1, started the way operators
 * start them ({@code wsmsg server -c conf.json --cluster}); one of them is killed with
 * SIGKILL. The members' event bus runs mutual TLS from the test cluster CA, as scripts/cluster.sh does.
 */
class ClusterProcessTest {
  @TempDir Path dir;
  private MemberProcesses m;

  @AfterEach
  void stopEverything() throws Exception {
    if (m != null) m.close();
  }

  private JsonObject status(int managementPort) {
    for (int i = 0; i < m.mgmt.length; i++) if (m.mgmt[i] == managementPort) return m.status(i);
    throw new IllegalArgumentException("no member has management port " + managementPort);
  }

  @Test
  void separateProcessesRouteAcrossGatewaysAndSurviveAKill9() throws Exception {
    int n = 3;
    m = new MemberProcesses(dir, n, 0); // the event bus with mutual TLS, as shipped
    for (int i = 0; i < n; i++) m.start(i);
    for (int i = 0; i < n; i++) m.awaitMembers(i, n);
    int[] ws = m.ws;
    int[] mgmt = m.mgmt;
    Path[] logs = m.logs;
    List<Process> processes = m.processes;
    Vertx clientVertx = m.clientVertx;
    String token = m.token;

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
    m.awaitMembers(0, n - 1);
    m.awaitMembers(2, n - 1);

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
    return MemberProcesses.owner(status, endpoint);
  }

  static final String HAZELCAST_FLAGS = "--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED"
      + " --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
      + " --add-opens java.management/sun.management=ALL-UNNAMED"
      + " --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED";
}
