package io.wsmsg.bench;

import io.vertx.core.json.JsonObject;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.registry.RegistryBench;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Finding the endpoints of a message among N subscriptions (half literal channels, half
 * wildcard): the cached path every message takes, the uncached path after a subscription
 * change, and a reference lookup for RPC replies.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RoutingBenchmark {
  @Param({"10", "1000"})
  public int subscriptions;

  RegistryBench registry;
  byte[] liveReference;

  @Setup
  public void setUp() {
    registry = new RegistryBench(ServerConfig.of(new JsonObject()));
    for (int i = 0; i < subscriptions; i++) {
      String channel = i % 2 == 0 ? "orders.region" + i : "orders.region" + i + ".*";
      registry.subscribe("ep" + i, Glob.compile(channel), Glob.compile("*"));
    }
    registry.subscribe("audit", Glob.compile("orders.*"), Glob.compile("order.created"));
    liveReference = Ulids.next();
    registry.subscribeMessage("requester", liveReference, System.currentTimeMillis() + 3_600_000);
  }

  @Benchmark
  public String[] cachedMatch() {
    return registry.registry().route("orders.region0", "order.created", null, 0);
  }

  /** Without the cache: the full scan a new (channel, subject) pair costs once. */
  @Benchmark
  public String[] uncachedMatch() {
    return registry.registry().subscriptions().compute("orders.region0", "order.created");
  }

  @Benchmark
  public String[] replyByReference() {
    return registry.registry().route("calc", "add.reply", liveReference, System.currentTimeMillis());
  }
}
