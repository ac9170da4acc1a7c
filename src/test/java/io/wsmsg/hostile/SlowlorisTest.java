package io.wsmsg.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Item 4 of issue 9: connections that never finish their upgrade request are closed after
 * limits.handshakeTimeoutSeconds, and at most limits.maxPendingUpgrades of them are held.
 */
class SlowlorisTest {
  static final byte[] HALF_REQUEST = "GET /ep HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upg"
      .getBytes(StandardCharsets.US_ASCII);

  TestServer ts;
  final List<RawWs> stalled = new ArrayList<>();

  @AfterEach
  void stop() {
    stalled.forEach(RawWs::close);
    if (ts != null) ts.close();
  }

  private void stall(int n) throws IOException {
    for (int i = 0; i < n; i++) {
      RawWs s = RawWs.connect(ts.port(), null, 0);
      stalled.add(s);
      s.out.write(HALF_REQUEST);
      s.out.flush();
    }
  }

  private static void roundTrip(TestNode n, String subject) {
    n.publish("h", subject, 1);
    Frame f = n.nextMessage();
    assertThat(f.subject()).isEqualTo(subject);
    n.ack(f);
  }

  @Test
  void twoThousandStalledUpgradesAreClosedAfterTheHandshakeTimeoutWhileAHealthyNodeWorks() throws Exception {
    ts = TestServer.start(new JsonObject().put("limits", new JsonObject()
        .put("handshakeTimeoutSeconds", 3).put("maxConnectionsPerIp", 100_000).put("maxPendingUpgrades", 100_000)));
    try (TestNode healthy = ts.node("healthy")) {
      healthy.command("subscribe.channel", "healthy", "h");
      healthy.sync("healthy");
      long started = System.currentTimeMillis();
      stall(2000);
      // the healthy node connected before, and a new one connects now, both served meanwhile
      roundTrip(healthy, "during");
      try (TestNode late = ts.node("late")) {
        late.command("subscribe.channel", "late", "h");
        late.sync("late");
        roundTrip(late, "late");
        healthy.ack(healthy.nextMessage()); // its copy of "late"
      }
      for (RawWs s : stalled) assertThat(s.awaitEof()).as("a stalled connection was closed").isTrue();
      long took = System.currentTimeMillis() - started;
      assertThat(took).as("closed after the timeout, not before").isGreaterThanOrEqualTo(2900);
      assertThat(ts.server.counters().refusedAdder(Counters.Refusal.HANDSHAKE_TIMEOUT).sum()).isEqualTo(2000);
      roundTrip(healthy, "after");
    }
  }

  @Test
  void pendingUpgradesBeyondTheBoundAreRefusedWith503UntilSlotsFree() throws Exception {
    ts = TestServer.start(new JsonObject().put("limits", new JsonObject()
        .put("handshakeTimeoutSeconds", 60).put("maxPendingUpgrades", 50)));
    try (TestNode healthy = ts.node("healthy")) { // upgraded: no longer pending
      healthy.command("subscribe.channel", "healthy", "h");
      healthy.sync("healthy");
      stall(50);
      try (RawWs refused = RawWs.open(ts.port(), "/ep", ts.adminToken())) {
        assertThat(refused.status).isEqualTo(503);
        assertThat(refused.body).contains("limits.maxPendingUpgrades").contains("50");
        assertThat(refused.awaitEof()).as("a refused connection is closed").isTrue();
      }
      roundTrip(healthy, "during");
      // the stalled clients go away: their slots are freed
      stalled.forEach(RawWs::close);
      long deadline = System.currentTimeMillis() + 10_000;
      int status;
      do {
        Thread.sleep(50);
        status = ts.upgradeStatus("/ep", "Bearer " + ts.adminToken());
      } while (status != 101 && System.currentTimeMillis() < deadline);
      assertThat(status).isEqualTo(101);
      assertThat(ts.server.counters().refusedAdder(Counters.Refusal.PENDING_UPGRADES).sum()).isGreaterThanOrEqualTo(1);
    }
  }
}
