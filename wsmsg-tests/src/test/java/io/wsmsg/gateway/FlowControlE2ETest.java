package io.wsmsg.gateway;

import static io.wsmsg.testkit.E2E.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.metrics.Counters.Drop;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SPEC 5: ack windows, ack timeout, pause and resume. */
class FlowControlE2ETest extends ServerTestBase {
  TestServer ts;

  private void publish(TestNode pub, String channel, int from, int to) {
    for (int i = from; i < to; i++) pub.publish(channel, "m", i);
  }

  @Test
  void defaultWindowIsOneMessageUntilAcked() {
    ts = startServer();
    TestNode worker = node("w");
    TestNode pub = node("pub");
    subscribe(ts, worker, "w", "jobs");
    publish(pub, "jobs", 0, 5);

    Frame first = nextUnacked(worker);
    assertThat(data(first)).isEqualTo(0L);
    awaitDepth(ts, "w", 4); // the other four wait in the endpoint queue, not on the wire
    assertNothing(worker);

    worker.ack(first);
    Frame second = nextUnacked(worker);
    assertThat(data(second)).isEqualTo(1L);
    awaitDepth(ts, "w", 3);
    assertNothing(worker);

    for (Frame f = second; ; ) {
      worker.ack(f);
      if (data(f).equals(4L)) break;
      f = nextUnacked(worker);
    }
    assertNothing(worker);
    assertThat(depth(ts, "w")).isZero();
  }

  @Test
  void windowThreeHoldsThreeUnackedMessages() {
    ts = startServer();
    TestNode worker = node("w?window=3");
    TestNode pub = node("pub");
    subscribe(ts, worker, "w", "jobs");
    publish(pub, "jobs", 0, 6);

    List<Frame> firstThree = nextUnacked(worker, 3);
    assertThat(dataOf(firstThree)).containsExactly(0L, 1L, 2L);
    awaitDepth(ts, "w", 3);
    assertNothing(worker);

    worker.ack(firstThree.get(1)); // acks need not come in order
    assertThat(data(nextUnacked(worker))).isEqualTo(3L);
    awaitDepth(ts, "w", 2);
    assertNothing(worker);

    worker.ack(firstThree.get(0));
    worker.ack(firstThree.get(2));
    assertThat(dataOf(nextUnacked(worker, 2))).containsExactly(4L, 5L);
    assertNothing(worker);
  }

  @Test
  void windowAboveTheConfiguredMaximumIsRefused() {
    ts = startServer(new JsonObject().put("delivery", new JsonObject().put("maxWindow", 8)));
    String auth = "Bearer " + ts.adminToken();
    assertThat(ts.upgradeStatus("/w?window=8", auth)).isEqualTo(101);
    assertThat(ts.upgradeStatus("/w?window=9", auth)).isEqualTo(400);
    assertThat(ts.upgradeStatus("/w?window=0", auth)).isEqualTo(400);
  }

  @Test
  void ackForAnotherUidDoesNotFreeTheSlot() {
    ts = startServer();
    TestNode worker = node("w");
    TestNode pub = node("pub");
    subscribe(ts, worker, "w", "jobs");
    publish(pub, "jobs", 0, 2);
    Frame first = nextUnacked(worker);
    worker.publish("system", "ack", null, new byte[] {1, 2, 3});
    awaitDepth(ts, "w", 1);
    assertNothing(worker);
    worker.ack(first);
    assertThat(data(nextUnacked(worker))).isEqualTo(1L);
  }

  @Test
  void ackTimeoutFreesTheSlotAndIsCounted() {
    ts = startServer(new JsonObject().put("delivery", new JsonObject().put("ackTimeoutSeconds", 1)));
    TestNode worker = node("w");
    TestNode pub = node("pub");
    subscribe(ts, worker, "w", "jobs");
    long before = drops(ts, Drop.ACK_TIMEOUT);
    publish(pub, "jobs", 0, 2);

    Frame first = nextUnacked(worker); // never acked
    assertThat(data(first)).isEqualTo(0L);
    Frame second = nextUnacked(worker); // arrives once the first one's ack is overdue
    assertThat(data(second)).isEqualTo(1L);
    assertThat(drops(ts, Drop.ACK_TIMEOUT)).isEqualTo(before + 1);

    worker.ack(first); // a late ack is ignored
    worker.ack(second);
    pub.publish("jobs", "m", 2);
    assertThat(data(nextUnacked(worker))).isEqualTo(2L);
    assertThat(drops(ts, Drop.ACK_TIMEOUT)).isEqualTo(before + 1);
  }

  @Test
  void pauseStopsDeliveriesAndResumeRestartsThem() {
    ts = startServer();
    TestNode worker = node("w");
    subscribe(ts, worker, "w", "jobs");
    worker.command("pause");
    // a paused node still publishes (and its own endpoint collects what it publishes)
    publish(worker, "jobs", 0, 3);
    awaitDepth(ts, "w", 3);
    assertNothing(worker);

    worker.command("resume");
    List<Frame> got = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Frame f = nextUnacked(worker);
      got.add(f);
      worker.ack(f);
    }
    assertThat(dataOf(got)).containsExactly(0L, 1L, 2L);
    assertNothing(worker);
  }

  @Test
  void pausedNodeIsSkippedInFavourOfAReadyOne() {
    ts = startServer();
    TestNode paused = node("w").autoAck(true);
    TestNode ready = node("w").autoAck(true);
    TestNode pub = node("pub");
    awaitConnections(ts, 3);
    subscribe(ts, pub, "w", "jobs");
    paused.command("pause");
    // the pause is applied when the paused node's next command has been answered
    paused.command("subscribe.channel", "w", "jobs.marker", "*");
    awaitSubscribed(ts, "w", "jobs.marker");
    publish(pub, "jobs", 0, 5);
    assertThat(dataOf(nextUnacked(ready, 5))).containsExactly(0L, 1L, 2L, 3L, 4L);
    assertNothing(paused);
  }
}
