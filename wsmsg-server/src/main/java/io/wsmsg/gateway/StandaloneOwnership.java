package io.wsmsg.gateway;

import io.vertx.core.Future;
import io.wsmsg.protocol.Frame;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * A server alone: its gateway owns every endpoint and serves every node from its own queues,
 * so nothing is ever elsewhere.
 */
public final class StandaloneOwnership implements Ownership {
  /** The gateway's log, where a stop request has always been reported. */
  private static final Logger LOG = Logger.getLogger(GatewayVerticle.class.getName());
  private final String self;
  private final Runnable onStop;
  private OwnershipHost gateway;

  /** {@code self}: this server's name; {@code onStop}: stops it (the stop command). */
  public StandaloneOwnership(String self, Runnable onStop) {
    this.self = self;
    this.onStop = onStop;
  }

  @Override
  public void bind(OwnershipHost gateway) {
    this.gateway = gateway;
  }

  @Override
  public Future<Void> start() {
    return Future.succeededFuture();
  }

  @Override
  public void close() {
  }

  @Override
  public String self() {
    return self;
  }

  @Override
  public String ownerOf(String endpoint) {
    return self;
  }

  @Override
  public String claim(String endpoint) {
    return self;
  }

  @Override
  public void deliverElsewhere(Frame frame, String endpoint, int priority) {
    gateway.enqueue(endpoint, frame, priority); // never called: nothing is elsewhere
  }

  @Override
  public void attach(AttachedNode node) {
    gateway.serveHere(node);
  }

  // every node is served here: nothing to do for nodes served through an owner elsewhere

  @Override
  public void roomFreed(AttachedNode node) {
  }

  @Override
  public void acked(AttachedNode node, byte[] uid) {
  }

  @Override
  public void pausedChanged(AttachedNode node) {
  }

  @Override
  public void drained(AttachedNode node) {
  }

  @Override
  public void detach(AttachedNode node) {
  }

  @Override
  public void forget(AttachedNode node) {
  }

  @Override
  public String servingMember(AttachedNode node) {
    return null;
  }

  @Override
  public void expireAcks(long now) {
  }

  @Override
  public Predicate<String> reclaimer() {
    return endpoint -> true;
  }

  @Override
  public void release(String endpoint) {
  }

  @Override
  public void stopAll(String why, byte[] cause) {
    LOG.info("stop requested by " + why);
    onStop.run();
  }

  @Override
  public void stopTakingDeliveries() {
  }

  @Override
  public boolean hasPeers() {
    return false;
  }

  /** Nobody to hand anything to: every queue stays for the snapshot. */
  @Override
  public Future<HandOff> handOffAll() {
    Map<String, List<Queued>> left = new HashMap<>();
    for (String ep : gateway.ownedEndpointNames()) {
      List<Queued> queued = gateway.surrender(ep);
      if (!queued.isEmpty()) left.put(ep, queued);
    }
    return Future.succeededFuture(new HandOff(left, false));
  }

  @Override
  public Future<Void> announceLeaving() {
    return Future.succeededFuture();
  }

  @Override
  public void status(Map<String, Object> into, int ownedEndpoints) {
    into.put("mode", "standalone");
    into.put("member", self);
    into.put("members", List.of(self));
    into.put("unproven", Map.of());
    into.put("refusedPeerMessages", 0L);
    into.put("ownedEndpoints", ownedEndpoints);
    into.put("knownOwners", 0);
    into.put("remoteNodesServed", 0);
  }
}
