package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.NoAuthenticator;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.registry.Registry;
import io.wsmsg.router.ChannelRouters;
import io.wsmsg.testkit.TestNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A gateway alone owns every endpoint without claiming anything, has no member to hand a queue
 * to (a leave keeps every queue for the snapshot) and reports itself standalone.
 */
class StandaloneOwnershipTest {

  @Test
  void aGatewayAloneOwnsEverythingAndKeepsItsQueuesOnALeave() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      ServerConfig cfg = ServerConfig.of(new JsonObject().put("host", "127.0.0.1").put("port", 0)
          .put("auth", new JsonObject().put("mode", "none")));
      Registry registry = new Registry(cfg);
      Counters counters = new Counters();
      boolean[] stopped = {false};
      GatewayVerticle gw = new GatewayVerticle(cfg, registry, new ChannelRouters(vertx, registry, counters),
          NoAuthenticator.create(cfg), (s, a, r) -> { }, counters, new StandaloneOwnership("solo", () -> stopped[0] = true));
      Queued first = new Queued(FrameCodec.encode(new byte[16], "C", "one", null, new byte[] {1}, WireOrder.SEED), 0, 1);
      Queued second = new Queued(FrameCodec.encode(new byte[16], "C", "two", null, new byte[] {2}, WireOrder.SEED), 0, 2);
      gw.restoreQueued("orders", first);
      gw.restoreQueued("orders", second);
      TestNode.await(vertx.deployVerticle(gw));

      assertThat(gw.ownerOf("anything")).isEqualTo("solo");
      assertThat(gw.hasPeers()).isFalse();
      Map<String, Object> status = TestNode.await(gw.clusterStatus());
      assertThat(status).containsEntry("mode", "standalone").containsEntry("member", "solo")
          .containsEntry("members", List.of("solo")).containsEntry("ownedEndpoints", 1)
          .containsEntry("knownOwners", 0).containsEntry("remoteNodesServed", 0);

      HandOff left = TestNode.await(gw.handOffAll());
      assertThat(left.complete()).isFalse();
      assertThat(left.left()).containsOnlyKeys("orders");
      assertThat(left.left().get("orders")).containsExactly(first, second);
      assertThat(TestNode.await(gw.queueDepths())).isEmpty();
      assertThat(stopped[0]).isFalse();
    } finally {
      TestNode.await(vertx.close());
    }
  }
}
