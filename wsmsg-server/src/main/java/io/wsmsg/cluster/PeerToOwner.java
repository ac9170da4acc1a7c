package io.wsmsg.cluster;

import io.wsmsg.gateway.AttachedNode;
import io.wsmsg.gateway.OwnershipHost;
import io.wsmsg.gateway.ServedElsewhere;
import io.wsmsg.protocol.Frame;
import java.util.List;

/**
 * What a node served from another member says back to the owning member's gateway: ACK, FLOW,
 * RETURN and DETACH peer messages over the event bus.
 */
final class PeerToOwner implements ServedElsewhere.ToOwner {
  /** Its Vert.x is known once the gateway is deployed, after the ownership is bound. */
  private final OwnershipHost gw;

  PeerToOwner(OwnershipHost gw) {
    this.gw = gw;
  }

  @Override
  public void ack(AttachedNode s, String owner, byte[] uid) {
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.ACK, uid.length + 96);
    w.str(s.endpointName()).str(s.nodeId()).bytes(uid);
    gw.vertx().eventBus().send(PeerWire.gatewayAddress(owner), w.buffer());
  }

  @Override
  public void flow(AttachedNode s, String owner, boolean paused, boolean congested) {
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.FLOW, 96);
    w.str(s.endpointName()).str(s.nodeId()).bool(paused).bool(congested);
    gw.vertx().eventBus().send(PeerWire.gatewayAddress(owner), w.buffer());
  }

  @Override
  public void giveBack(AttachedNode s, String owner, List<Frame> frames) {
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.RETURN, 128 + frames.size() * 40);
    w.str(s.endpointName()).str(s.nodeId()).i32(frames.size());
    for (Frame f : frames) w.bytes(f.uid());
    gw.vertx().eventBus().send(PeerWire.gatewayAddress(owner), w.buffer());
  }

  @Override
  public void detach(AttachedNode s, String owner) {
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.DETACH, 96);
    w.str(s.endpointName()).str(s.nodeId());
    gw.vertx().eventBus().send(PeerWire.gatewayAddress(owner), w.buffer());
  }
}
