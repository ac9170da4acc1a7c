package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.E2E;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import org.junit.jupiter.api.Test;

/**
 * With delivery.orderGraceSeconds set, a node that names no order gets its first deliveries
 * in the order of its first frame, even when messages were already queued for its endpoint.
 */
class OrderGraceTest extends ServerTestBase {
  TestServer ts;


  private TestServer withGrace(double seconds) {
    return startServer(new io.vertx.core.json.JsonObject()
        .put("delivery", new io.vertx.core.json.JsonObject().put("orderGraceSeconds", seconds)));
  }

  @Test
  void queuedMessagesWaitForALegacyNodesFirstFrame() {
    // a grace the test thread cannot overrun between the upgrade and its first frame, however
    // busy the machine (0.25 s was): the first frame ends the wait, so nothing waits for it
    ts = withGrace(10);
    try (TestNode admin = ts.node("admin")) {
      admin.command("subscribe.channel", "legacy-ep", "news");
      admin.sync("admin");
      admin.publish("news", "queued-before", 1);
      E2E.awaitDepth(ts, "legacy-ep", 1);
    }
    try (TestNode legacy = ts.node("legacy-ep", ts.adminToken(), WireOrder.LEGACY)) {
      legacy.command("pause"); // its first frame, legacy order, sent right after the upgrade
      legacy.command("resume");
      Frame f = legacy.nextMessage();
      assertThat(f.order()).isEqualTo(WireOrder.LEGACY);
      assertThat(f.subject()).isEqualTo("queued-before");
    }
  }

  @Test
  void aSilentNodeStillGetsItsMessagesAfterTheGracePeriodInTheDefaultOrder() {
    ts = withGrace(0.25);
    try (TestNode admin = ts.node("admin")) {
      admin.command("subscribe.channel", "quiet", "news");
      admin.sync("admin");
      admin.publish("news", "for-a-listener", 1);
      E2E.awaitDepth(ts, "quiet", 1);
    }
    try (TestNode listener = ts.node("quiet")) {
      Frame f = listener.nextMessage();
      assertThat(f.order()).isEqualTo(WireOrder.SEED);
      assertThat(f.subject()).isEqualTo("for-a-listener");
    }
  }
}
