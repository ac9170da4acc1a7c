package io.wsmsg.router;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.wsmsg.metrics.Counters;
import io.wsmsg.metrics.MemoryBudget;
import io.wsmsg.protocol.Frame;
import io.wsmsg.registry.Registry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The node's channel routers, one verticle per channel, deployed on first use. A publish
 * goes to the channel's router over the event bus; frames that arrive while the router is
 * still deploying are parked on its handle and taken over, in order, when it starts.
 */
public final class ChannelRouters {
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final Vertx vertx;
  private final Registry registry;
  private final Counters counters;
  /** The node's message memory; frames in channel queues (and on their way there) count. */
  private final MemoryBudget budget;
  private final PriorityGate gate = new PriorityGate();
  private final ConcurrentHashMap<String, Handle> handles = new ConcurrentHashMap<>();
  private volatile Outbound outbound = Outbound.LOCAL_GATEWAY;

  public ChannelRouters(Vertx vertx, Registry registry, Counters counters) {
    this(vertx, registry, counters, MemoryBudget.unlimited());
  }

  public ChannelRouters(Vertx vertx, Registry registry, Counters counters, MemoryBudget budget) {
    this.budget = budget;
    this.vertx = vertx;
    this.registry = registry;
    this.counters = counters;
  }

  /** Sets where routed messages go (the cluster's owner-aware outbound); before the first publish. */
  public void outbound(Outbound o) {
    this.outbound = o;
  }

  /** Hands a message to its channel's router. Safe from any thread; keeps per-sender order. */
  public void submit(Frame frame) {
    // held from here, so frames on the event bus to a router that is behind count too; the
    // router releases each one once it is forwarded or dropped
    budget.hold(frame);
    Handle h = handles.get(frame.channel());
    if (h == null) h = handles.computeIfAbsent(frame.channel(), this::deploy);
    h.submit(frame);
  }

  private Handle deploy(String channel) {
    Handle h = new Handle("wsmsg.channel." + channel);
    vertx.deployVerticle(new ChannelRouterVerticle(channel, h, registry, gate, counters, outbound, budget))
        .onFailure(e -> Logger.getLogger(ChannelRouters.class.getName())
            .severe("could not start the router of channel " + channel + ": " + e.getMessage()));
    return h;
  }

  /** The node's one budget for message memory (limits.maxQueuedMiB). */
  public MemoryBudget budget() {
    return budget;
  }

  public PriorityGate gate() {
    return gate;
  }

  /** Messages waiting in channel queues, all channels. */
  public int totalDepth() {
    int n = 0;
    for (int p = 0; p <= 100; p++) n += gate.pending(p);
    return n;
  }

  public Map<String, Handle> handles() {
    return java.util.Collections.unmodifiableMap(handles);
  }

  /** A channel router's address, plus the frames parked while it deploys. */
  public final class Handle {
    private final String address;
    private volatile boolean open;
    private List<Frame> parked = new ArrayList<>();

    Handle(String address) {
      this.address = address;
    }

    String address() {
      return address;
    }

    void submit(Frame f) {
      if (open) {
        vertx.eventBus().send(address, f, LOCAL);
        return;
      }
      synchronized (this) {
        if (!open) {
          parked.add(f);
          return;
        }
      }
      vertx.eventBus().send(address, f, LOCAL);
    }

    /** Called by the router once its consumer is registered: takes the parked frames. */
    synchronized List<Frame> open() {
      List<Frame> p = parked;
      parked = null;
      open = true;
      return p;
    }
  }
}
