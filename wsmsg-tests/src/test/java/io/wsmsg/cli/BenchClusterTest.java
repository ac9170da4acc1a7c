package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.testkit.TestCluster;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code wsmsg bench} with its two sides on different members of a real two-member cluster
 * (in this JVM): every message crosses between gateways, and flow control must still hold
 * on every hop, so nothing is lost. Never asserts speed.
 */
class BenchClusterTest {
  static TestCluster cluster;
  static String token;

  @BeforeAll
  static void startCluster() {
    cluster = TestCluster.start(2, null);
    token = cluster.adminToken();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) cluster.close();
  }

  static String url(int member) {
    return "ws://127.0.0.1:" + cluster.member(member).port() + "/";
  }

  @Test
  void rpcAcrossGateways() {
    BenchCommandTest.Run r = BenchCommandTest.bench("rpc", "--pub-url", url(0), "--sub-url", url(1), "--token", token,
        "--endpoint-prefix", "bench-rpc-across", "-n", "2", "--responders", "2", "--inflight", "2", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject j = r.json();
    BenchCommandTest.assertSane(j, true);
    assertThat(j.getLong("timeouts")).isZero();
    assertThat(j.getJsonObject("servers").getJsonObject(url(0)).getMap()).isEqualTo(Map.of("requester", 2));
    assertThat(j.getJsonObject("servers").getJsonObject(url(1)).getMap())
        .isEqualTo(Map.of("responder", 2, "control", 1));
    // the responders' endpoint is owned where they attached: member 1
    cluster.awaitOwner("bench-rpc-across-rpc-responders", cluster.member(1).id());
  }

  @Test
  void rpcWithRawFramesAcrossGateways() {
    BenchCommandTest.Run r = BenchCommandTest.bench("rpc", "--driver", "raw", "--pub-url", url(1), "--sub-url",
        url(0) + "," + url(1), "--token", token, "--endpoint-prefix", "bench-rpc-raw-across", "-n", "2", "--responders", "3",
        "--inflight", "4", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    BenchCommandTest.assertSane(r.json(), true);
    cluster.awaitOwner("bench-rpc-raw-across-rpc-responders", cluster.member(0).id());
  }

  @Test
  void fanoutWithPublishersAndSubscribersOnBothGateways() {
    BenchCommandTest.Run r = BenchCommandTest.bench("fanout", "--url", url(0) + "," + url(1), "--token", token,
        "--endpoint-prefix", "bench-fanout-both", "--publishers", "2", "-n", "4", "--window", "8", "--inflight", "200",
        "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject j = r.json();
    BenchCommandTest.assertSane(j, true);
    assertThat(j.getLong("perSubscriberMin")).isEqualTo(j.getLong("sent"));
    assertThat(j.getLong("perSubscriberMax")).isEqualTo(j.getLong("sent"));
    JsonObject servers = j.getJsonObject("servers");
    assertThat(servers.getJsonObject(url(0)).getMap()).containsEntry("publisher", 1).containsEntry("subscriber", 2);
    assertThat(servers.getJsonObject(url(1)).getMap()).containsEntry("publisher", 1).containsEntry("subscriber", 2);
  }

  @Test
  void queueWithConsumersOnBothGateways() {
    BenchCommandTest.Run r = BenchCommandTest.bench("queue", "--pub-url", url(0), "--sub-url", url(1) + "," + url(0),
        "--token", token, "--endpoint-prefix", "bench-queue-both", "-n", "4", "--window", "4", "--inflight", "100",
        "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject j = r.json();
    BenchCommandTest.assertSane(j, true);
    assertThat(j.getJsonObject("fairness").getLong("minPerConsumer")).as("every consumer got work").isPositive();
    // the first consumer connects alone: the queue is owned by the first --sub-url's member, and
    // the consumers on member 0 are served through it
    cluster.awaitOwner("bench-queue-both-queue", cluster.member(1).id());
  }
}
