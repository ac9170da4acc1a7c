package io.wsmsg.gateway;

import static io.wsmsg.testkit.E2E.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.metrics.Counters.Drop;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SPEC 5: unacknowledged messages of a node that disconnects are dropped (at most once),
 * unless the endpoint matches {@code endpoints.requeueUnacked}: then they go back to the head
 * of the queue and another node gets them (at least once).
 */
class AtLeastOnceE2ETest extends ServerTestBase {
  TestServer ts;

  @BeforeEach
  void start() {
    ts = startServer(new JsonObject().put("endpoints",
        new JsonObject().put("requeueUnacked", new JsonArray().add("jobs*"))));
  }

  @Test
  void unackedMessageOfADepartedNodeGoesToAnotherNodeWhenTheEndpointOptsIn() {
    TestNode pub = node("pub");
    subscribe(ts, pub, "jobs-a", "work");
    TestNode first = node("jobs-a?window=2");
    awaitConnections(ts, 2);
    pub.publish("work", "job", 1);
    pub.publish("work", "job", 2);
    List<Frame> held = nextUnacked(first, 2); // never acked
    assertThat(dataOf(held)).containsExactly(1L, 2L);

    TestNode second = node("jobs-a");
    awaitConnections(ts, 3);
    long disconnected = drops(ts, Drop.DISCONNECTED);
    pub.publish("work", "job", 3); // queued behind the requeued ones once they come back
    first.close();

    List<Object> got = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Frame f = nextUnacked(second);
      got.add(data(f));
      second.ack(f);
    }
    // 3 may reach the second node before the first one leaves; 1 and 2 keep their order
    assertThat(got).containsExactlyInAnyOrder(1L, 2L, 3L);
    assertThat(got.indexOf(1L)).isLessThan(got.indexOf(2L));
    assertNothing(second);
    assertThat(drops(ts, Drop.DISCONNECTED)).isEqualTo(disconnected);
  }

  @Test
  void requeuedMessageKeepsItsUid() {
    TestNode pub = node("pub");
    subscribe(ts, pub, "jobs-b", "work");
    TestNode first = node("jobs-b");
    awaitConnections(ts, 2);
    byte[] uid = pub.publish("work", "job", "once");
    assertThat(nextUnacked(first).uid()).isEqualTo(uid);
    first.close();
    awaitConnections(ts, 1);
    awaitDepth(ts, "jobs-b", 1);

    TestNode later = node("jobs-b");
    Frame again = nextUnacked(later);
    assertThat(again.uid()).isEqualTo(uid);
    assertThat(data(again)).isEqualTo("once");
  }

  @Test
  void withoutTheOptionTheUnackedMessageIsDroppedAndCounted() {
    TestNode pub = node("pub");
    subscribe(ts, pub, "tasks", "work");
    TestNode first = node("tasks");
    awaitConnections(ts, 2);
    pub.publish("work", "job", 1);
    nextUnacked(first); // never acked
    TestNode second = node("tasks");
    awaitConnections(ts, 3);
    long disconnected = drops(ts, Drop.DISCONNECTED);

    first.close();
    awaitDrops(ts, Drop.DISCONNECTED, disconnected + 1);
    assertThat(depth(ts, "tasks")).isZero();
    assertNothing(second);

    pub.publish("work", "job", 2); // the endpoint itself goes on
    assertThat(data(nextUnacked(second))).isEqualTo(2L);
  }
}
