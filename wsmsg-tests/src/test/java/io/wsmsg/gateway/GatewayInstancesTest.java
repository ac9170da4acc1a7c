package io.wsmsg.gateway;

import static io.wsmsg.testkit.E2E.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * gateway.instances: several gateway verticles share the port and Vert.x hands each new
 * connection to the next one, so the nodes of one endpoint land on different instances while
 * its queue belongs to one. Nodes on the other instances are served through the ownership seam
 * in-process: window, acks, round robin and requeueing hold for them as for the owner's own.
 */
class GatewayInstancesTest extends ServerTestBase {
  static final int WORKERS = 8;
  static final int WINDOW = 2;

  private TestServer startWithInstances(int n) {
    return startServer(new JsonObject().put("gateway", new JsonObject().put("instances", n))
        .put("endpoints", new JsonObject().put("requeueUnacked", new JsonArray().add("jobs"))));
  }

  @Test
  void nodesOnEveryInstanceShareOneQueueWithinTheirWindows() {
    try (TestServer ts = startWithInstances(4)) {
      Map<String, Object> status = TestNode.await(ts.server.gateway().clusterStatus());
      assertThat(status).containsEntry("gatewayInstances", 4).containsEntry("mode", "standalone");

      List<TestNode> workers = new ArrayList<>();
      for (int i = 0; i < WORKERS; i++) workers.add(ts.node("jobs?order=seed&window=" + WINDOW));
      TestNode pub = ts.node("producer");
      awaitConnections(ts, WORKERS + 1);
      subscribe(ts, pub, "jobs", "work");
      // eight connections dealt round robin over four instances: most are not on the queue's
      Await.until("nodes served from a sibling instance", () -> TestNode.await(ts.server.gateway().clusterStatus()),
          s -> ((Number) s.get("siblingNodesServed")).intValue() >= WORKERS / 2);

      int total = 40;
      for (int i = 0; i < total; i++) pub.publish("work", "job", i);
      // nobody acks: each worker gets exactly its window, the rest waits in the one queue
      Set<Object> seen = new HashSet<>();
      Map<TestNode, List<Frame>> held = new HashMap<>();
      for (TestNode w : workers) {
        List<Frame> got = new ArrayList<>();
        for (int k = 0; k < WINDOW; k++) {
          Frame f = w.nextMessage();
          assertThat(seen.add(TestNode.data(f))).as("each message to one node").isTrue();
          got.add(f);
        }
        held.put(w, got);
      }
      for (TestNode w : workers) w.expectNothing(200);
      // the rest waits: in the queue, or (at most one window each) held ready at the instance of a
      // node served from elsewhere, which competes with the others for the queue (see RemoteNode)
      assertThat(depth(ts, "jobs")).isBetween(total - 2 * WORKERS * WINDOW, total - WORKERS * WINDOW);

      // one worker leaves without acking: its two go back to the head of the queue (requeueUnacked)
      TestNode leaver = workers.remove(0);
      List<Object> requeued = held.remove(leaver).stream().map(TestNode::data).toList();
      leaver.close();
      requeued.forEach(seen::remove);

      // the others ack as they go: everything arrives exactly once, the requeued ones included
      Set<Object> after = new HashSet<>();
      held.values().forEach(fs -> fs.forEach(f -> after.add(TestNode.data(f))));
      for (TestNode w : workers) held.get(w).forEach(w::ack);
      while (after.size() < total) {
        for (TestNode w : workers) {
          Frame f = w.poll(20);
          if (f == null) continue;
          assertThat(after.add(TestNode.data(f))).as("delivered once: " + TestNode.data(f)).isTrue();
          w.ack(f);
        }
      }
      assertThat(after).containsAll(requeued).hasSize(total);
      Await.until("the queue drained", () -> depth(ts, "jobs"), d -> d == 0);
      for (TestNode w : workers) w.close();
      pub.close();
    }
  }

  @Test
  void oneInstanceIsTheWholeNode() {
    try (TestServer ts = startWithInstances(1)) {
      Map<String, Object> status = TestNode.await(ts.server.gateway().clusterStatus());
      assertThat(status).doesNotContainKey("gatewayInstances").doesNotContainKey("siblingNodesServed");
      try (TestNode a = ts.node("solo"); TestNode pub = ts.node("pub")) {
        subscribe(ts, pub, "solo", "ch");
        pub.publish("ch", "s", "hello");
        assertThat(TestNode.data(a.nextMessage())).isEqualTo("hello");
      }
    }
  }
}
