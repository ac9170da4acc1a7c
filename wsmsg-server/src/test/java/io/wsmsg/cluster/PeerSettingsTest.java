package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import io.vertx.core.json.JsonObject;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.metrics.Counters;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** cluster.failureDetectionSeconds and cluster.peerBudgetKiB: defaults, environment, bounds, and what they set. */
class PeerSettingsTest {

  @Test
  void defaultsAreTenSecondsAndFourMiB() throws Exception {
    ServerConfig c = ServerConfig.of(new JsonObject());
    assertThat(c.clusterFailureDetectionSeconds).isEqualTo(10);
    assertThat(c.clusterPeerBudgetBytes).isEqualTo(4L << 20);
    Config hz = ClusterSetup.hazelcastConfig(c);
    assertThat(hz.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("10");
    assertThat(hz.getProperty("hazelcast.heartbeat.interval.seconds")).isEqualTo("1");
  }

  @Test
  void theEnvironmentSetsThemAndTheySetHazelcast() throws Exception {
    ServerConfig c = ServerConfig.load(null, Map.of("WSMSG_CLUSTER_FAILURE_DETECTION_SECONDS", "4",
        "WSMSG_CLUSTER_PEER_BUDGET_KIB", "256"));
    assertThat(c.clusterFailureDetectionSeconds).isEqualTo(4);
    assertThat(c.clusterPeerBudgetBytes).isEqualTo(256L << 10);
    Config hz = ClusterSetup.hazelcastConfig(c);
    assertThat(hz.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("4");
    assertThat(hz.getProperty("hazelcast.heartbeat.interval.seconds")).isEqualTo("1");
  }

  @Test
  void outOfRangeValuesAreRefusedByName() {
    for (String bad : new String[] {"{\"cluster\":{\"failureDetectionSeconds\":2}}",
        "{\"cluster\":{\"failureDetectionSeconds\":601}}", "{\"cluster\":{\"failureDetectionSeconds\":\"10\"}}",
        "{\"cluster\":{\"peerBudgetKiB\":8}}", "{\"cluster\":{\"peerBudgetKiB\":1.5}}"}) {
      assertThatThrownBy(() -> ServerConfig.of(new JsonObject(bad))).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cluster.");
    }
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of("WSMSG_CLUSTER_FAILURE_DETECTION_SECONDS", "soon")))
        .hasMessageContaining("WSMSG_CLUSTER_FAILURE_DETECTION_SECONDS");
  }

  @Test
  void aBudgetTakesUpToItsLimitThenDropsAndCountsEveryCopy() {
    Counters counters = new Counters();
    PeerBudgets b = new PeerBudgets(1000, 5000, counters);
    assertThat(b.take("m1", 600, null, List.of("a"), 0)).isTrue();
    assertThat(b.take("m1", 400, null, List.of("a", "b"), 0)).isTrue(); // exactly the limit
    assertThat(b.take("m1", 1, null, List.of("a", "b", "c"), 0)).isFalse();
    assertThat(counters.dropped(Counters.Drop.PEER_BACKLOG)).isEqualTo(3);
    assertThat(b.take("m2", 5000, null, List.of("a"), 0)).as("another member has its own budget; one message always goes").isTrue();
    assertThat(b.unconfirmedBytes("m1")).isEqualTo(1000);
  }
}
