package io.wsmsg.gateway;

import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import io.wsmsg.metrics.Counters;
import io.wsmsg.metrics.MemoryBudget;
import io.wsmsg.protocol.Frame;
import io.wsmsg.registry.Registry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The endpoints this gateway owns, by name: their queues within the endpoint sizes and the
 * node's message memory, the hand-out of messages to nodes and their acks, and the sweeps that
 * expire overdue acks and old messages. Gateway event loop only.
 */
final class EndpointTable {
  private final ServerConfig config;
  private final Registry registry;
  private final Counters counters;
  /** The gateway's log: memory warnings have always been its lines. */
  private final Logger log;
  /** The node's message memory (limits.maxQueuedMiB), shared with the channel routers. */
  final MemoryBudget budget;
  private final List<Glob> requeueGlobs = new ArrayList<>();
  private final Map<String, Endpoint> endpoints = new HashMap<>();
  /** Told when the last node of an endpoint leaves (endpoint lifecycle). */
  private final java.util.function.Consumer<Endpoint> onLastNodeLeft;
  /** The gateway instance holding these queues (see {@link Gateways}). */
  int instance;
  /** Set when the state is captured for the snapshot or handed off: nothing more leaves the queues. */
  boolean frozen;

  EndpointTable(ServerConfig config, Registry registry, Counters counters, MemoryBudget budget, Logger log,
      java.util.function.Consumer<Endpoint> onLastNodeLeft) {
    this.config = config;
    this.registry = registry;
    this.counters = counters;
    this.budget = budget;
    this.log = log;
    this.onLastNodeLeft = onLastNodeLeft;
    this.memoryRefusedLog = new RateLimitedLog(log, 60_000);
    this.memoryEvictedLog = new RateLimitedLog(log, 60_000);
    for (String g : config.requeueUnacked) requeueGlobs.add(Glob.compile(g));
  }

  /** Names of the owned endpoints (a copy). */
  List<String> names() {
    return new ArrayList<>(endpoints.keySet());
  }

  int size() {
    return endpoints.size();
  }

  /** The endpoint's size (endpoints.size). */
  int endpointSize(String name) {
    return registry.endpointSize(name);
  }

  /** The endpoints this gateway owns. */
  java.util.Collection<Endpoint> all() {
    return endpoints.values();
  }

  /** The owned endpoint by that name, or null (never creates one). */
  Endpoint get(String name) {
    return endpoints.get(name);
  }

  boolean holds(String name) {
    return endpoints.containsKey(name);
  }

  /** Forgets an owned endpoint (it moved to another member); its queue is the caller's. */
  Endpoint remove(String name) {
    return endpoints.remove(name);
  }

  boolean requeues(String name) {
    for (Glob g : requeueGlobs) if (g.matches(name)) return true;
    return false;
  }

  /** The endpoint this gateway owns by that name, created on first use. */
  Endpoint endpoint(String name) {
    Endpoint ep = endpoints.get(name);
    if (ep == null) {
      ep = new Endpoint(name, requeues(name), config.endpointTtlMillis, counters, budget);
      ep.onLastNodeLeft = onLastNodeLeft;
      endpoints.put(name, ep);
    }
    return ep;
  }

  /** Puts messages at the head of an owned endpoint's queue (see {@link OwnershipHost#putFirst}). */
  void putFirst(String name, List<Queued> queued) {
    Endpoint e = endpoint(name);
    for (int i = queued.size() - 1; i >= 0; i--) e.queue.offerFirst(queued.get(i));
    trimToLimits(e);
    e.dispatch();
  }

  /** Gives up an owned endpoint (see {@link OwnershipHost#surrender}). */
  List<Queued> surrender(String name) {
    Endpoint e = endpoints.remove(name);
    if (e == null) return null;
    List<Queued> out = new ArrayList<>();
    if (e.requeueUnacked) {
      for (Consumer c : e.nodes) out.addAll(c.inFlight().held());
    }
    while (!e.queue.isEmpty()) out.add(e.queue.poll());
    return out;
  }

  /** Puts a routed message into an endpoint queue this gateway owns, and delivers what it can. */
  void enqueue(String name, Frame frame, int priority) {
    Endpoint ep = endpoint(name);
    int dropped = ep.queue.offer(new Queued(frame, priority, System.currentTimeMillis()), registry.endpointSize(name));
    if (dropped > 0) counters.drop(Counters.Drop.ENDPOINT_FULL, dropped);
    trimToLimits(ep);
    ep.dispatch();
  }

  /**
   * Books a message leaving an endpoint queue for a node, local or remote: it now waits for
   * that node's ack (until the ack timeout), and its time in the queue is recorded.
   */
  void handOut(Consumer c, Queued q) {
    long now = System.currentTimeMillis();
    c.inFlight().add(io.wsmsg.protocol.Uid.of(q.frame().uid()),
        new InFlightTable.Entry(q, now + config.ackTimeoutMillis, System.nanoTime()));
    counters.queueWait.record(Math.max(0, now - q.enqueuedAt()), java.util.concurrent.TimeUnit.MILLISECONDS);
    if (budget.inFlightFull()) inFlightWasFull = true;
  }

  /** Set when in-flight deliveries filled their share of the budget: the ack sweep dispatches everything once it clears. */
  private boolean inFlightWasFull;

  /**
   * In-flight bytes per identity of this node's sessions (limits.maxInFlightMiBPerIdentity);
   * one map for every gateway instance (see {@link Gateways}).
   */
  java.util.concurrent.ConcurrentHashMap<String, IdentityLoad> loads = new java.util.concurrent.ConcurrentHashMap<>();

  /** The shared load of an identity's sessions; null in auth mode none, where everyone is one identity. */
  IdentityLoad loadOf(String subject) {
    if ("none".equals(config.authMode)) return null;
    return loads.compute(subject, (k, l) -> {
      if (l == null) l = new IdentityLoad(k);
      l.sessions++;
      return l;
    });
  }

  /** A session of that identity closed (after its in-flight deliveries were settled). */
  void unload(IdentityLoad l) {
    if (l == null) return;
    loads.computeIfPresent(l.subject, (k, v) -> --v.sessions <= 0 && v.inFlightBytes.get() <= 0 ? null : v);
  }

  long maxInFlightPerIdentity() {
    return config.maxInFlightBytesPerIdentity;
  }

  /** A node was held back by its identity's in-flight share: dispatch everything once acks make room. */
  void heldBack() {
    inFlightWasFull = true;
  }

  /** An ack from a node of an owned endpoint: frees its slot and lets the endpoint deliver again. */
  void acked(Consumer c, Endpoint ep, byte[] uid) {
    InFlightTable.Entry done = c.inFlight().ack(io.wsmsg.protocol.Uid.of(uid));
    if (done != null) {
      counters.ackLatency.record(System.nanoTime() - done.sentNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
      ep.dispatch();
    }
    // an unknown uid is a late ack (after the timeout) or an ack of an error/stopping notice: ignored
  }

  /** Drops a node's deliveries whose ack is overdue (counted lost) and lets the endpoint go on. */
  void expireAcks(Consumer c, Endpoint ep, long now) {
    int n = c.inFlight().expire(now, e -> io.wsmsg.protocol.Uid.of(e.queued.frame().uid()));
    if (n > 0) {
      counters.drop(Counters.Drop.ACK_TIMEOUT, n);
      ep.lostInFlight += n;
      ep.dispatch();
    }
  }

  /** Applies the endpoint's size and the node's memory budget after messages were added. */
  void trimToLimits(Endpoint ep) {
    int dropped = ep.queue.trim(registry.endpointSize(ep.name));
    if (dropped > 0) counters.drop(Counters.Drop.ENDPOINT_FULL, dropped);
    if (budget.over()) evict(0);
  }

  /**
   * Whether a publish may enter the node: its frame must fit in the memory budget. Queued,
   * undelivered messages make room first (see {@link #evict}); what cannot be evicted (channel
   * queues, in-flight deliveries) refuses the publish, so its publisher learns with a
   * {@code limit} error rather than a message vanishing. Gateway loop.
   */
  boolean admit(Frame f) {
    if (budget.fits(f.size())) return true;
    evict(f.size() + io.wsmsg.metrics.MemoryBudget.OVERHEAD);
    return budget.fits(f.size());
  }

  /** A publish is refused: nothing evictable was left (logged at most once a minute). */
  void refusedForMemory() {
    memoryRefusedLog.log("the message memory of " + (budget.limit() >> 20) + " MiB (limits.maxQueuedMiB) is full of"
        + " messages waiting in channel queues or for acks: refusing publishes with a limit error");
  }

  /** One line a minute at most, however long a flood lasts. */
  private final RateLimitedLog memoryRefusedLog;
  private final RateLimitedLog memoryEvictedLog;

  /**
   * Frees memory until {@code room} more bytes fit in the budget (0: until it is within it),
   * or no endpoint queue holds anything: each time the largest queue, by bytes, gives up its
   * oldest message of the lowest priority (counted {@code memory}). The largest queue pays,
   * so an endpoint nobody reads cannot keep the node full while the others starve. A frame
   * shared with other queues frees nothing until its last queue lets go of it. O(endpoints)
   * per eviction, and only when the budget is full.
   */
  void evict(long room) {
    int dropped = 0;
    while (budget.used() + room > budget.limit()) {
      Endpoint largest = null;
      for (Endpoint e : endpoints.values()) {
        if (!e.queue.isEmpty() && (largest == null || e.queue.bytes() > largest.queue.bytes())) largest = e;
      }
      if (largest == null) break;
      largest.queue.dropOldestOfLowest();
      dropped++;
    }
    if (dropped > 0) {
      counters.drop(Counters.Drop.MEMORY, dropped);
      memoryEvictedLog.log("the message memory of " + (budget.limit() >> 20) + " MiB (limits.maxQueuedMiB) is full:"
          + " dropping the oldest messages of the largest endpoint queues (counted as dropped: memory)");
    }
  }

  /**
   * After the ack sweep expired overdue deliveries: when nodes were held back while in-flight
   * deliveries filled their share of the budget and there is room now, every endpoint delivers.
   */
  void dispatchHeldBack() {
    if (inFlightWasFull && !frozen && !budget.inFlightFull()) {
      // nodes held back while in-flight deliveries filled half the budget (or their identity's
      // share of it): an ack elsewhere made room, but only its own endpoint was dispatched
      inFlightWasFull = false;
      for (Endpoint ep : new ArrayList<>(endpoints.values())) if (!ep.queue.isEmpty()) ep.dispatch();
    }
  }

  /**
   * Drops expired messages, trims queues whose endpoint was sized below its depth, and
   * publishes the queue depths for the metrics (the total and the metrics.topN deepest).
   */
  void sweepTtl() {
    long cutoff = System.currentTimeMillis() - config.endpointTtlMillis;
    io.wsmsg.metrics.QueueDepths.Builder depths = io.wsmsg.metrics.QueueDepths.builder(config.metricsTopN);
    for (Endpoint ep : endpoints.values()) {
      if (config.endpointTtlMillis > 0) {
        int n = ep.queue.expire(cutoff);
        if (n > 0) counters.drop(Counters.Drop.TTL, n);
      }
      int over = ep.queue.trim(registry.endpointSize(ep.name));
      if (over > 0) counters.drop(Counters.Drop.ENDPOINT_FULL, over);
      depths.add(ep.name, ep.queue.size());
    }
    counters.endpointDepths(instance, depths.build(), config.metricsTopN);
  }

  /** Before deployment only: puts a restored message at the tail of its endpoint queue. */
  void restoreQueued(String endpointName, Queued q) {
    endpoint(endpointName).queue.offer(q, Integer.MAX_VALUE);
  }

  /** Before deployment only: forgets every restored message (the snapshot was refused half way). */
  void forgetRestored() {
    for (Endpoint ep : endpoints.values()) {
      while (ep.queue.poll() != null) {
        // each poll gives the frame's hold on the memory budget back
      }
    }
    endpoints.clear();
  }

  /**
   * Stops all deliveries and returns every endpoint's queued messages in dequeue order. For
   * endpoints with at-least-once requeueing, unacknowledged deliveries come first, as they
   * would after their node left. The lists are copies of references, the frames are shared.
   */
  Map<String, List<Queued>> freezeAndCapture() {
    frozen = true;
    Map<String, List<Queued>> out = new HashMap<>();
    for (Endpoint ep : endpoints.values()) {
      List<Queued> list = new ArrayList<>();
      if (ep.requeueUnacked) {
        for (Consumer c : ep.nodes) list.addAll(c.inFlight().held());
      }
      list.addAll(ep.queue.toList());
      if (!list.isEmpty()) out.put(ep.name, list);
    }
    return out;
  }

  /** Every owned endpoint as the status page shows it. */
  List<GatewayVerticle.EndpointStatus> status() {
    List<GatewayVerticle.EndpointStatus> out = new ArrayList<>();
    for (Endpoint ep : endpoints.values()) {
      int inFlight = 0;
      for (Consumer c : ep.nodes) inFlight += c.inFlight().size();
      out.add(new GatewayVerticle.EndpointStatus(ep.name, ep.queue.size(), ep.nodes.size(), inFlight));
    }
    return out;
  }

  /** Queue depth of every owned endpoint. */
  Map<String, Integer> depths() {
    Map<String, Integer> m = new HashMap<>();
    endpoints.forEach((k, ep) -> m.put(k, ep.queue.size()));
    return m;
  }
}
