package io.wsmsg.router;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.wsmsg.metrics.Counters;
import io.wsmsg.metrics.MemoryBudget;
import io.wsmsg.protocol.Frame;
import io.wsmsg.registry.Registry;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One channel's router: its bounded queue, its priority, and forwarding into endpoint queues.
 * Messages arriving together are queued and forwarded in one pass; the queue only fills
 * while the router is behind (or held back by a higher-priority channel) and then drops its
 * oldest message. Routing uses the node's in-memory {@link Registry}; no remote lookups.
 */
public final class ChannelRouterVerticle extends AbstractVerticle {
  private static final int BATCH = 512;

  private final String channel;
  private final boolean system;
  private final ChannelRouters.Handle handle;
  private final Registry registry;
  private final PriorityGate gate;
  private final Counters counters;
  private final ArrayDeque<Frame> queue = new ArrayDeque<>();
  /** The priority under which the queued messages are counted in the gate. */
  private int gatePriority;
  private boolean drainScheduled;
  private final Outbound outbound;
  /** Frames are held from {@link ChannelRouters#submit} until forwarded or dropped here. */
  private final MemoryBudget budget;

  /** Retire after this long without a message (0 = never; system never retires). */
  private final long idleMillis;
  private long lastActive = System.currentTimeMillis();
  private boolean retired;

  ChannelRouterVerticle(String channel, ChannelRouters.Handle handle, Registry registry, PriorityGate gate,
      Counters counters, Outbound outbound, MemoryBudget budget, long idleMillis) {
    this.idleMillis = idleMillis;
    this.outbound = outbound;
    this.budget = budget;
    this.channel = channel;
    this.system = Registry.SYSTEM.equals(channel);
    this.handle = handle;
    this.registry = registry;
    this.gate = gate;
    this.counters = counters;
  }

  @Override
  public void start(Promise<Void> started) {
    gatePriority = registry.channel(channel).priority();
    // Frames submitted while this verticle was being deployed were parked on the handle; later
    // ones come through the handle's inbox (takeInbox).
    List<Frame> parked = handle.open(this);
    for (Frame f : parked) enqueue(f);
    if (idleMillis > 0 && !system) {
      vertx.setPeriodic(Math.max(100, Math.min(5000, idleMillis / 2)), id -> retireIfIdle(id));
    }
    started.complete();
  }

  /**
   * An idle router (empty queue, no message for channels.idleSeconds) leaves: the handle stops
   * taking frames for it, frames already on their way are passed to the next router for a
   * second, then this verticle undeploys. The next publish deploys a new router.
   */
  private void retireIfIdle(long timer) {
    if (retired || !queue.isEmpty() || drainScheduled) return;
    if (System.currentTimeMillis() - lastActive < idleMillis) return;
    retired = true;
    vertx.cancelTimer(timer);
    handle.retire();
    vertx.setTimer(1000, t -> vertx.undeploy(deploymentID()));
  }

  /** Called by a submitting thread (any): empties the handle's inbox on this router's loop. */
  void takeInboxSoon() {
    context.runOnContext(v -> takeInbox());
  }

  /**
   * Takes the frames waiting in the handle's inbox, in order; a retired router passes them on.
   * At most {@link #BATCH} per task: under a flood from several loops the inbox may never run
   * dry, and the drain (queued behind this task) must get its turn.
   */
  private void takeInbox() {
    for (int n = 0; ; n++) {
      if (n == BATCH) {
        context.runOnContext(v -> takeInbox());
        return;
      }
      Frame f = handle.take(n == 0);
      if (f == null) return;
      if (retired) handle.resubmit(f);
      else enqueue(f);
    }
  }

  private void enqueue(Frame f) {
    lastActive = System.currentTimeMillis();
    // at least 1, whatever the registry says: a bound of 0 would loop here on an empty queue
    int bound = Math.max(1, registry.channel(channel).size());
    while (queue.size() >= bound) {
      budget.release(queue.poll());
      gate.add(gatePriority, -1);
      counters.drop(Counters.Drop.CHANNEL_FULL);
    }
    queue.add(f);
    gate.add(gatePriority, 1);
    if (!drainScheduled) {
      drainScheduled = true;
      context.runOnContext(v -> drain());
    }
  }

  private void drain() {
    drainScheduled = false;
    int priority = registry.channel(channel).priority();
    if (priority != gatePriority) { // re-prioritized while messages were queued
      gate.add(gatePriority, -queue.size());
      gate.add(priority, queue.size());
      gatePriority = priority;
    }
    long now = System.currentTimeMillis();
    int batch = BATCH;
    while (!queue.isEmpty()) {
      if (gate.higherPending(priority, registry.priorities())) {
        drainScheduled = true;
        vertx.setTimer(1, id -> drain()); // let the higher-priority routers go first
        return;
      }
      if (batch-- == 0) {
        drainScheduled = true;
        context.runOnContext(v -> drain()); // give other tasks on this event loop a turn
        return;
      }
      Frame f = queue.poll();
      // forward before leaving the gate: a lower-priority router that sees the gate clear
      // must not get its message to the gateway ahead of this one
      forward(f, priority, now);
      gate.add(priority, -1);
    }
  }

  /**
   * Forwards or drops a message, and gives up this router's hold on its memory: to the local
   * gateway with the delivery, else here; a reply waiting for a retry stays held until then.
   */
  private void forward(Frame f, int priority, long now) {
    String[] endpoints = registry.route(f.channel(), f.subject(), f.reference(), now);
    if (endpoints.length == 0) {
      if (!system && f.reference() != null && outbound.lateSubscriptionsPossible()) {
        retryReply(f, priority, 1);
        return;
      }
      // Events and forwarded commands nobody monitors are not lost messages: only count the rest.
      if (!system) counters.drop(Counters.Drop.NO_ROUTE);
      budget.release(f);
      return;
    }
    if (!outbound.forward(vertx, f, endpoints, priority)) budget.release(f);
  }

  /**
   * A message with a reference that nothing matched, in a cluster: the requester's message
   * subscription may be a few milliseconds behind on this member. Route it again after 5, 10,
   * 20 and 40 ms before counting it as dropped. Only such messages wait; they may overtake or
   * be overtaken by later ones, which a reply to a particular request does not mind.
   */
  private void retryReply(Frame f, int priority, int attempt) {
    vertx.setTimer(5L << (attempt - 1), t -> {
      String[] endpoints = registry.route(f.channel(), f.subject(), f.reference(), System.currentTimeMillis());
      if (endpoints.length > 0) {
        if (!outbound.forward(vertx, f, endpoints, priority)) budget.release(f);
      } else if (attempt < 4) {
        retryReply(f, priority, attempt + 1);
      } else {
        counters.drop(Counters.Drop.NO_ROUTE);
        budget.release(f);
      }
    });
  }

  @Override
  public void stop() {
    if (retired) {
      takeInbox(); // frames that raced with the retirement go to the next router
    } else {
      for (Frame f; (f = handle.take(false)) != null; ) budget.release(f); // the node is stopping
    }
    gate.add(gatePriority, -queue.size());
    for (Frame f : queue) budget.release(f);
  }

  /** Messages waiting in this channel's queue (for status and tests). */
  int depth() {
    return queue.size();
  }

  /** The depth of this channel's queue, read on this router's own event loop (any thread may ask). */
  io.vertx.core.Future<Integer> depthOnLoop() {
    io.vertx.core.Promise<Integer> p = io.vertx.core.Promise.promise();
    context.runOnContext(v -> p.complete(queue.size()));
    return p.future();
  }
}
