package io.wsmsg.gateway;

import static io.wsmsg.gateway.TestFrames.queued;
import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.metrics.Counters;
import io.wsmsg.metrics.MemoryBudget;
import io.wsmsg.protocol.Uid;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An endpoint hands each queued message to one ready node, round robin, and settles a leaving node's deliveries. */
class EndpointTest {
  private static final int NO_BOUND = Integer.MAX_VALUE;
  private final Counters counters = new Counters();

  /** A node as the endpoint sees it: ready while not paused and its window has room. */
  private static final class Node implements Consumer {
    final String id;
    final int window;
    final InFlightTable inFlight = new InFlightTable(MemoryBudget.unlimited());
    final List<String> received = new ArrayList<>();
    boolean paused;

    Node(String id, int window) {
      this.id = id;
      this.window = window;
    }

    @Override
    public String nodeId() {
      return id;
    }

    @Override
    public boolean ready() {
      return !paused && inFlight.size() < window;
    }

    @Override
    public void deliver(Queued q) {
      received.add(q.frame().subject());
      inFlight.add(Uid.of(q.frame().uid()), new InFlightTable.Entry(q, Long.MAX_VALUE, 0));
    }

    @Override
    public InFlightTable inFlight() {
      return inFlight;
    }

    void ackAll() {
      for (Queued q : inFlight.held()) inFlight.ack(Uid.of(q.frame().uid()));
    }
  }

  /** Nodes a, b and c (window 10 each), attached in that order. */
  private static Node[] attachThree(Endpoint ep) {
    Node[] nodes = {new Node("a", 10), new Node("b", 10), new Node("c", 10)};
    for (Node n : nodes) ep.attach(n);
    return nodes;
  }

  private Endpoint endpoint(boolean requeueUnacked, long ttlMillis) {
    return new Endpoint("ep", requeueUnacked, ttlMillis, counters, MemoryBudget.unlimited());
  }

  private static void enqueue(Endpoint ep, String... subjects) {
    for (String s : subjects) ep.queue.offer(queued(s, 5), NO_BOUND);
  }

  @Test
  void eachMessageGoesToOneNodeInTurn() {
    Endpoint ep = endpoint(false, 0);
    Node[] abc = attachThree(ep);
    Node a = abc[0], b = abc[1], c = abc[2];
    enqueue(ep, "m1", "m2", "m3", "m4", "m5", "m6", "m7");

    ep.dispatch();

    assertThat(a.received).containsExactly("m1", "m4", "m7");
    assertThat(b.received).containsExactly("m2", "m5");
    assertThat(c.received).containsExactly("m3", "m6");
    assertThat(ep.queue.isEmpty()).isTrue();
  }

  @Test
  void theTurnCarriesOverFromOneDispatchToTheNext() {
    Endpoint ep = endpoint(false, 0);
    Node a = new Node("a", 10);
    Node b = new Node("b", 10);
    ep.attach(a);
    ep.attach(b);

    enqueue(ep, "m1");
    ep.dispatch();
    enqueue(ep, "m2");
    ep.dispatch();

    assertThat(a.received).containsExactly("m1");
    assertThat(b.received).containsExactly("m2");
  }

  @Test
  void aNodeWithAFullWindowOrPausedIsSkippedAndTheRestWaitsInTheQueue() {
    Endpoint ep = endpoint(false, 0);
    Node a = new Node("a", 1);
    Node b = new Node("b", 2);
    Node paused = new Node("paused", 10);
    paused.paused = true;
    ep.attach(a);
    ep.attach(b);
    ep.attach(paused);
    enqueue(ep, "m1", "m2", "m3", "m4", "m5");

    ep.dispatch();

    assertThat(a.received).containsExactly("m1");
    assertThat(b.received).containsExactly("m2", "m3");
    assertThat(paused.received).isEmpty();
    assertThat(ep.queue.size()).isEqualTo(2);

    a.ackAll(); // room again: the next dispatch resumes where the queue stopped
    ep.dispatch();
    assertThat(a.received).containsExactly("m1", "m4");
    assertThat(ep.queue.size()).isEqualTo(1);
  }

  @Test
  void whenTheLastServedNodeLeavesTheTurnPassesToTheNodeAfterIt() {
    Endpoint ep = endpoint(false, 0);
    Node[] abc = attachThree(ep);
    Node a = abc[0], b = abc[1], c = abc[2];
    enqueue(ep, "m1");
    ep.dispatch(); // a served, b is next

    ep.detach(a);
    enqueue(ep, "m2");
    ep.dispatch();

    assertThat(b.received).as("b was next before a left, and still is").containsExactly("m2");
    assertThat(c.received).isEmpty();
  }

  @Test
  void whenTheNextNodeLeavesTheOneAfterItIsServedNotSkipped() {
    Endpoint ep = endpoint(false, 0);
    Node[] abc = attachThree(ep);
    Node a = abc[0], b = abc[1], c = abc[2];
    enqueue(ep, "m1");
    ep.dispatch(); // a served, b is next

    ep.detach(b);
    enqueue(ep, "m2", "m3");
    ep.dispatch();

    assertThat(c.received).containsExactly("m2");
    assertThat(a.received).containsExactly("m1", "m3");
  }

  @Test
  void detachingTheLastNodeInTheListWrapsTheTurnToTheFirst() {
    Endpoint ep = endpoint(false, 0);
    Node a = new Node("a", 10);
    Node b = new Node("b", 10);
    ep.attach(a);
    ep.attach(b);
    enqueue(ep, "m1");
    ep.dispatch(); // a served, b is next

    ep.detach(b);
    ep.detach(new Node("never-attached", 1)); // ignored
    enqueue(ep, "m2");
    ep.dispatch();

    assertThat(a.received).containsExactly("m1", "m2");
  }

  @Test
  void aLeavingNodesUnackedDeliveriesGoBackToTheHeadInOrderWhenTheEndpointRequeues() {
    Endpoint ep = endpoint(true, 0);
    Node leaving = new Node("leaving", 2);
    ep.attach(leaving);
    enqueue(ep, "m1", "m2", "m3");
    ep.dispatch(); // m1, m2 in flight; m3 queued
    Node stays = new Node("stays", 10);
    ep.attach(stays);

    ep.release(leaving, NO_BOUND);

    assertThat(stays.received).containsExactly("m1", "m2", "m3");
    assertThat(leaving.inFlight.size()).isZero();
    assertThat(ep.dropped()).isZero();
  }

  @Test
  void requeuedDeliveriesBeyondTheEndpointSizeAreDroppedAsEndpointFull() {
    Endpoint ep = endpoint(true, 0);
    Node leaving = new Node("leaving", 2);
    ep.attach(leaving);
    enqueue(ep, "m1", "m2", "m3");
    ep.dispatch();

    ep.release(leaving, 2);

    assertThat(ep.queue.size()).isEqualTo(2);
    assertThat(counters.dropped(Counters.Drop.ENDPOINT_FULL)).isEqualTo(1);
  }

  @Test
  void withoutRequeueALeavingNodesUnackedDeliveriesAreLostAndCounted() {
    Endpoint ep = endpoint(false, 0);
    Node leaving = new Node("leaving", 2);
    ep.attach(leaving);
    enqueue(ep, "m1", "m2", "m3");
    ep.dispatch();
    Node stays = new Node("stays", 10);
    ep.attach(stays);

    ep.release(leaving, NO_BOUND);

    assertThat(stays.received).containsExactly("m3");
    assertThat(ep.lostInFlight).isEqualTo(2);
    assertThat(ep.dropped()).isEqualTo(2);
    assertThat(counters.dropped(Counters.Drop.DISCONNECTED)).isEqualTo(2);
  }

  @Test
  void theLifecycleHearsOnlyWhenTheLastNodeLeaves() {
    Endpoint ep = endpoint(true, 0);
    List<Endpoint> told = new ArrayList<>();
    ep.onLastNodeLeft = told::add;
    Node a = new Node("a", 1);
    Node b = new Node("b", 1);
    ep.attach(a);
    ep.attach(b);

    ep.release(a, NO_BOUND);
    assertThat(told).isEmpty();
    ep.release(b, NO_BOUND);
    assertThat(told).containsExactly(ep);
  }

  @Test
  void aMessagePastTheTtlIsDroppedNotHandedOut() {
    Endpoint ep = endpoint(false, 60_000);
    Node a = new Node("a", 10);
    ep.attach(a);
    ep.queue.offer(queued("stale", 5, System.currentTimeMillis() - 120_000), NO_BOUND);
    ep.queue.offer(queued("fresh", 5), NO_BOUND);

    ep.dispatch();

    assertThat(a.received).containsExactly("fresh");
    assertThat(counters.dropped(Counters.Drop.TTL)).isEqualTo(1);
    assertThat(ep.dropped()).isEqualTo(1);
  }
}
