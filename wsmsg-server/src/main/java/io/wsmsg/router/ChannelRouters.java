package io.wsmsg.router;

import io.vertx.core.Vertx;
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
 * goes into the channel router's inbox (a lock-free queue on its handle) and the router takes
 * everything waiting there in one task on its event loop; frames that arrive while the router
 * is still deploying are parked on its handle and taken over, in order, when it starts.
 *
 * <p>The inbox replaced one event-bus message per publish (issue 14): the event bus built a
 * message, a send context and a copy of it per frame and ran one task per frame on the
 * router's loop; a publish now costs a queue node, and the router's loop is woken once per
 * batch (see docs/benchmarks.md, "Cost per message").
 */
public final class ChannelRouters {
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
    // held from here, so frames in the inbox of a router that is behind count too; the
    // router releases each one once it is forwarded or dropped
    budget.hold(frame);
    route(frame);
  }

  /** Hands a held frame to its channel's router, deploying one when there is none or it retired. */
  private void route(Frame frame) {
    while (true) {
      Handle h = handles.get(frame.channel());
      if (h == null) h = handles.computeIfAbsent(frame.channel(), this::deploy);
      if (h.submit(frame)) return;
      handles.remove(frame.channel(), h); // its router retired: deploy a new one
    }
  }

  /** True when the channel has a router on this node (a retired one no longer counts). */
  public boolean hasRouter(String channel) {
    return handles.containsKey(channel);
  }

  /** Routers retire after this long without a message (0 = never); set before the first publish. */
  public void idleMillis(long ms) {
    this.idleMillis = ms;
  }

  private volatile long idleMillis;

  private Handle deploy(String channel) {
    // an inbox per router: while a retired router hands over (1 s), new frames already go to
    // the new router's inbox, and the old one passes on what it still finds in its own
    Handle h = new Handle(channel);
    vertx.deployVerticle(new ChannelRouterVerticle(channel, h, registry, gate, counters, outbound, budget, idleMillis))
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

  /**
   * Messages waiting in each channel's queue on this node, for the channels that have a router
   * here (an idle channel's router has retired and holds nothing). Each router is asked on its
   * own event loop; frames parked while a router deploys count as waiting. Any thread.
   */
  public io.vertx.core.Future<Map<String, Integer>> depths() {
    Map<String, io.vertx.core.Future<Integer>> asks = new java.util.TreeMap<>();
    handles.forEach((channel, h) -> asks.put(channel, h.depth()));
    return io.vertx.core.Future.join(new ArrayList<>(asks.values())).transform(ar -> {
      Map<String, Integer> out = new java.util.TreeMap<>();
      asks.forEach((channel, f) -> {
        if (f.succeeded()) out.put(channel, f.result());
      });
      return io.vertx.core.Future.succeededFuture(out);
    });
  }

  /**
   * Messages published on each channel that has a router here, since its router started (a
   * channel idle long enough retires its router and starts again at 0). Any thread.
   */
  public Map<String, Long> published() {
    Map<String, Long> out = new java.util.TreeMap<>();
    handles.forEach((channel, h) -> out.put(channel, h.published.sum()));
    return out;
  }

  public Map<String, Handle> handles() {
    return java.util.Collections.unmodifiableMap(handles);
  }

  /** A channel router's inbox, plus the frames parked while it deploys. */
  public final class Handle {
    private static final int PARKING = 0;
    private static final int OPEN = 1;
    private static final int RETIRED = 2;
    private final String channel;
    private volatile int state = PARKING;
    private List<Frame> parked = new ArrayList<>();
    /** The router, once started (see {@link #open}). */
    private volatile ChannelRouterVerticle router;
    /**
     * Frames for the router, in the order they were submitted (any thread adds, the router's
     * loop takes). A router that retired passes what it still finds here to its successor.
     */
    private final java.util.concurrent.ConcurrentLinkedQueue<Frame> inbox = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Messages handed to this router (the dashboard's per-channel rate); starts at 0 with each router. */
    private final java.util.concurrent.atomic.LongAdder published = new java.util.concurrent.atomic.LongAdder();
    /** True while a task that empties the inbox is scheduled on the router's loop and has not started yet. */
    private final java.util.concurrent.atomic.AtomicBoolean scheduled = new java.util.concurrent.atomic.AtomicBoolean();

    Handle(String channel) {
      this.channel = channel;
    }

    /** False when the router has retired: the caller submits again (to a new router). */
    boolean submit(Frame f) {
      if (state != OPEN) {
        synchronized (this) {
          if (state == PARKING) {
            parked.add(f);
            published.increment();
            return true;
          }
          if (state == RETIRED) return false;
        }
      }
      published.increment();
      inbox.add(f);
      // one task per batch: a frame added after the router cleared the flag schedules the next one
      if (!scheduled.get() && scheduled.compareAndSet(false, true)) router.takeInboxSoon();
      return true;
    }

    /**
     * The next frame of the inbox, or null; called by the router's loop only. The first call
     * of a task clears {@code scheduled} ({@code first}) before looking, so that a frame added
     * meanwhile is never left without a task to take it.
     */
    Frame take(boolean first) {
      if (first) scheduled.set(false);
      return inbox.poll();
    }

    /** The router's queue depth, asked on its loop; the parked frames while it deploys. */
    io.vertx.core.Future<Integer> depth() {
      ChannelRouterVerticle r = router;
      if (r != null) return r.depthOnLoop();
      synchronized (this) {
        return io.vertx.core.Future.succeededFuture(parked == null ? 0 : parked.size());
      }
    }

    /** Called by the router once its consumer is registered: takes the parked frames. */
    synchronized List<Frame> open(ChannelRouterVerticle by) {
      router = by;
      List<Frame> p = parked;
      parked = null;
      state = OPEN;
      return p;
    }

    /**
     * Called by an idle router: new frames go to a new router from now on. A frame a sender
     * was already sending when this happened still reaches the retiring router, which
     * passes it on ({@link #resubmit}) until it undeploys.
     */
    synchronized void retire() {
      state = RETIRED;
      handles.remove(channel, this);
    }

    /** A frame that reached a retired router: routed by a new one. */
    void resubmit(Frame f) {
      route(f); // already held on the budget; a new router takes it (Handle.submit would refuse it)
    }
  }
}
