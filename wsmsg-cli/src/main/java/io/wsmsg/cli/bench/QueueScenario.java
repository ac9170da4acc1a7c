package io.wsmsg.cli.bench;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A task queue: P publishers into one endpoint shared by N consumer connections; each
 * message goes to exactly one consumer. Each publisher holds at most {@code inflight} of its
 * messages unconsumed. Reports fairness: each consumer's share of the messages.
 */
final class QueueScenario extends Scenario {
  private AtomicLongArray perConsumer;
  private AtomicLongArray perPublisher;
  private final List<Producer> pubs = new ArrayList<>();
  private volatile Producer[] pubArray;

  /** The shared endpoint: bench-queue with the default prefix. */
  private final String endpoint;

  QueueScenario(BenchSettings s) {
    super(s);
    endpoint = s.endpoint("queue");
  }

  @Override
  int plannedConnections() {
    return s.connections + s.publishers + 1;
  }

  @Override
  String shape() {
    return s.publishers + " publisher" + (s.publishers == 1 ? "" : "s") + " -> endpoint " + endpoint + " shared by "
        + s.connections + " consumer connection" + (s.connections == 1 ? "" : "s");
  }

  @Override
  void setup() throws Exception {
    String channel = env.channel("queue");
    env.reserveProducerLanes(s.publishers);
    int n = s.connections;
    int p = s.publishers;
    perConsumer = new AtomicLongArray(n);
    perPublisher = new AtomicLongArray(p);
    subscriptions.add(new String[] {endpoint, channel});
    List<Future<Nodes.Handle>> consumers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = i;
      if (i == 1) {
        // the first consumer alone, then the others: in a cluster the shared endpoint is then
        // owned by the first --sub-url's gateway rather than by whichever claim won a race
        handles.addAll(all(consumers, 60_000, "connecting the first consumer"));
        consumers.clear();
      }
      consumers.add(Nodes.receiver(env, env.sub(i), "consumer", stats, endpoint, channel, (sentNanos, sender) -> {
        long now = System.nanoTime();
        stats.record(now - sentNanos);
        perConsumer.incrementAndGet(k);
        stats.received.increment();
        Producer[] ps = pubArray;
        if (sender >= 0 && sender < p) {
          perPublisher.incrementAndGet(sender);
          if (ps != null) ps[sender].credit();
        }
      }));
    }
    handles.addAll(all(consumers, 60_000, "connecting " + n + " consumers"));
    List<Future<Nodes.Sender>> txs = new ArrayList<>();
    for (int j = 0; j < p; j++) {
      txs.add(Nodes.sender(env, env.pub(j), "publisher", stats, s.endpoint("queue-pub-" + j), channel, "job"));
    }
    List<Nodes.Sender> senders = all(txs, 30_000, "connecting " + p + " publishers");
    handles.addAll(senders);
    AtomicLong budget = s.count > 0 ? new AtomicLong(s.count) : null;
    for (int j = 0; j < p; j++) {
      int k = j;
      Nodes.Sender tx = senders.get(j);
      pubs.add(new Producer(tx.ctx(), stats, j, s.inflightOrDefault(), s.rate / p, budget) {
        @Override
        long outstanding() {
          return sent - perPublisher.get(k);
        }

        @Override
        void sendOne() {
          tx.sendOne(k);
        }

        @Override
        boolean writeBlocked(Runnable resume) {
          return tx.writeBlocked(resume);
        }
      });
    }
    pubArray = pubs.toArray(new Producer[0]);
    producers.addAll(pubs);
  }

  @Override
  long expected() {
    return stats.sent.sum();
  }

  private long[] minMax() {
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < perConsumer.length(); i++) {
      min = Math.min(min, perConsumer.get(i));
      max = Math.max(max, perConsumer.get(i));
    }
    return new long[] {min, max};
  }

  @Override
  void extra(JsonObject j) {
    long[] mm = minMax();
    long total = received();
    double fair = total / (double) perConsumer.length();
    j.put("consumers", s.connections).put("publishers", s.publishers)
        .put("fairness", new JsonObject()
            .put("minPerConsumer", mm[0]).put("maxPerConsumer", mm[1])
            .put("minShareOfFair", total == 0 ? 0 : round(mm[0] / fair))
            .put("maxShareOfFair", total == 0 ? 0 : round(mm[1] / fair))
            .put("minOverMax", mm[1] == 0 ? 0 : round(mm[0] / (double) mm[1]))
            .put("perConsumer", perConsumerCounts()));
  }

  /** Messages each consumer received, in connection order (consumer i went to the i-th --sub-url round-robin). */
  private io.vertx.core.json.JsonArray perConsumerCounts() {
    io.vertx.core.json.JsonArray a = new io.vertx.core.json.JsonArray();
    for (int i = 0; i < perConsumer.length(); i++) a.add(perConsumer.get(i));
    return a;
  }

  @Override
  void extraText(StringBuilder out) {
    long[] mm = minMax();
    long total = received();
    double fair = total / (double) perConsumer.length();
    out.append(String.format("  fairness    per consumer min %,d  max %,d  (%.2f .. %.2f of an equal share, min/max %.3f)%n",
        mm[0], mm[1], total == 0 ? 0 : mm[0] / fair, total == 0 ? 0 : mm[1] / fair,
        mm[1] == 0 ? 0 : mm[0] / (double) mm[1]));
  }

  static double round(double x) {
    return Math.round(x * 1000) / 1000.0;
  }

  @Override
  String operation() {
    return "consumed message";
  }
}
