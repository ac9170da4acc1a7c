package io.wsmsg.gateway;

import static io.wsmsg.testkit.E2E.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxTestContext;
import io.wsmsg.metrics.Counters.Drop;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * SPEC 5: nodes of one endpoint compete fairly, round-robin among ready nodes. Each worker is
 * read on its own thread; a vertx-junit5 checkpoint counts the messages received.
 */
class FairnessE2ETest extends ServerTestBase {
  static final int NODES = 3;
  static final int MESSAGES = 300;

  @Test
  void threeCompetingNodesShareEvenly() throws Exception {
    VertxTestContext ctx = new VertxTestContext();
    try (TestServer ts = startServer()) {
      List<TestNode> workers = new ArrayList<>();
      // they name their order: a silent node is held for the order grace, which would skew the start
      for (int i = 0; i < NODES; i++) workers.add(ts.node("fair?order=seed").autoAck(true));
      TestNode pub = ts.node("producer");
      awaitConnections(ts, NODES + 1);
      subscribe(ts, pub, "fair", "work");

      // one checkpoint flag per message received by any worker
      Checkpoint received = ctx.checkpoint(MESSAGES);
      List<AtomicInteger> counts = new ArrayList<>();
      Set<Object> seen = Collections.synchronizedSet(new HashSet<>());
      List<Thread> readers = new ArrayList<>();
      AtomicBoolean reading = new AtomicBoolean(true);
      for (TestNode w : workers) {
        AtomicInteger n = new AtomicInteger();
        counts.add(n);
        Thread t = new Thread(() -> {
          while (reading.get()) {
            Frame f = w.poll(50);
            if (f == null) continue;
            ctx.verify(() -> assertThat(seen.add(data(f))).as("each message to exactly one node").isTrue());
            n.incrementAndGet();
            received.flag();
          }
        });
        t.setDaemon(true);
        t.start();
        readers.add(t);
      }

      for (int i = 0; i < MESSAGES; i++) pub.publish("work", "job", i);

      boolean done = ctx.awaitCompletion(60, TimeUnit.SECONDS);
      assertThat(done).as("all messages delivered; per node " + counts + ", queued " + depth(ts, "fair")
          + ", drops " + Arrays.stream(Drop.values())
              .map(d -> d + "=" + drops(ts, d)).toList()).isTrue();
      if (ctx.failed()) throw new AssertionError(ctx.causeOfFailure());
      reading.set(false);
      for (Thread t : readers) t.join();
      for (TestNode w : workers) assertNothing(w);

      // round-robin over the nodes that are ready: a test reader thread paused on a busy machine
      // misses its turns (94/111/95 seen once with one core kept busy), so the bound is 20 %,
      // still far from what a node favoured or starved by the server would get
      int expected = MESSAGES / NODES;
      for (AtomicInteger n : counts) {
        assertThat(n.get()).as("share of one node, all counts " + counts)
            .isBetween(expected - expected / 5, expected + expected / 5);
      }
      assertThat(seen).hasSize(MESSAGES);
      workers.forEach(TestNode::close);
      pub.close();
    }
  }
}
