package io.wsmsg.server;

import static io.wsmsg.testkit.E2E.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SPEC 4 and 6: events and commands on {@code system} reach monitors by subscription, and the
 * system priority (100) and channel priorities order what an endpoint receives.
 */
class SystemChannelTest extends ServerTestBase {
  TestServer ts;

  @BeforeEach
  void start() {
    ts = startServer();
  }

  @Test
  void eventsAndCommandsReachAMonitor() {
    TestNode monitor = node("monitor");
    subscribe(ts, monitor, "monitor", "system");
    TestNode admin = node("admin");

    TestNode worker = node("worker");
    // admin may join first: skip to the worker's event
    Frame joined = await(monitor, f -> "system".equals(f.channel()) && "node.joined".equals(f.subject())
        && "worker".equals(((List<?>) data(f)).get(0)));
    @SuppressWarnings("unchecked")
    List<Object> joinedArgs = (List<Object>) data(joined);
    assertThat(joined.reference()).isNull();
    assertThat(joined.uid()).hasSize(16); // a server-made ULID
    String workerNodeId = (String) joinedArgs.get(1);
    assertThat(workerNodeId).hasSize(26);

    byte[] create = admin.command("channel.create", "reports");
    Map<String, Frame> created = nextSystemAll(monitor, "channel.created", "channel.create");
    assertThat(data(created.get("channel.created"))).isEqualTo(List.of("reports"));
    assertThat(created.get("channel.created").reference()).as("event references its command").isEqualTo(create);
    assertThat(created.get("channel.create").uid()).as("the command itself is forwarded").isEqualTo(create);

    byte[] prio = admin.command("channel.priority", "reports", 7);
    Map<String, Frame> prioritized = nextSystemAll(monitor, "channel.prioritized", "channel.priority");
    assertThat(data(prioritized.get("channel.prioritized"))).isEqualTo(List.of("reports", 7L));
    assertThat(prioritized.get("channel.prioritized").reference()).isEqualTo(prio);

    byte[] size = admin.command("endpoint.size", "worker", 5);
    Map<String, Frame> sized = nextSystemAll(monitor, "endpoint.sized", "endpoint.size");
    assertThat(data(sized.get("endpoint.sized"))).isEqualTo(List.of("worker", 5L));
    assertThat(sized.get("endpoint.sized").reference()).isEqualTo(size);

    byte[] ep = admin.command("endpoint.create", "fresh");
    // the event and the forwarded command travel separately: wait for both
    Map<String, Frame> epCreatedAll = nextSystemAll(monitor, "endpoint.created", "endpoint.create");
    Frame epCreated = epCreatedAll.get("endpoint.created");
    assertThat(data(epCreated)).isEqualTo(List.of("fresh"));
    assertThat(epCreated.reference()).isEqualTo(ep);

    worker.close();
    List<Frame> seen = new ArrayList<>();
    Frame left = await(monitor, f -> "node.left".equals(f.subject()), seen);
    seen.add(left);
    assertThat(data(left)).isEqualTo(List.of("worker", workerNodeId));
    // the monitor acked everything it got: acks are never forwarded
    assertThat(seen).noneMatch(f -> "ack".equals(f.subject()));
    assertNothing(monitor);
  }

  @Test
  void subjectFilterOnSystemSelectsEvents() {
    TestNode monitor = node("nodes-only");
    subscribe(ts, monitor, "nodes-only", "system", "node.*");
    TestNode admin = node("admin");
    admin.command("channel.create", "ignored");
    until("channel created", () -> ts.server.registry().hasChannel("ignored"));
    TestNode other = node("other");
    List<String> subjects = new ArrayList<>();
    while (subjects.size() < 2) {
      Frame f = nextUnacked(monitor);
      monitor.ack(f);
      assertThat(f.channel()).isEqualTo("system");
      String s = f.subject() + " " + ((List<?>) data(f)).get(0);
      // the monitor's own join may be routed after its subscription: not what this is about
      if (!s.equals("node.joined nodes-only")) subjects.add(s);
    }
    assertThat(subjects).containsExactlyInAnyOrder("node.joined admin", "node.joined other");
    other.close();
    Frame left = nextUnacked(monitor);
    monitor.ack(left);
    assertThat(left.subject()).isEqualTo("node.left");
    assertNothing(monitor);
  }

  @Test
  void highPriorityBurstComesOutBeforeALowPriorityBurst() {
    TestNode admin = node("admin");
    prioritize(ts, admin, "urgent", 90);
    subscribe(ts, admin, "sink", "bulk");
    subscribe(ts, admin, "sink", "urgent");
    subscribe(ts, admin, "sink", "system", "endpoint.sized");

    int burst = 50;
    for (int i = 0; i < burst; i++) admin.publish("bulk", "b", i);
    for (int i = 0; i < burst; i++) admin.publish("urgent", "u", i);
    awaitDepth(ts, "sink", 2 * burst);
    // a system event queued last still comes first (priority 100)
    byte[] sizeCmd = admin.command("endpoint.size", "elsewhere", 10);
    awaitDepth(ts, "sink", 2 * burst + 1);

    TestNode consumer = node("sink");
    Frame first = nextUnacked(consumer);
    consumer.ack(first);
    assertThat(first.channel()).isEqualTo("system");
    assertThat(first.subject()).isEqualTo("endpoint.sized");
    assertThat(first.reference()).isEqualTo(sizeCmd);
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 2 * burst; i++) {
      Frame f = nextUnacked(consumer);
      consumer.ack(f);
      order.add(f.channel() + "-" + data(f));
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < burst; i++) expected.add("urgent-" + i);
    for (int i = 0; i < burst; i++) expected.add("bulk-" + i);
    assertThat(order).containsExactlyElementsOf(expected);
    assertNothing(consumer);
  }

  @Test
  void clientsCannotPublishEvents() {
    TestNode n = node("n");
    TestNode monitor = node("monitor");
    subscribe(ts, monitor, "monitor", "system", "node.left");
    byte[] uid = n.publish("system", "node.left", List.of("n", Ulids.nextText()));
    Frame error = nextSystem(n, "error");
    assertThat(error.reference()).isEqualTo(uid);
    assertThat(((List<?>) data(error)).get(0)).isEqualTo("forbidden");
    assertNothing(monitor);
  }
}
