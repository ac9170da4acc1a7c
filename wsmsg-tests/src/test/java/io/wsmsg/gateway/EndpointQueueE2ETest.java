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

/**
 * SPEC 4 endpoint queues: priority order, drop-oldest-of-lowest-priority at the bound, TTL,
 * and collecting messages while no node is attached.
 */
class EndpointQueueE2ETest extends ServerTestBase {
  TestServer ts;

  /** Receives {@code n} messages, acking each, and returns their data. */
  private static List<Object> receive(TestNode node, int n) {
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Frame f;
      try {
        f = nextUnacked(node);
      } catch (AssertionError e) {
        throw new AssertionError("after " + out + ": " + e.getMessage());
      }
      out.add(data(f));
      node.ack(f);
    }
    return out;
  }

  @Test
  void highestPriorityFirstFifoWithinAPriority() {
    ts = startServer();
    TestNode admin = node("admin");
    prioritize(ts, admin, "mid", 5);
    prioritize(ts, admin, "high", 9);
    for (String ch : List.of("low", "mid", "high")) subscribe(ts, admin, "sink", ch);

    String[][] order = {
      {"low", "low-1"}, {"mid", "mid-1"}, {"high", "high-1"}, {"low", "low-2"}, {"high", "high-2"},
      {"mid", "mid-2"}, {"low", "low-3"}, {"high", "high-3"}};
    for (String[] m : order) admin.publish(m[0], "m", m[1]);
    awaitDepth(ts, "sink", order.length); // all queued while no node is attached

    TestNode consumer = node("sink");
    assertThat(receive(consumer, order.length)).containsExactly(
        "high-1", "high-2", "high-3", "mid-1", "mid-2", "low-1", "low-2", "low-3");
    assertNothing(consumer);
  }

  @Test
  void fullQueueDropsTheOldestOfTheLowestPriority() {
    ts = startServer();
    TestNode admin = node("admin");
    prioritize(ts, admin, "mid", 5);
    prioritize(ts, admin, "high", 9);
    for (String ch : List.of("low", "mid", "high")) subscribe(ts, admin, "sink", ch);
    admin.command("endpoint.size", "sink", 3);
    until("sink sized 3", () -> ts.server.registry().endpointSize("sink") == 3);
    long full = drops(ts, Drop.ENDPOINT_FULL);

    // one at a time: messages on different channels pass different routers
    admin.publish("high", "m", "high-1");
    awaitDepth(ts, "sink", 1);
    admin.publish("low", "m", "low-1");
    awaitDepth(ts, "sink", 2);
    admin.publish("low", "m", "low-2");
    awaitDepth(ts, "sink", 3);
    admin.publish("mid", "m", "mid-1"); // drops low-1, the oldest of the lowest priority
    awaitDrops(ts, Drop.ENDPOINT_FULL, full + 1);
    admin.publish("low", "m", "low-3"); // drops low-2
    awaitDrops(ts, Drop.ENDPOINT_FULL, full + 2);
    admin.publish("high", "m", "high-2"); // drops low-3
    awaitDrops(ts, Drop.ENDPOINT_FULL, full + 3);
    admin.publish("mid", "m", "mid-2"); // no low left: drops mid-1
    awaitDrops(ts, Drop.ENDPOINT_FULL, full + 4);
    assertThat(depth(ts, "sink")).isEqualTo(3);

    TestNode consumer = node("sink");
    assertThat(receive(consumer, 3)).containsExactly("high-1", "high-2", "mid-2");
    assertNothing(consumer);
  }

  @Test
  void configuredEndpointSizeBoundsTheQueue() {
    ts = startServer(new JsonObject().put("endpoints", new JsonObject().put("size", 2)));
    TestNode pub = node("pub");
    subscribe(ts, pub, "sink", "news");
    for (int i = 0; i < 5; i++) pub.publish("news", "n", i);
    awaitDrops(ts, Drop.ENDPOINT_FULL, 3);
    assertThat(depth(ts, "sink")).isEqualTo(2);

    TestNode consumer = node("sink");
    assertThat(receive(consumer, 2)).containsExactly(3L, 4L);
    assertNothing(consumer);
  }

  @Test
  void messagesOlderThanTheTtlAreDroppedAndNeverDelivered() {
    ts = startServer(new JsonObject().put("endpoints", new JsonObject().put("ttlSeconds", 0.5)));
    TestNode pub = node("pub");
    subscribe(ts, pub, "sink", "news");
    long before = drops(ts, Drop.TTL);
    for (int i = 0; i < 3; i++) pub.publish("news", "stale", i);
    awaitDrops(ts, Drop.TTL, before + 3);
    assertThat(depth(ts, "sink")).isZero();

    // it names its order, so it is not held for the order grace (longer than this TTL)
    TestNode consumer = node("sink?order=seed");
    assertNothing(consumer);
    pub.publish("news", "fresh", 99); // a node that is there gets it at once
    Frame f = nextUnacked(consumer);
    assertThat(f.subject()).isEqualTo("fresh");
    assertThat(data(f)).isEqualTo(99L);
    consumer.ack(f);
    assertNothing(consumer);
  }

  @Test
  void ttlAlsoDropsMessagesWaitingBehindAPausedNode() {
    ts = startServer(new JsonObject().put("endpoints", new JsonObject().put("ttlSeconds", 0.5)));
    TestNode consumer = node("sink");
    subscribe(ts, consumer, "sink", "news");
    consumer.command("pause");
    long before = drops(ts, Drop.TTL);
    for (int i = 0; i < 3; i++) consumer.publish("news", "stale", i);
    awaitDrops(ts, Drop.TTL, before + 3);
    consumer.command("resume");
    assertNothing(consumer);
  }

  @Test
  void aMessagePastItsTtlIsNotDeliveredEvenBeforeTheNextSweep() {
    // with a 2 s TTL the periodic sweep runs about every 0.5 s; resuming just after the TTL has
    // passed usually comes before the sweep, so the TTL must be checked when delivering too
    ts = startServer(new JsonObject().put("endpoints", new JsonObject().put("ttlSeconds", 2)));
    TestNode consumer = node("sink");
    subscribe(ts, consumer, "sink", "news");
    consumer.command("pause");
    long before = drops(ts, Drop.TTL);
    consumer.publish("news", "stale", 1);
    awaitDepth(ts, "sink", 1);
    long queuedBy = System.currentTimeMillis(); // the message was enqueued before this
    until("the TTL has passed", () -> System.currentTimeMillis() > queuedBy + 2050);
    consumer.command("resume");
    assertNothing(consumer);
    awaitDrops(ts, Drop.TTL, before + 1);
  }

  @Test
  void endpointCollectsMessagesForNodesThatComeLater() {
    ts = startServer();
    TestNode pub = node("pub");
    pub.command("endpoint.create", "later");
    until("endpoint later exists", () -> ts.server.registry().hasEndpoint("later"));
    subscribe(ts, pub, "later", "news");
    for (int i = 0; i < 3; i++) pub.publish("news", "n", i);
    awaitDepth(ts, "later", 3);

    TestNode first = node("later");
    assertThat(receive(first, 2)).containsExactly(0L, 1L);
    Frame third = nextUnacked(first);
    assertThat(data(third)).isEqualTo(2L);
    first.ack(third);
    first.close();
    awaitConnections(ts, 1);

    // the endpoint and its subscription outlive the node
    for (int i = 3; i < 6; i++) pub.publish("news", "n", i);
    awaitDepth(ts, "later", 3);
    TestNode second = node("later");
    assertThat(receive(second, 3)).containsExactly(3L, 4L, 5L);
    assertNothing(second);
  }
}
