package io.wsmsg.gateway;

import io.wsmsg.protocol.Frame;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The nodes attached to this gateway whose endpoint another gateway owns (another member's, or
 * a sibling instance of this one): what the owner sent each of them, written within the node's
 * window, and what goes back to the owner (ack, flow, return, detach) through {@link ToOwner}. The owner sends up to twice a node's window (its window plus as
 * many again, prefetched); this gateway gives the node at most its window unacknowledged and
 * holds the rest here, so the node's next message goes out the moment it acks, without
 * waiting for the round trip to the owner. Without that, a node served from elsewhere would be
 * ready less often than the owner's own nodes and get a smaller share of a busy queue.
 * Gateway event loop only.
 */
public final class ServedElsewhere {
  /** Carries what a node served from elsewhere says back to the gateway owning its endpoint. */
  public interface ToOwner {
    /** The node acked a delivery. */
    void ack(AttachedNode s, String owner, byte[] uid);

    /** The node's pause state and its socket's congestion. */
    void flow(AttachedNode s, String owner, boolean paused, boolean congested);

    /** Deliveries never written to the node go back, to the head of the queue, in order. */
    void giveBack(AttachedNode s, String owner, List<Frame> frames);

    /** The node is gone: the owner settles what it had in flight to it. */
    void detach(AttachedNode s, String owner);
  }

  private final OwnershipHost gw;
  private final ToOwner link;
  /** By node id. */
  private final Map<String, Served> served = new HashMap<>();

  /** What this gateway keeps for one node attached here. */
  private static final class Served {
    /** The member whose gateway owns the endpoint and serves the node; null once served here. */
    String owner;
    /** The owner was told the node's socket is congested. */
    boolean toldCongested;
    /** Deliveries the owner prefetched for the node, not yet written. */
    final java.util.ArrayDeque<Frame> fromOwner = new java.util.ArrayDeque<>();
  }

  public ServedElsewhere(OwnershipHost gw, ToOwner link) {
    this.gw = gw;
    this.link = link;
  }

  /** This gateway's record of a node attached here (made on first need). */
  private Served served(AttachedNode s) {
    Served st = served.get(s.nodeId());
    if (st == null) {
      st = new Served();
      served.put(s.nodeId(), st);
    }
    return st;
  }

  /** The owner elsewhere that serves a node attached here, or null. */
  public String owner(AttachedNode s) {
    Served st = served.get(s.nodeId());
    return st == null ? null : st.owner;
  }

  /** The node is served by {@code owner} from now on (null: by this gateway). */
  public void serveFrom(AttachedNode s, String owner) {
    served(s).owner = owner;
  }

  /** The owner was told the node's socket is congested (ATTACH repeats it). */
  public boolean toldCongested(AttachedNode s) {
    Served st = served.get(s.nodeId());
    return st != null && st.toldCongested;
  }

  /** Takes the deliveries the owner prefetched for a node and not yet written (to give them back or pass on). */
  public List<Frame> takePrefetched(AttachedNode s) {
    Served st = served.get(s.nodeId());
    if (st == null) return List.of();
    List<Frame> out = new ArrayList<>(st.fromOwner);
    forgetPrefetched(st);
    return out;
  }

  /** What an owner prefetched is its business no more (a new owner, or the node is gone). */
  private void forgetPrefetched(Served st) {
    for (Frame f : st.fromOwner) gw.budget().release(f);
    st.fromOwner.clear();
  }

  /** The node left this gateway. */
  public void forget(AttachedNode s) {
    served.remove(s.nodeId());
  }

  /** A delivery from the owning gateway (see the class comment). */
  public void deliverFromOwner(AttachedNode s, Frame f) {
    if (!s.takesDeliveries()) return; // f was decoded and checked with the TO_NODE (PeerMessage)
    Served st = served(s);
    if (s.hides(f)) {
      if (st.owner != null) sendAck(s, st.owner, f.uid()); // settled at once: the owner frees its slot
      return;
    }
    st.fromOwner.add(f);
    gw.budget().hold(f); // bounded by the owner: at most twice the node's window
    pump(s, st);
  }

  /** Writes prefetched deliveries while the node's window, pause state and socket allow. */
  private void pump(AttachedNode s, Served st) {
    while (!st.fromOwner.isEmpty() && s.mayWrite()) {
      Frame f = st.fromOwner.poll();
      s.writeFromOwner(f);
      gw.budget().release(f); // now held by the node's in-flight table
    }
    if (s.socketCongested() && !st.toldCongested) {
      st.toldCongested = true;
      flow(s, st, true); // drained tells the owner again
    }
  }

  /** The node freed room: write what is held for it. */
  public void roomFreed(AttachedNode s) {
    pump(s, served(s));
  }

  /** The node acked (its slot here is free): tell the owner, send what is held. */
  public void acked(AttachedNode s, byte[] uid) {
    Served st = served(s);
    if (st.owner != null) sendAck(s, st.owner, uid);
    pump(s, st);
  }

  /** The node paused or resumed: tell the owner. */
  public void pausedChanged(AttachedNode s) {
    Served st = served(s);
    flow(s, st, st.toldCongested);
  }

  /** The node's socket drained: tell the owner if it was told of congestion, and write. */
  public void drained(AttachedNode s) {
    Served st = served(s);
    if (st.toldCongested) {
      st.toldCongested = false;
      flow(s, st, false);
      pump(s, st);
    }
  }

  private void sendAck(AttachedNode s, String owner, byte[] uid) {
    link.ack(s, owner, uid);
  }

  private void flow(AttachedNode s, Served st, boolean congested) {
    if (st.owner == null) return;
    sendFlow(s, st.owner, s.paused() || gw.stopping(), congested);
  }

  private void sendFlow(AttachedNode s, String owner, boolean paused, boolean congested) {
    link.flow(s, owner, paused, congested);
  }

  /**
   * The node is gone: what the owner sent here and was never written to it goes back first
   * (after a FLOW that pauses the node; to the head of the queue, as on a stop: it was never
   * delivered, whatever the endpoint's requeue setting), then DETACH settles the unacked rest.
   * Same connection, so in that order.
   */
  public void detach(AttachedNode s) {
    Served st = served.get(s.nodeId());
    if (st == null) return;
    if (st.owner == null) {
      forgetPrefetched(st);
      return;
    }
    List<Frame> unwritten = takePrefetched(s);
    if (!unwritten.isEmpty()) {
      sendFlow(s, st.owner, true, false); // paused first, or the owner would hand them straight back to this node
      giveBack(s, st.owner, unwritten);
    }
    link.detach(s, st.owner);
  }

  /**
   * This gateway announced {@code stopping}: nodes attached here to endpoints owned elsewhere
   * take no new deliveries (the owners are told they are paused), and what the owners sent
   * here but was never written to the node goes back to them, to the head of the queue, for
   * the node's next connection or another node. What was written and is acked meanwhile is
   * done; what is still unacked when the node is closed is settled by the owner on DETACH (put
   * back for endpoints that requeue).
   */
  public void stopTakingDeliveries() {
    for (AttachedNode s : gw.nodes()) {
      Served st = served.get(s.nodeId());
      if (s.closed() || s.servedHere() || st == null || st.owner == null) continue;
      flow(s, st, st.toldCongested); // paused, as every FLOW and ATTACH from a stopping gateway says
      giveBack(s, st.owner, takePrefetched(s));
    }
  }

  /** Returns deliveries never written to {@code s} to its endpoint's owner (after the FLOW that paused it). */
  public void giveBack(AttachedNode s, String owner, List<Frame> frames) {
    if (frames.isEmpty()) return;
    link.giveBack(s, owner, frames);
  }
}
