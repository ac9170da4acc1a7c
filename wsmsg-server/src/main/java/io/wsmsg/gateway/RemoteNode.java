package io.wsmsg.gateway;

import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Uid;
import java.util.ArrayList;
import java.util.List;

/**
 * A node connected to another member's gateway, served by this gateway because it owns the
 * node's endpoint. The window, acks and ack timeouts are kept here, where the queue is; the
 * node's gateway forwards its acks, its pause state and its socket's congestion.
 */
public final class RemoteNode implements Consumer {
  /** Carries a delivery to the gateway that holds the node's connection. */
  public interface Link {
    void toNode(RemoteNode node, Frame frame);
  }

  private final EndpointTable table;
  final Endpoint endpoint;
  final String nodeId;
  /** The member whose gateway holds the node's connection. */
  final String member;
  final int window;
  private final Link link;
  boolean paused;
  /** The node's socket is not draining: give it nothing until it does. */
  boolean congested;
  final InFlightTable inFlight;
  /** A node of a sibling instance of this gateway (see {@link SiblingOwnership}), not of another member. */
  private final boolean sibling;
  /** The node's identity's in-flight share (a sibling instance's node); null for another member's. */
  private final IdentityLoad load;
  /** When the node's gateway last renewed it (see the clustered ownership's leases). */
  private long renewedAt = System.currentTimeMillis();

  RemoteNode(EndpointTable table, Endpoint endpoint, String nodeId, String member, int window, Link link,
      IdentityLoad load, boolean sibling) {
    this.sibling = sibling;
    this.table = table;
    this.endpoint = endpoint;
    this.nodeId = nodeId;
    this.member = member;
    this.window = window;
    this.link = link;
    // a sibling instance's node: its identity's share is counted here, where the hand-out is decided
    this.load = load;
    this.inFlight = new InFlightTable(table.budget, load);
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  public String member() {
    return member;
  }

  public String endpointName() {
    return endpoint.name;
  }

  @Override
  public boolean ready() {
    return !paused && !congested && !table.frozen && inFlight.size() < room()
        && (inFlight.size() == 0 || !table.budget.inFlightFull()) && !identityFull(); // as Session.ready()
  }

  /**
   * How many deliveries it may hold: its window; a sibling instance's node competing with others
   * for the queue twice that. Its acks and deliveries cross two event loops that the owner's own
   * nodes do not cross, so without the second half, held ready at its instance (see
   * {@link ServedElsewhere}), it would be ready less often and get a smaller share of a busy
   * queue. Alone on its endpoint it gets exactly its window: nothing to share, and the queue
   * depth and ack timeouts then read as for a node of the owner's.
   */
  private int room() {
    return sibling && endpoint.nodes.size() > 1 ? (int) Math.min(Integer.MAX_VALUE, 2L * window) : window;
  }

  private boolean identityFull() {
    if (load == null || load.inFlightBytes.get() < table.maxInFlightPerIdentity()) return false;
    table.heldBack(); // re-dispatched once acks or timeouts made room
    return true;
  }

  @Override
  public void deliver(Queued q) {
    table.handOut(this, q);
    link.toNode(this, q.frame());
  }

  @Override
  public InFlightTable inFlight() {
    return inFlight;
  }

  /** Its gateway says whether it is paused and whether its socket is congested. */
  public void flow(boolean paused, boolean congested) {
    this.paused = paused;
    this.congested = congested;
  }

  /** Its gateway repeated its ATTACH. */
  public void renew() {
    renewedAt = System.currentTimeMillis();
  }

  public long renewedAt() {
    return renewedAt;
  }

  /** True while its endpoint is the one this gateway holds by that name (not one it gave up). */
  public boolean onOwnedEndpoint() {
    return table.get(endpoint.name) == endpoint;
  }

  /** Lets its endpoint deliver again. */
  public void dispatch() {
    endpoint.dispatch();
  }

  /** The node acked a delivery. */
  public void ack(byte[] uid) {
    table.acked(this, endpoint, uid);
  }

  /** Drops its deliveries whose ack is overdue (counted lost). */
  public void expireAcks(long now) {
    table.expireAcks(this, endpoint, now);
  }

  /** The node is gone: its unacknowledged deliveries are settled as the endpoint says. */
  public void release() {
    endpoint.release(this, table.endpointSize(endpoint.name));
  }

  /** Its endpoint went to another member: its gateway is served from there now, so let go of the frames. */
  public void abandon() {
    inFlight.clear();
  }

  /** Its gateway gave deliveries back unwritten: they go to the head of the queue, in order. */
  public void giveBack(List<byte[]> uids) {
    List<Queued> back = new ArrayList<>(uids.size());
    for (byte[] u : uids) {
      InFlightTable.Entry e = inFlight.ack(Uid.of(u));
      if (e != null) back.add(e.queued);
    }
    for (int i = back.size() - 1; i >= 0; i--) endpoint.queue.offerFirst(back.get(i));
    table.trimToLimits(endpoint);
    endpoint.dispatch();
  }
}
