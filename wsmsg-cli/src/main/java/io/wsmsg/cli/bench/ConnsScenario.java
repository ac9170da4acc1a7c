package io.wsmsg.cli.bench;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Opens N connections at a limited rate (each its own endpoint), holds them, and has each
 * send a ping through the server every {@code --ping-interval}: a message on the run's
 * channel referencing a uid the node's endpoint holds a message subscription for, so it is
 * routed back to the node (publish, channel router, message subscription, endpoint queue,
 * delivery, ack). Reports connect times, failures, connections lost while held, and the
 * ping round trips as the latency.
 */
final class ConnsScenario extends Scenario {
  private final Recorder connectTimes = new Recorder(3);
  private Histogram connectHistogram;
  private final AtomicInteger attempted = new AtomicInteger();
  private final AtomicInteger connected = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger closedEarly = new AtomicInteger();
  private final Map<String, Integer> failures = Collections.synchronizedMap(new LinkedHashMap<>());
  private final List<RawNode> nodes = Collections.synchronizedList(new ArrayList<>());
  private volatile boolean holding = true;
  private volatile boolean pinging;
  private long rampMillis;

  ConnsScenario(BenchSettings s) {
    super(s);
  }

  @Override
  int plannedConnections() {
    return s.connections;
  }

  @Override
  String shape() {
    return s.connections + " connections (an endpoint each), opened at "
        + (s.rate > 0 ? String.format("%,.0f", s.rate) + "/s" : "full speed") + ", each pinging through the server every "
        + s.pingIntervalMillis + " ms";
  }

  @Override
  String unit() {
    return "ping/s";
  }

  @Override
  void setup() throws Exception {
    String channel = env.channel("conns");
    int n = s.connections;
    long expires = (s.warmupMillis + s.durationMillis + s.drainMillis) / 1000 + 120;
    if (s.warmupMillis > 0) {
      // A fresh JVM handshakes slowly (interpreted code, the JIT busy): open and close
      // connections at the same rate for the warmup first, so the ramp measures a warm client.
      int w = (int) Math.min(Math.min(n, 2000), s.rate > 0 ? Math.max(1, s.rate * s.warmupMillis / 1000) : n);
      List<RawNode> warm = Collections.synchronizedList(new ArrayList<>());
      ramp(w, i -> s.endpoint("conns-warm-" + i), "warm-up connection", "warming up", (ep, start, ar) -> {
        if (ar.succeeded()) warm.add(ar.result());
      });
      List<io.vertx.core.Future<?>> closing = new ArrayList<>();
      synchronized (warm) {
        for (RawNode node : warm) closing.add(node.close());
      }
      try {
        BenchEnv.await(io.vertx.core.Future.join(closing), 30_000);
      } catch (Exception ignored) {
        // the warm connections only had to be made
      }
    }
    if (env.usage != null && env.usage.rssIsServerOnly()) rssBefore = env.usage.read().rssBytes();
    rampMillis = ramp(n, i -> s.endpoint("conns-" + i), "connection", "connecting", (ep, start, ar) -> {
      attempted.incrementAndGet();
      if (ar.succeeded()) {
        connectTimes.recordValue(System.nanoTime() - start);
        connected.incrementAndGet();
        prepare(ar.result(), ep, channel, expires);
      } else {
        failed.incrementAndGet();
        failures.merge(BenchEnv.describe(ar.cause()), 1, Integer::sum);
      }
    });
  }

  interface Connected {
    void accept(String endpoint, long startNanos, io.vertx.core.AsyncResult<RawNode> ar);
  }

  /**
   * Opens {@code n} connections, round-robin over the servers, paced by a timer (at most rate x elapsed started; at full
   * speed, 256 handshakes at a time) and waits for all of them; returns the milliseconds taken.
   */
  private long ramp(int n, java.util.function.IntFunction<String> endpoint, String role, String what, Connected then)
      throws InterruptedException {
    Promise<Void> done = Promise.promise();
    AtomicInteger started = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger pending = new AtomicInteger();
    int maxPending = 256;
    long t0 = System.nanoTime();
    Context lane = env.nextLane();
    lane.runOnContext(v -> lane.owner().setPeriodic(1, 5, id -> {
      long elapsed = System.nanoTime() - t0;
      long due = s.rate > 0 ? Math.min(n, (long) (elapsed * s.rate / 1e9) + 1) : n;
      while (started.get() < due && pending.get() < maxPending) {
        int i = started.getAndIncrement();
        String ep = endpoint.apply(i);
        pending.incrementAndGet();
        long start = System.nanoTime();
        RawNode.connect(env, env.pub(i), role, ep, s.window).onComplete(ar -> {
          pending.decrementAndGet();
          if (ar.succeeded()) ok.incrementAndGet();
          then.accept(ep, start, ar);
          if (finished.incrementAndGet() == n) done.tryComplete();
        });
      }
      if (started.get() >= n) lane.owner().cancelTimer(id);
    }));
    long budget = (s.rate > 0 ? (long) (n * 1000 / s.rate) : 0) + 60_000;
    long deadline = System.currentTimeMillis() + budget;
    for (int k = 1; !done.future().isComplete() && System.currentTimeMillis() < deadline; k++) {
      Thread.sleep(100);
      if (k % 10 == 0) {
        ticker.accept(String.format("%s: %,d of %,d open, %,d failed", what, ok.get(), n, finished.get() - ok.get()));
      }
    }
    if (!done.future().isComplete()) {
      failures.merge("no answer within the ramp budget (" + what + ")", n - finished.get(), Integer::sum);
    }
    return (System.nanoTime() - t0) / 1_000_000;
  }

  /** Gives a held node its message subscription and its ping. Runs on the node's context. */
  private void prepare(RawNode node, String ep, String channel, long expires) {
    byte[] ref = node.uids.next();
    node.command("subscribe.message", List.of(ep, ref, expires));
    Frames.Template t = new Frames.Template(channel, "ping", true, s.payload);
    System.arraycopy(ref, 0, t.bytes, t.refOffset, 16);
    node.onNotice = f -> Nodes.notice(stats, f);
    node.onClose = v -> {
      if (holding) closedEarly.incrementAndGet();
    };
    node.onDelivery = f -> {
      int start = channel.equals(f.channel()) ? Frames.payloadStart(f) : -1;
      if (start < 0) {
        stats.foreign.increment();
        return;
      }
      stats.record(System.nanoTime() - Frames.getLong(f.rawBytes(), start));
      stats.received.increment();
    };
    nodes.add(node);
    handles.add(node::close);
    node.pinger = () -> {
      if (!pinging || node.closed) return;
      stats.sent.increment(); // before the write, as Producer does: never a receipt before its send
      node.send(t.make(node.uids, 0));
    };
  }

  @Override
  void start() {
    pinging = true;
    long every = s.pingIntervalMillis;
    synchronized (nodes) {
      for (RawNode node : nodes) {
        long first = 1 + ThreadLocalRandom.current().nextLong(every);
        node.ctx.runOnContext(v -> node.ctx.owner().setPeriodic(first, every, id -> {
          if (!pinging) {
            node.ctx.owner().cancelTimer(id);
            return;
          }
          node.pinger.run();
        }));
      }
    }
  }

  @Override
  void stopProducing() {
    pinging = false;
  }

  @Override
  void teardown() {
    holding = false;
    super.teardown();
  }

  @Override
  long expected() {
    return stats.sent.sum();
  }

  @Override
  String progress() {
    return String.format("open %,d", connected.get() - closedEarly.get());
  }

  /** All connect times; taken once (a Recorder hands each sample out once). */
  private synchronized Histogram connects() {
    if (connectHistogram == null) connectHistogram = connectTimes.getIntervalHistogram();
    return connectHistogram;
  }

  @Override
  void extra(JsonObject j) {
    double[] c = Stats.micros(connects());
    JsonArray why = new JsonArray();
    synchronized (failures) {
      failures.forEach((k, v) -> why.add(new JsonObject().put("reason", k).put("count", v)));
    }
    j.put("conns", new JsonObject()
        .put("attempted", attempted.get()).put("open", connected.get()).put("failed", failed.get())
        .put("closedWhileHeld", closedEarly.get()).put("rampMillis", rampMillis)
        .put("connectMillis", new JsonObject().put("p50", c[0] / 1000).put("p90", c[1] / 1000).put("p99", c[2] / 1000)
            .put("p999", c[3] / 1000).put("max", c[4] / 1000))
        .put("failures", why));
  }

  @Override
  void extraText(StringBuilder out) {
    double[] c = Stats.micros(connects());
    out.append(String.format("  connections %,d attempted, %,d open, %,d failed, %,d closed while held; ramp %.1f s%n",
        attempted.get(), connected.get(), failed.get(), closedEarly.get(), rampMillis / 1000.0));
    out.append(String.format("  connect ms  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f%n",
        c[0] / 1000, c[1] / 1000, c[2] / 1000, c[3] / 1000, c[4] / 1000));
    synchronized (failures) {
      failures.forEach((k, v) -> out.append(String.format("  failure     %,d x %s%n", v, k)));
    }
  }

  @Override
  String operation() {
    return "ping";
  }
}
