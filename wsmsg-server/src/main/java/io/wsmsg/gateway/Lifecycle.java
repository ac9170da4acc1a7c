package io.wsmsg.gateway;

import io.vertx.core.eventbus.DeliveryOptions;
import io.wsmsg.metrics.Counters;
import io.wsmsg.registry.RegistryCommand;
import io.wsmsg.registry.RegistryReply;
import io.wsmsg.registry.RegistryVerticle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reclaims endpoints nobody uses, so that clients that come and go (every CLI run without
 * {@code --endpoint}, every Java client with a generated name) do not fill the server for good:
 *
 * <ul>
 *   <li>an <b>ephemeral</b> endpoint (created by a node that asked with {@code ?ephemeral=1})
 *       is removed with its subscriptions and message subscriptions once it has had no node
 *       and an empty (or expired) queue for endpoints.ephemeralGraceSeconds;
 *   <li>any other endpoint is removed once it has had no node, no subscription, no message
 *       subscription and an empty queue for endpoints.idleSeconds (0 = never).
 * </ul>
 *
 * <p>The gateway that owns an endpoint (holds its queue and sees all its nodes, remote ones
 * included) decides; an endpoint nobody owns is decided by the member rendezvous hashing
 * picks, so exactly one member acts. The registry removes it everywhere (and checks again that
 * an idle endpoint still has no subscription), the owner drops its queue and releases its
 * ownership claim. Nothing is reclaimed while the server stops: the snapshot keeps what the
 * connected nodes were using. Runs on the gateway's event loop.
 */
final class Lifecycle {
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final GatewayVerticle gw;
  /** When each endpoint was first seen unused (by the rules above). */
  private final Map<String, Long> idleSince = new HashMap<>();
  /** Endpoints whose removal the registry is applying. */
  private final Set<String> removing = new HashSet<>();

  Lifecycle(GatewayVerticle gw) {
    this.gw = gw;
  }

  void start() {
    long shortest = Long.MAX_VALUE;
    if (gw.config.endpointIdleMillis > 0) shortest = gw.config.endpointIdleMillis;
    shortest = Math.min(shortest, Math.max(gw.config.ephemeralGraceMillis, 200));
    gw.getVertx().setPeriodic(Math.max(50, Math.min(1000, shortest / 4)), id -> sweep());
  }

  /** The last node of an owned endpoint has gone. */
  void lastNodeLeft(Endpoint ep) {
    if (gw.stopping || gw.endpoints.frozen) return;
    long now = System.currentTimeMillis();
    idleSince.put(ep.name, now);
    if (gw.config.ephemeralGraceMillis == 0 && gw.registry.isEphemeral(ep.name)) {
      check(ep.name, now, gw.ownership.reclaimer());
    }
  }

  private void sweep() {
    if (gw.stopping || gw.endpoints.frozen) return;
    long now = System.currentTimeMillis();
    // read once per sweep: clustered, it asks the cluster manager for the members
    Predicate<String> decides = gw.ownership.reclaimer();
    for (String name : gw.registry.endpoints().keySet()) check(name, now, decides);
    // queues held for endpoints the registry no longer has (a message that was on its way
    // when the endpoint went, or a claim taken over after a removal): dropped once nodeless
    for (Endpoint ep : new ArrayList<>(gw.endpoints.all())) {
      if (gw.registry.hasEndpoint(ep.name) || removing.contains(ep.name)) continue;
      if (!ep.nodes.isEmpty() || gw.hasNodesOn(ep.name)) {
        idleSince.remove(ep.name);
        continue;
      }
      long since = idleSince.computeIfAbsent(ep.name, k -> now);
      if (now - since >= 1000) forget(ep.name);
    }
    if (idleSince.size() > gw.registry.endpointCount() + gw.endpoints.all().size()) {
      idleSince.keySet().removeIf(n -> !gw.registry.hasEndpoint(n) && !gw.endpoints.holds(n));
    }
  }

  /** {@code decides}: whether this member decides about an endpoint (see {@link Ownership#reclaimer}). */
  private void check(String name, long now, Predicate<String> decides) {
    if (removing.contains(name)) return;
    if (!decides.test(name)) {
      idleSince.remove(name);
      return;
    }
    boolean ephemeral = gw.registry.isEphemeral(name);
    if (busy(name) || (!ephemeral && gw.registry.hasSubscriptions(name))) {
      idleSince.remove(name);
      return;
    }
    long limit = ephemeral ? gw.config.ephemeralGraceMillis : gw.config.endpointIdleMillis;
    if (!ephemeral && limit == 0) return;
    long since = idleSince.computeIfAbsent(name, k -> now);
    if (now - since >= limit) remove(name, ephemeral);
  }

  /** A node on it (here or served from here), or a message in its queue that has not expired. */
  private boolean busy(String name) {
    if (gw.hasNodesOn(name)) return true;
    Endpoint ep = gw.endpoints.get(name);
    if (ep == null) return false;
    if (!ep.nodes.isEmpty()) return true;
    if (gw.config.endpointTtlMillis > 0 && !ep.queue.isEmpty()) {
      int n = ep.queue.expire(System.currentTimeMillis() - gw.config.endpointTtlMillis);
      if (n > 0) gw.counters.drop(Counters.Drop.TTL, n);
    }
    return !ep.queue.isEmpty();
  }

  private void remove(String name, boolean ephemeral) {
    removing.add(name);
    gw.getVertx().eventBus().<RegistryReply>request(RegistryVerticle.ADDRESS,
        new RegistryCommand.RemoveEndpoint(name, !ephemeral, null), LOCAL).onComplete(ar -> {
          removing.remove(name);
          idleSince.remove(name);
          if (ar.failed() || !ar.result().body().ok()) return; // kept: a subscription came meanwhile
          Endpoint ep = gw.endpoints.get(name);
          if (gw.hasNodesOn(name) || (ep != null && !ep.nodes.isEmpty())) {
            // a node attached while the registry removed it: it keeps its endpoint (messages
            // that arrived meanwhile without one are dropped with it, below)
            gw.log.fine("endpoint " + name + " got a node while it was being removed; created again");
            gw.getVertx().eventBus().request(RegistryVerticle.ADDRESS, ephemeral
                ? new RegistryCommand.EphemeralEndpoint(name, null) : new RegistryCommand.CreateEndpoint(name, null), LOCAL);
            return;
          }
          forget(name);
        });
  }

  /** Drops this gateway's queue of a removed endpoint and gives up its ownership claim. */
  private void forget(String name) {
    idleSince.remove(name);
    Endpoint ep = gw.endpoints.remove(name);
    if (ep != null && !ep.queue.isEmpty()) {
      gw.counters.drop(Counters.Drop.REMOVED, ep.queue.size());
      while (!ep.queue.isEmpty()) ep.queue.poll(); // frees its bytes from the node-wide total
    }
    gw.ownership.release(name);
  }
}
