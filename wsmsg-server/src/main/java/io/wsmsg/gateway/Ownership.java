package io.wsmsg.gateway;

import io.vertx.core.Future;
import io.wsmsg.protocol.Frame;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Who owns (holds the queue of) each endpoint, and what the gateway does about endpoints owned
 * elsewhere: the one seam between a gateway and the other gateways. Standalone, this gateway
 * owns everything ({@link StandaloneOwnership}); clustered, endpoints are spread over the members
 * ({@code io.wsmsg.cluster.ClusteredOwnership}). Reads never claim: the gateway takes an endpoint
 * with {@link #claim} where it decides to. Everything here runs on the gateway's event loop
 * unless a method says otherwise.
 */
public interface Ownership {
  /** Binds to the gateway it serves; once, before {@link #start}. */
  void bind(OwnershipHost gateway);

  /** Starts serving (clustered: listens to the other members); completes before the gateway listens. */
  Future<Void> start();

  /** The gateway verticle stops. */
  void close();

  /** This member's name. */
  String self();

  /** The member owning an endpoint, null when nobody has claimed it yet; any thread. */
  String ownerOf(String endpoint);

  /**
   * Takes the endpoint for this member unless another owns it (or this member is stopping, when
   * the member that would inherit it is named instead); returns the owner.
   */
  String claim(String endpoint);

  /** Sends a routed message for an endpoint owned elsewhere (the owner changed after the router looked) to its owner. */
  void deliverElsewhere(Frame frame, String endpoint, int priority);

  /** A node connected: it is served from the endpoint here or through its owner. */
  void attach(AttachedNode node);

  /** A node served through its owner freed room: write what the owner sent it, as far as its window goes. */
  void roomFreed(AttachedNode node);

  /** A node served through its owner acked a delivery (already settled in its own in-flight table). */
  void acked(AttachedNode node, byte[] uid);

  /** A node served through its owner paused or resumed. */
  void pausedChanged(AttachedNode node);

  /** The socket of a node served through its owner drained. */
  void drained(AttachedNode node);

  /** A node served through its owner closed: what it never saw goes back, the owner settles the rest. */
  void detach(AttachedNode node);

  /** A node left this gateway (after {@link #detach} if it was served through its owner). */
  void forget(AttachedNode node);

  /**
   * True when nodes attached to another gateway instance of this member are on the endpoint
   * (see {@link SiblingOwnership}), so it is in use even before its owner hears of them; any thread.
   */
  default boolean nodesAtSiblings(String endpoint) {
    return false;
  }

  /** True when {@code owner} (as named to a {@link RemoteNode}) is a gateway instance of this member; any thread. */
  default boolean sameMember(String owner) {
    return owner.equals(self());
  }

  /** The member whose gateway serves a node attached here, or null when this gateway owns its endpoint. */
  String servingMember(AttachedNode node);

  /** Expires overdue deliveries to nodes of other gateways served from here. */
  void expireAcks(long now);

  /**
   * Which endpoints this member reclaims when unused (its own, and for unowned ones the member
   * they would fall to), as of now: one decision per sweep.
   */
  Predicate<String> reclaimer();

  /** The endpoint was removed: this member gives up its claim, and whoever uses the name next claims it anew. */
  void release(String endpoint);

  /** Stops every member (this one too), for the stop command {@code cause} asked by {@code why}. */
  void stopAll(String why, byte[] cause);

  /** This gateway said {@code stopping}: nodes served through owners elsewhere take no new deliveries. */
  void stopTakingDeliveries();

  /** True when there is at least one other member to hand endpoints over to; any thread. */
  boolean hasPeers();

  /**
   * A graceful leave: deliveries are frozen already; each owned endpoint goes with its queue to
   * the member that takes it over. Completes with the queues nobody took.
   */
  Future<HandOff> handOffAll();

  /** Tells the other members this one leaves and has taken care of everything they sent it. */
  Future<Void> announceLeaving();

  /** Membership and ownership figures for the status page, in this order (ownedEndpoints is the gateway's). */
  void status(Map<String, Object> into, int ownedEndpoints);
}
