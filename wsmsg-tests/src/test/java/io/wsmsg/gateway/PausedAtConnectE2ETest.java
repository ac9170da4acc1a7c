package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.E2E;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code ?paused=1}: a node that attaches paused is never given a delivery until it resumes,
 * so a one-shot publisher on a shared endpoint cannot take its real nodes' messages; it can
 * still publish.
 */
class PausedAtConnectE2ETest extends ServerTestBase {
  TestServer ts;

  static long job(Frame f) {
    return ((Number) TestNode.data(f)).longValue();
  }

  @Test
  void aNodeAttachedPausedGetsNoDeliveryUntilItResumesAndCanPublish() {
    ts = startServer();
    TestNode admin = node("/admin");
    admin.command("subscribe.channel", "shared", "jobs", "*");
    admin.sync("admin");
    for (int i = 0; i < 3; i++) admin.publish("jobs", "job", i);
    E2E.awaitDepth(ts, "shared", 3);

    // the paused node attaches first: were it not paused, it would be handed the first job now
    TestNode paused = node("/shared?paused=1&window=4");
    TestNode worker = node("/shared?window=1").autoAck(true);
    List<Long> got = new ArrayList<>();
    for (int i = 0; i < 3; i++) got.add(job(worker.nextMessage()));
    // it publishes like any node; the worker gets those too
    for (int i = 3; i < 6; i++) paused.publish("jobs", "job", i);
    for (int i = 3; i < 6; i++) got.add(job(worker.nextMessage()));
    assertThat(got).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
    paused.expectNothing(300);

    worker.close();
    admin.publish("jobs", "job", 6);
    E2E.awaitDepth(ts, "shared", 1); // waiting for a ready node
    paused.expectNothing(300);
    paused.command("resume");
    assertThat(job(paused.nextMessage())).isEqualTo(6L);
  }

  @Test
  void pausedTakesOneOrZero() {
    ts = startServer();
    assertThat(ts.upgradeStatus("/x?paused=0", "Bearer " + ts.adminToken())).isEqualTo(101);
    assertThat(ts.upgradeStatus("/x?paused=true", "Bearer " + ts.adminToken())).isEqualTo(101);
    assertThat(ts.upgradeStatus("/x?paused=yes", "Bearer " + ts.adminToken())).isEqualTo(400);
  }
}
