package io.wsmsg.cli.bench;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One publisher, N subscriber endpoints with a connection each: every message is delivered N
 * times. The publisher holds at most {@code inflight} messages that the slowest subscriber
 * has not received yet, so no queue on the way overflows.
 */
final class FanoutScenario extends Scenario {
  private AtomicLongArray counts;
  private volatile Producer publisher;

  FanoutScenario(BenchSettings s) {
    super(s);
  }

  @Override
  int plannedConnections() {
    return s.connections + 2;
  }

  @Override
  String shape() {
    return "1 publisher -> " + s.connections + " subscriber endpoint" + (s.connections == 1 ? "" : "s")
        + " (one connection each)";
  }

  @Override
  void setup() throws Exception {
    String channel = env.channel("fanout");
    env.reserveProducerLanes(1);
    int n = s.connections;
    counts = new AtomicLongArray(n);
    List<Future<Nodes.Handle>> subs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = i;
      String ep = "bench-fanout-" + i;
      subscriptions.add(new String[] {ep, channel});
      subs.add(Nodes.receiver(env, stats, ep, channel, (sentNanos, sender) -> {
        long now = System.nanoTime();
        stats.record(now - sentNanos);
        counts.incrementAndGet(k);
        stats.received.increment();
        Producer p = publisher;
        if (p != null) p.credit();
      }));
    }
    handles.addAll(all(subs, 60_000, "connecting and subscribing " + n + " subscribers"));
    Nodes.Sender tx = all(List.of(Nodes.sender(env, stats, "bench-fanout-pub", channel, "tick")), 15_000,
        "connecting the publisher").get(0);
    handles.add(tx);
    AtomicLong budget = s.count > 0 ? new AtomicLong(s.count) : null;
    publisher = new Producer(tx.ctx(), stats, 0, s.inflightOrDefault(), s.rate, budget) {
      @Override
      long outstanding() {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < n; i++) min = Math.min(min, counts.get(i));
        return sent - min;
      }

      @Override
      void sendOne() {
        tx.sendOne(0);
      }

      @Override
      boolean writeBlocked(Runnable resume) {
        return tx.writeBlocked(resume);
      }
    };
    producers.add(publisher);
  }

  @Override
  long expected() {
    return stats.sent.sum() * s.connections;
  }

  @Override
  void extra(JsonObject j) {
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < counts.length(); i++) {
      min = Math.min(min, counts.get(i));
      max = Math.max(max, counts.get(i));
    }
    j.put("subscribers", s.connections).put("publishers", 1)
        .put("published", stats.sent.sum())
        .put("perSubscriberMin", min).put("perSubscriberMax", max);
  }

  @Override
  void extraText(StringBuilder out) {
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < counts.length(); i++) {
      min = Math.min(min, counts.get(i));
      max = Math.max(max, counts.get(i));
    }
    out.append(String.format("  per subscriber  min %,d  max %,d received%n", min, max));
  }
}
