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

  /** The ownership of this gateway instance: owners that are its siblings get records by reference. */
  private final ClusteredOwnership from;

  PeerToOwner(OwnershipHost gw, ClusteredOwnership from) {
    this.gw = gw;
    this.from = from;
  }

  @Override
  public void ack(AttachedNode s, String owner, byte[] uid) {
    if (from.toSibling(owner, new PeerMessage.Ack(s.endpointName(), s.nodeId(), uid))) return;
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.ACK, uid.length + 96);
    w.str(s.endpointName()).str(s.nodeId()).bytes(uid);
    gw.vertx().eventBus().send(PeerWire.gatewayAddress(owner), w.buffer());
  }

  @Override
  public void flow(AttachedNode s, String owner, boolean paused, boolean congested) {
    if (from.toSibling(owner, new PeerMessage.Flow(s.endpointName(), s.nodeId(), paused, congested))) return;
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.FLOW, 96);
    w.str(s.endpointName()).str(s.nodeId()).bool(paused).bool(congested);
    gw.vertx().eventBus().send(PeerWire.gatewayAddress(owner), w.buffer());
  }

  @Override
  public void giveBack(AttachedNode s, String owner, List<Frame> frames) {
    if (from.toSibling(owner, new PeerMessage.Return(s.endpointName(), s.nodeId(), uids(frames)))) return;
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.RETURN, 128 + frames.size() * 40);
    w.str(s.endpointName()).str(s.nodeId()).i32(frames.size());
    for (Frame f : frames) w.bytes(f.uid());
    gw.vertx().eventBus().send(PeerWire.gatewayAddress(owner), w.buffer());
  }

  @Override
  public void detach(AttachedNode s, String owner) {
    if (from.toSibling(owner, new PeerMessage.Detach(s.endpointName(), s.nodeId()))) return;
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.DETACH, 96);
    w.str(s.endpointName()).str(s.nodeId());
    gw.vertx().eventBus().send(PeerWire.gatewayAddress(owner), w.buffer());
  }

  private static List<byte[]> uids(List<Frame> frames) {
    List<byte[]> out = new java.util.ArrayList<>(frames.size());
    for (Frame f : frames) out.add(f.uid());
    return out;
  }
}
