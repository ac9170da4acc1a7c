package io.wsmsg.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.E2E;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Configured limits refuse clearly, and a shrunk endpoint queue is trimmed without new traffic. */
class LimitsTest extends ServerTestBase {
  TestServer ts;


  @Test
  void publishingToANewChannelBeyondMaxChannelsIsRefusedWithLimit() {
    // "system" is one channel, so two leaves room for exactly one more
    ts = startServer(new JsonObject().put("limits", new JsonObject().put("maxChannels", 2)));
    try (TestNode node = ts.node("a")) {
      E2E.subscribe(ts, node, "a", "*");
      node.publish("first", "s", 1);
      Frame first = node.nextMessage();
      assertThat(first.channel()).isEqualTo("first");
      node.ack(first);
      E2E.until("channel first registered", () -> ts.server.registry().hasChannel("first"));

      byte[] uid = node.publish("second", "s", 2);
      Frame err = node.nextSystem("error");
      assertThat(err.reference()).isEqualTo(uid);
      List<?> data = (List<?>) TestNode.data(err);
      assertThat(data.get(0)).isEqualTo("limit");
      assertThat((String) data.get(1)).contains("maxChannels").contains("second");
      assertThat(ts.server.registry().hasChannel("second")).isFalse();

      node.publish("first", "again", 3); // the existing channel still works
      assertThat(node.nextMessage().subject()).isEqualTo("again");
    }
  }

  @Test
  void sizingAnEndpointBelowItsDepthTrimsTheOldestAtOnce() {
    ts = startServer();
    try (TestNode admin = ts.node("admin")) {
      E2E.subscribe(ts, admin, "offline", "jobs");
      for (int i = 0; i < 5; i++) admin.publish("jobs", "j" + i, i);
      E2E.awaitDepth(ts, "offline", 5);
      admin.command("endpoint.size", "offline", 2);
      E2E.awaitDepth(ts, "offline", 2);
      E2E.awaitDrops(ts, Counters.Drop.ENDPOINT_FULL, 3);
    }
    try (TestNode node = ts.node("offline")) {
      Frame a = node.nextMessage();
      node.ack(a);
      Frame b = node.nextMessage();
      assertThat(List.of(a.subject(), b.subject())).containsExactly("j3", "j4");
    }
  }

  @Test
  void subscriptionsBeyondMaxSubscriptionsAreRefusedWithLimit() {
    ts = startServer(new JsonObject().put("limits", new JsonObject().put("maxSubscriptions", 2)));
    try (TestNode node = ts.node("a")) {
      E2E.subscribe(ts, node, "a", "one");
      E2E.subscribe(ts, node, "a", "two");
      node.command("subscribe.channel", "a", "two"); // idempotent: not a new subscription, no error
      byte[] uid = node.command("subscribe.channel", "a", "three");
      Frame err = node.nextSystem("error");
      assertThat(err.reference()).isEqualTo(uid);
      assertThat(((List<?>) TestNode.data(err)).get(0)).isEqualTo("limit");
      assertThat(ts.server.registry().subscriptions().size()).isEqualTo(2);
    }
  }

  @Test
  void queuedBytesBeyondMaxQueuedMiBEvictTheOldestOfTheLargestEndpoint() {
    ts = startServer(new JsonObject().put("limits", new JsonObject().put("maxQueuedMiB", 1)));
    byte[] blob = new byte[300 * 1024];
    try (TestNode admin = ts.node("admin")) {
      E2E.subscribe(ts, admin, "offline", "blobs");
      for (int i = 0; i < 5; i++) {
        admin.publish("blobs", "b" + i, blob);
        // once queued at the endpoint a message can be evicted for a newer one; while it is
        // still in the channel queue a publish that does not fit is refused instead
        E2E.awaitDepth(ts, "offline", Math.min(i + 1, 3));
      }
      E2E.awaitDrops(ts, Counters.Drop.MEMORY, 2);
      E2E.awaitDepth(ts, "offline", 3);
      assertThat(E2E.drops(ts, Counters.Drop.ENDPOINT_FULL)).isZero();
    }
    try (TestNode node = ts.node("offline")) {
      Frame first = node.nextMessage();
      assertThat(first.subject()).as("the two oldest went").isEqualTo("b2");
    }
  }
}
