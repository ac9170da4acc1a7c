package io.wsmsg.server;

import static io.wsmsg.testkit.E2E.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.metrics.Counters.Drop;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.testkit.E2E;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The five messaging patterns of the seed design, over real WebSockets. */
class SeedPatternsTest extends ServerTestBase {
  TestServer ts;

  @BeforeEach
  void start() {
    ts = startServer();
  }

  @Test
  void taskQueue() {
    // workers name their order, so none is held for the order grace while the others start
    List<TestNode> workers = List.of(node("workers?order=seed"), node("workers?order=seed"), node("workers?order=seed"));
    workers.forEach(w -> w.autoAck(true));
    TestNode producer = node("producer");
    awaitConnections(ts, 4);
    subscribe(ts, producer, "workers", "tasks");

    int total = 30;
    for (int i = 0; i < total; i++) producer.publish("tasks", "job", i);

    List<List<Long>> got = new ArrayList<>();
    for (int k = 0; k < workers.size(); k++) got.add(new ArrayList<>());
    AtomicInteger count = new AtomicInteger();
    until("all tasks received", () -> {
      for (int k = 0; k < workers.size(); k++) {
        Frame f = workers.get(k).poll(5);
        if (f != null) {
          assertThat(f.channel()).isEqualTo("tasks");
          got.get(k).add((Long) data(f));
          count.incrementAndGet();
        }
      }
      return count.get() >= total;
    });
    workers.forEach(E2E::assertNothing);

    List<Long> all = new ArrayList<>();
    got.forEach(all::addAll);
    assertThat(all).as("every task exactly once over all workers").hasSize(total)
        .containsExactlyInAnyOrderElementsOf(range(total));
    for (List<Long> mine : got) {
      assertThat(mine).as("each worker gets a share").isNotEmpty();
      assertThat(mine).as("each worker sees its tasks in publish order").isSorted();
    }
  }

  @Test
  void fanout() {
    List<String> endpoints = List.of("audit", "billing", "shipping");
    List<TestNode> subscribers = new ArrayList<>();
    TestNode publisher = node("shop");
    for (String ep : endpoints) {
      subscribers.add(node(ep).autoAck(true));
      subscribe(ts, publisher, ep, "orders.created");
    }
    int total = 10;
    for (int i = 0; i < total; i++) publisher.publish("orders.created", "order", i);

    for (TestNode s : subscribers) {
      List<Frame> frames = nextUnacked(s, total);
      assertThat(frames).allSatisfy(f -> assertThat(f.channel()).isEqualTo("orders.created"));
      assertThat(dataOf(frames)).as("every endpoint gets every message, in order").containsExactlyElementsOf(range(total));
      assertNothing(s);
    }
  }

  @Test
  void directDelivery() {
    TestNode alice = node("alice").autoAck(true);
    TestNode bob = node("bob").autoAck(true);
    TestNode carol = node("carol");
    // each endpoint subscribes to the channel named after it
    subscribe(ts, alice, "alice", "alice");
    subscribe(ts, bob, "bob", "bob");

    carol.publish("alice", "hello", "for alice");
    carol.publish("bob", "hello", "for bob");
    carol.publish("alice", "again", "for alice 2");

    assertThat(dataOf(nextUnacked(alice, 2))).containsExactly("for alice", "for alice 2");
    assertThat(data(nextUnacked(bob))).isEqualTo("for bob");
    assertNothing(alice);
    assertNothing(bob);
    assertNothing(carol);
  }

  @Test
  void rpcWithChannelSubscriptions() {
    TestNode requester = node("client");
    TestNode responder = node("calc");
    subscribe(ts, requester, "client", "calc.reply");
    subscribe(ts, responder, "calc", "calc.request");

    byte[] requestUid = requester.publish("calc.request", "add", List.of(2, 3));

    Frame request = nextUnacked(responder);
    assertThat(request.channel()).isEqualTo("calc.request");
    assertThat(request.subject()).isEqualTo("add");
    assertThat(request.uid()).isEqualTo(requestUid);
    @SuppressWarnings("unchecked")
    List<Long> args = (List<Long>) data(request);
    responder.publish("calc.reply", "add", args.get(0) + args.get(1), request.uid());
    responder.ack(request);

    Frame reply = nextUnacked(requester);
    assertThat(reply.channel()).isEqualTo("calc.reply");
    assertThat(reply.reference()).as("reply references the request").isEqualTo(requestUid);
    assertThat(data(reply)).isEqualTo(5L);
    requester.ack(reply);
    assertNothing(requester);
    assertNothing(responder);
  }

  @Test
  void streamlinedRpcWithMessageSubscriptions() {
    TestNode requester = node("client").autoAck(true);
    TestNode responder = node("calc");
    sinkSystem(ts, responder); // events and forwarded commands go somewhere, so NO_ROUTE counts only replies
    subscribe(ts, responder, "calc", "calc.request");

    byte[] requestUid = Ulids.next();
    // subscribe to replies before publishing the request; the same node's next frame sees the subscription
    requester.command("subscribe.message", "client", requestUid, 1);
    publishWithUid(requester, requestUid, "calc.request", "progress", "work please", null);

    Frame request = nextUnacked(responder);
    assertThat(request.uid()).isEqualTo(requestUid);
    // replies may go on any channel: nobody subscribes to these channels
    responder.publish("progress.x", "step", 1, request.uid());
    responder.publish("whatever", "step", 2, request.uid());
    responder.publish("calc.done", "done", 3, request.uid());
    responder.ack(request);

    List<Frame> replies = nextUnacked(requester, 3);
    assertThat(replies).allSatisfy(f -> assertThat(f.reference()).isEqualTo(requestUid));
    assertThat(dataOf(replies)).containsExactlyInAnyOrder(1L, 2L, 3L);
    Set<String> channels = new HashSet<>();
    replies.forEach(f -> channels.add(f.channel()));
    assertThat(channels).containsExactlyInAnyOrder("progress.x", "whatever", "calc.done");

    // after the 1 s expiry, further replies go nowhere and are counted
    until("message subscription expired", () -> ts.server.registry().messageSubscriptions()
        .endpointsFor(requestUid, System.currentTimeMillis()).length == 0);
    long before = drops(ts, Drop.NO_ROUTE);
    responder.publish("calc.done", "late", 4, request.uid());
    awaitDrops(ts, Drop.NO_ROUTE, before + 1);
    assertNothing(requester);
    assertThat(drops(ts, Drop.NO_ROUTE)).isEqualTo(before + 1);
  }

  static List<Long> range(int n) {
    List<Long> out = new ArrayList<>();
    for (long i = 0; i < n; i++) out.add(i);
    return out;
  }
}
