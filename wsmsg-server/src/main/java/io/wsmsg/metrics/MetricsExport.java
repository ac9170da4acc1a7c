package io.wsmsg.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wsmsg.registry.Registry;
import io.wsmsg.router.ChannelRouters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code /metrics} exports: the node's {@link Counters}, registry sizes, queue depths
 * (totals, and the deepest endpoints and channels by name), build information, and the JVM
 * and process metrics of Micrometer's binders. Everything is read when Prometheus scrapes:
 * the message path only increments counters, and queue depths are gathered by the gateway
 * and the channel routers on their own event loops about once a second.
 */
public final class MetricsExport implements AutoCloseable {
  private final Counters counters;
  private final ChannelRouters routers;
  private final int topN;
  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final MultiGauge deepestEndpoints;
  private final MultiGauge deepestChannels;

  public MetricsExport(Counters counters, Registry wsmsgRegistry, ChannelRouters routers, int topN) {
    this.counters = counters;
    this.routers = routers;
    this.topN = topN;
    this.registry = counters.registry;
    PrometheusMeterRegistry r = registry;

    new JvmMemoryMetrics().bindTo(r);
    gc.bindTo(r);
    new JvmThreadMetrics().bindTo(r);
    new ClassLoaderMetrics().bindTo(r);
    new ProcessorMetrics().bindTo(r);
    new UptimeMetrics().bindTo(r);
    new FileDescriptorMetrics().bindTo(r);

    BuildInfo build = BuildInfo.current();
    Gauge.builder("wsmsg.build.info", () -> 1)
        .tags("version", build.version(), "java", build.java(), "vertx", build.vertx())
        .description("always 1: the wsmsg, Java and Vert.x versions of this process are in its labels").register(r);

    counter(r, "wsmsg.messages.in", counters.messagesIn, "messages received from nodes, commands included");
    counter(r, "wsmsg.messages.out", counters.messagesOut, "messages delivered to nodes from endpoint queues");
    counter(r, "wsmsg.received.bytes", counters.bytesIn, "bytes of binary WebSocket messages received from nodes");
    counter(r, "wsmsg.sent.bytes", counters.bytesOut,
        "bytes of binary WebSocket messages sent to nodes (deliveries and notices)");
    counter(r, "wsmsg.commands", counters.commands, "commands received on channel system (acks excluded)");
    counter(r, "wsmsg.errors.sent", counters.errorsSent, "error messages sent to nodes");
    for (Counters.Drop d : Counters.Drop.values()) {
      FunctionCounter.builder("wsmsg.messages.dropped", counters.droppedAdder(d), a -> a.sum())
          .tag("reason", d.name().toLowerCase(Locale.ROOT)).description("messages dropped, by reason").register(r);
    }
    for (Counters.Refusal c : Counters.Refusal.values()) {
      FunctionCounter.builder("wsmsg.connections.refused", counters.refusedAdder(c), a -> a.sum())
          .tag("reason", c.name().toLowerCase(Locale.ROOT))
          .description("connections refused before their upgrade, or closed for abuse, by reason").register(r);
    }
    for (Counters.ManagementRefusal c : Counters.ManagementRefusal.values()) {
      FunctionCounter.builder("wsmsg.management.refused", counters.managementRefusedAdder(c), a -> a.sum())
          .tag("reason", c.name().toLowerCase(Locale.ROOT))
          .description("management port requests refused (401, 403), by reason").register(r);
    }
    Gauge.builder("wsmsg.pending.upgrades", counters.pendingUpgrades, a -> a.get())
        .description("TCP connections admitted and not upgraded to a WebSocket yet").register(r);
    Gauge.builder("wsmsg.connections", counters.connections, a -> a.get()).description("open node connections")
        .register(r);
    Gauge.builder("wsmsg.channel.queue.depth", routers, ChannelRouters::totalDepth)
        .description("messages waiting in channel queues").register(r);
    Gauge.builder("wsmsg.endpoint.queue.depth", counters, c -> c.endpointDepths.total())
        .description("messages waiting in endpoint queues (refreshed each second)").register(r);
    deepestEndpoints = MultiGauge.builder("wsmsg.endpoint.queue.depth.top")
        .description("messages waiting in each of the metrics.topN deepest endpoint queues (refreshed each second)")
        .register(r);
    deepestChannels = MultiGauge.builder("wsmsg.channel.queue.depth.top")
        .description("messages waiting in each of the metrics.topN deepest channel queues (refreshed each second)")
        .register(r);
    Gauge.builder("wsmsg.subscriptions", wsmsgRegistry, g -> g.subscriptions().size())
        .description("channel subscriptions").register(r);
    Gauge.builder("wsmsg.message.subscriptions", wsmsgRegistry, g -> g.messageSubscriptions().size())
        .description("live message subscriptions").register(r);
    Gauge.builder("wsmsg.channels", wsmsgRegistry, Registry::channelCount).description("channels").register(r);
    Gauge.builder("wsmsg.endpoints", wsmsgRegistry, Registry::endpointCount).description("endpoints").register(r);
  }

  private static void counter(PrometheusMeterRegistry r, String name, java.util.concurrent.atomic.LongAdder adder,
      String description) {
    FunctionCounter.builder(name, adder, a -> a.sum()).description(description).register(r);
  }

  /**
   * Whether {@link #scrape} lists the deepest queues: only then does the caller need to ask the
   * channel routers for their depths first.
   */
  public boolean listsDeepest() {
    return topN > 0;
  }

  /**
   * The Prometheus text. The deepest queues are listed afresh each time, from the gateway's
   * latest picture and {@code channelDepths} (what {@link ChannelRouters#depths()} answered
   * for this scrape), so a queue that emptied or fell out of the top N leaves the output. Call
   * it off the message path (a worker thread).
   */
  public String scrape(java.util.Map<String, Integer> channelDepths) {
    if (topN > 0) {
      deepestEndpoints.register(rows(counters.endpointDepths, "endpoint"), true);
      QueueDepths.Builder channels = QueueDepths.builder(topN);
      channelDepths.forEach(channels::add);
      deepestChannels.register(rows(channels.build(routers.totalDepth()), "channel"), true);
    }
    return registry.scrape();
  }

  private static List<MultiGauge.Row<?>> rows(QueueDepths depths, String label) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>(depths.top().size());
    for (QueueDepths.Entry e : depths.top()) rows.add(MultiGauge.Row.of(Tags.of(label, e.name()), e.depth()));
    return rows;
  }

  /** Stops the binders that listen to the JVM (the garbage collector's notifications). */
  @Override
  public void close() {
    gc.close();
  }
}
