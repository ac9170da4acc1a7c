package io.wsmsg.cli.bench;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * P publishers (one by default), N subscriber endpoints with a connection each: every
 * message is delivered N times. Each publisher holds at most {@code inflight} of its messages
 * that the slowest subscriber has not received yet, so no queue on the way overflows.
 * Publishers connect to the producing side's servers and subscribers to the receiving side's,
 * each round-robin.
 */
final class FanoutScenario extends Scenario {
  /** Receipts per subscriber: the total, and per (subscriber, publisher) at {@code i * P + j}. */
  private AtomicLongArray counts;
  private AtomicLongArray perPair;
  private volatile Producer[] publishers;

  FanoutScenario(BenchSettings s) {
    super(s);
  }

  @Override
  int plannedConnections() {
    return s.connections + s.publishers + 1;
  }

  @Override
  String shape() {
    return s.publishers + " publisher" + (s.publishers == 1 ? "" : "s") + " -> " + s.connections
        + " subscriber endpoint" + (s.connections == 1 ? "" : "s") + " (one connection each)";
  }

  @Override
  void setup() throws Exception {
    String channel = env.channel("fanout");
    int n = s.connections;
    int p = s.publishers;
    env.reserveProducerLanes(p);
    counts = new AtomicLongArray(n);
    perPair = new AtomicLongArray(n * p);
    List<Future<Nodes.Handle>> subs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = i;
      String ep = s.endpoint("fanout-" + i);
      subscriptions.add(new String[] {ep, channel});
      subs.add(Nodes.receiver(env, env.sub(i), "subscriber", stats, ep, channel, (sentNanos, sender) -> {
        long now = System.nanoTime();
        stats.record(now - sentNanos);
        counts.incrementAndGet(k);
        stats.received.increment();
        if (sender >= 0 && sender < p) {
          perPair.incrementAndGet(k * p + sender);
          Producer[] ps = publishers;
          if (ps != null) ps[sender].credit();
        }
      }));
    }
    handles.addAll(all(subs, 60_000, "connecting and subscribing " + n + " subscribers"));
    List<Future<Nodes.Sender>> txs = new ArrayList<>();
    for (int j = 0; j < p; j++) {
      String ep = p == 1 ? s.endpoint("fanout-pub") : s.endpoint("fanout-pub-" + j);
      txs.add(Nodes.sender(env, env.pub(j), "publisher", stats, ep, channel, "tick"));
    }
    List<Nodes.Sender> senders = all(txs, 30_000, p == 1 ? "connecting the publisher" : "connecting " + p + " publishers");
    handles.addAll(senders);
    AtomicLong budget = s.count > 0 ? new AtomicLong(s.count) : null;
    Producer[] ps = new Producer[p];
    for (int j = 0; j < p; j++) {
      int me = j;
      Nodes.Sender tx = senders.get(j);
      ps[j] = new Producer(tx.ctx(), stats, j, s.inflightOrDefault(), s.rate / p, budget) {
        @Override
        long outstanding() {
          long min = Long.MAX_VALUE;
          for (int i = 0; i < n; i++) min = Math.min(min, perPair.get(i * p + me));
          return sent - min;
        }

        @Override
        void sendOne() {
          tx.sendOne(me);
        }

        @Override
        boolean writeBlocked(Runnable resume) {
          return tx.writeBlocked(resume);
        }
      };
    }
    publishers = ps;
    producers.addAll(List.of(ps));
  }

  @Override
  long expected() {
    return stats.sent.sum() * s.connections;
  }

  private long[] minMax() {
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < counts.length(); i++) {
      min = Math.min(min, counts.get(i));
      max = Math.max(max, counts.get(i));
    }
    return new long[] {min, max};
  }

  @Override
  void extra(JsonObject j) {
    long[] mm = minMax();
    j.put("subscribers", s.connections).put("publishers", s.publishers)
        .put("published", stats.sent.sum())
        .put("perSubscriberMin", mm[0]).put("perSubscriberMax", mm[1]);
  }

  @Override
  void extraText(StringBuilder out) {
    long[] mm = minMax();
    out.append(String.format("  per subscriber  min %,d  max %,d received%n", mm[0], mm[1]));
  }

  @Override
  String operation() {
    return "delivery";
  }
}
