package io.wsmsg.cli.bench;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** One load pattern: sets up its connections, produces, counts, and tears down. */
abstract class Scenario {
  final BenchSettings s;
  final Stats stats = new Stats();
  BenchEnv env;
  /** Everything to close at the end. */
  final List<Nodes.Handle> handles = new ArrayList<>();
  final List<Producer> producers = new ArrayList<>();
  /** (endpoint, channel) subscriptions to remove at the end. */
  final List<String[]> subscriptions = new ArrayList<>();

  /** Shows a setup progress line (set by the runner). */
  java.util.function.Consumer<String> ticker = x -> { };

  Scenario(BenchSettings s) {
    this.s = s;
  }

  /** Connections this scenario opens (sizes the WebSocket client's pool). */
  abstract int plannedConnections();

  /** One line saying who talks to whom, for the summary header. */
  abstract String shape();

  abstract void setup() throws Exception;

  void start() {
    for (Producer p : producers) p.start();
  }

  void stopProducing() {
    for (Producer p : producers) p.stop();
  }

  /** Receipts that should come for what was sent. */
  abstract long expected();

  long received() {
    return stats.received.sum();
  }

  /** True once everything sent has been answered for: received, or given up (rpc timeouts). */
  boolean settled() {
    return received() + stats.timeouts.sum() >= expected();
  }

  /** True when producers stopped by themselves (--count reached) and everything settled. */
  boolean finished() {
    if (producers.isEmpty()) return false;
    for (Producer p : producers) if (!p.stopped()) return false;
    return settled();
  }

  /** What is counted per second for throughput. */
  String unit() {
    return "msg/s";
  }

  /** One operation, as the server's CPU per operation is counted: a receipt of this scenario. */
  String operation() {
    return "message";
  }

  /** The server's resident memory before the connections were opened, when the scenario reads it (conns); else -1. */
  long rssBefore = -1;

  /** Scenario-specific summary fields. */
  void extra(JsonObject summary) {}

  /** Scenario-specific summary lines. */
  void extraText(StringBuilder out) {}

  /** Extra text on the progress line. */
  String progress() {
    return "";
  }

  void teardown() {
    List<Future<?>> fs = new ArrayList<>();
    if (env.control != null) {
      for (String[] sub : subscriptions) fs.add(env.control.unsubscribeChannel(sub[0], sub[1]));
    }
    for (Nodes.Handle h : handles) fs.add(h.close());
    try {
      BenchEnv.await(Future.join(fs), 15_000);
    } catch (Exception ignored) {
      // best effort: the connections close with the Vert.x instance anyway
    }
  }

  /** Waits for all, failing with the first failure's message. */
  static <T> List<T> all(List<Future<T>> fs, long millis, String what) throws Exception {
    try {
      BenchEnv.await(Future.all(fs), millis);
    } catch (java.util.concurrent.TimeoutException e) {
      long done = fs.stream().filter(f -> f.succeeded()).count();
      throw new IllegalStateException(what + ": only " + done + " of " + fs.size() + " ready after " + millis + " ms");
    } catch (Exception e) {
      throw new IllegalStateException(what + ": " + BenchEnv.describe(e), e);
    }
    List<T> out = new ArrayList<>();
    for (Future<T> f : fs) out.add(f.result());
    return out;
  }
}
