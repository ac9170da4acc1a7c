package io.wsmsg.gateway;

import io.wsmsg.cluster.PeerWire;

/**
 * A node connected to another member's gateway, served by this gateway because it owns the
 * node's endpoint. The window, acks and ack timeouts are kept here, where the queue is; the
 * node's gateway forwards its acks, its pause state and its socket's congestion.
 */
final class RemoteNode implements Consumer {
  final GatewayVerticle gateway;
  final Endpoint endpoint;
  final String nodeId;
  /** The member whose gateway holds the node's connection. */
  final String member;
  final int window;
  boolean paused;
  /** The node's socket is not draining: give it nothing until it does. */
  boolean congested;
  final InFlightTable inFlight;
  /** When the node's gateway last renewed it (see ClusterLink's leases). */
  long renewedAt = System.currentTimeMillis();

  RemoteNode(GatewayVerticle gateway, Endpoint endpoint, String nodeId, String member, int window) {
    this.gateway = gateway;
    this.endpoint = endpoint;
    this.nodeId = nodeId;
    this.member = member;
    this.window = window;
    this.inFlight = new InFlightTable(gateway.budget);
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public boolean ready() {
    return !paused && !congested && !gateway.frozen && inFlight.size() < window
        && (inFlight.size() == 0 || !gateway.budget.inFlightFull()); // as Session.ready()
  }

  @Override
  public void deliver(Queued q) {
    gateway.handOut(this, q);
    byte[] raw = q.frame().rawBytes();
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.TO_NODE, raw.length + 128);
    w.str(nodeId).str(endpoint.name).str(gateway.link.self).bytes(raw);
    gateway.getVertx().eventBus().send(PeerWire.gatewayAddress(member), w.buffer());
  }

  @Override
  public InFlightTable inFlight() {
    return inFlight;
  }
}
