package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestCluster;
import io.wsmsg.testkit.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 4, as reported: after the admin stop, two members start, a subscription is
 * removed and a channel resized, then the third starts from its older snapshot. Its stale copy
 * of the subscription and of the setting must lose on every member (versions and tombstones,
 * kept in the snapshots too), where a union merge brought the subscription back everywhere.
 */
class RemovalsStayRemovedTest {

  @Test
  void aMemberRestartedFromAnOlderSnapshotDoesNotResurrectARemovedSubscription() throws Exception {
    JsonObject fast = new JsonObject().put("stop", new JsonObject().put("graceMillis", 50));
    String[] dirs = new String[3];
    for (int i = 0; i < 3; i++) dirs[i] = Files.createTempDirectory("wsmsg-tomb-").toString();
    try (TestCluster c = TestCluster.startWithSpare(0, 3, fast)) {
      for (int i = 0; i < 3; i++) c.join(i, data(dirs[i]));
      c.awaitMembers(3);
      try (TestNode admin = c.member(0).node("ops")) {
        admin.command("subscribe.channel", "keep", "orders", "*");
        admin.command("subscribe.channel", "gone", "orders", "*");
        admin.command("channel.size", "orders", 7);
        admin.sync("ops");
      }
      c.awaitRouted("orders", "new", "keep", "gone");
      awaitSize(c, "orders", 7);

      // the admin stop: every member writes its snapshot (registry with versions, queues)
      for (TestCluster.Member m : List.copyOf(c.members)) TestNode.await(m.server.stopPersisting(), 60_000);
      // written: now they leave (abruptly, which is quicker on a busy machine than a graceful leave)
      for (TestCluster.Member m : List.copyOf(c.members)) m.crash();
      for (String d : dirs) assertThat(Path.of(d, "snapshot.wsmsg")).exists();

      TestCluster.Member a = c.join(0, data(dirs[0]));
      TestCluster.Member b = c.join(1, data(dirs[1]));
      c.awaitMembers(2);
      c.awaitRouted("orders", "new", "keep", "gone"); // both restored it from their snapshots
      try (TestNode admin = a.node("ops")) {
        admin.command("unsubscribe.channel", "gone", "orders");
        admin.command("channel.size", "orders", 9);
        admin.sync("ops");
      }
      Await.until("member b to drop the removed subscription", () -> routed(b, "orders"),
          r -> !r.contains("gone") && r.contains("keep"));
      awaitSize(c, "orders", 9);

      // the third member starts from its older snapshot: gone subscribed, orders of size 7
      TestCluster.Member third = c.join(2, data(dirs[2]));
      c.awaitMembers(3);
      // a change made on the third member after it started reaches the others after its
      // start-up push of its restored registry (same sender, same address, in order)
      try (TestNode marker = third.node("marker")) {
        marker.command("subscribe.channel", "marker", "orders", "*");
        marker.sync("marker");
      }
      c.awaitRouted("orders", "new", "keep", "marker");
      for (TestCluster.Member m : List.of(a, b, third)) {
        assertThat(routed(m, "orders")).as("routes on member " + m.id()).contains("keep", "marker")
            .doesNotContain("gone");
        assertThat(m.server.registry().channel("orders").size()).as("orders' size on member " + m.id()).isEqualTo(9);
        assertThat(m.server.registry().tombstones().keySet()).extracting(io.wsmsg.registry.Registry.SubKey::endpoint)
            .contains("gone");
      }
    }
  }

  private static JsonObject data(String dir) {
    return new JsonObject().put("dataDir", dir);
  }

  private static List<String> routed(TestCluster.Member m, String channel) {
    return List.of(m.server.registry().route(channel, "new", null, System.currentTimeMillis()));
  }

  private static void awaitSize(TestCluster c, String channel, int size) {
    for (TestCluster.Member m : c.members) {
      if (m.isStopped()) continue;
      Await.until("member " + m.id() + " to size " + channel + " at " + size,
          () -> m.server.registry().channel(channel).size(), s -> s == size);
    }
  }
}
