package io.wsmsg.cluster;

import io.vertx.core.Future;
import io.wsmsg.router.Delivery;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The cluster as the gateway instances see it: every gateway instance of every member is an
 * owner of its own. A member running N instances (gateway.instances) counts as N owners, named
 * {@code <member>} for instance 0 and {@code <member>/<i>} for the others, so a member with one
 * instance looks exactly as it always did. Claims, rendezvous, handoffs, LEAVING and the
 * re-sending of what a dead owner never confirmed then work per instance without change: an
 * endpoint's queue is held by one instance, whichever member it is on, and each instance talks
 * to the others on its own peer address ({@link PeerWire#gatewayAddress}).
 *
 * <p>Members publish how many instances they run ({@link Membership#instancesOf}), so every
 * member expands the same member list into the same owner list.
 */
public final class InstanceMembership implements Membership {
  private final Membership cluster;
  private final int instance;
  private final String self;

  /** The view of gateway instance {@code instance} of this member. */
  public InstanceMembership(Membership cluster, int instance) {
    this.cluster = cluster;
    this.instance = instance;
    this.self = owner(cluster.self(), instance);
  }

  /** The owner name of gateway instance {@code i} of {@code member}. */
  public static String owner(String member, int i) {
    return i == 0 ? member : member + "/" + i;
  }

  /** The member an owner name belongs to. */
  public static String memberOf(String owner) {
    if (owner == null) return null;
    int slash = owner.lastIndexOf('/');
    return slash < 0 ? owner : owner.substring(0, slash);
  }

  /** The gateway instance an owner name stands for (0 for a bare member name). */
  public static int instanceOf(String owner) {
    int slash = owner.lastIndexOf('/');
    if (slash < 0) return 0;
    try {
      return Integer.parseInt(owner.substring(slash + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * True when {@code owner} is a gateway instance of a current member: asked of the members
   * themselves, without building the list of every owner.
   */
  public boolean live(String owner) {
    String member = memberOf(owner);
    return cluster.members().contains(member) && instanceOf(owner) < cluster.instancesOf(member);
  }

  /** The members themselves (Hazelcast's proven list), one entry each. */
  public Membership cluster() {
    return cluster;
  }

  public int instance() {
    return instance;
  }

  /** How many gateway instances this member runs. */
  public int localInstances() {
    return cluster.instancesOf(cluster.self());
  }

  /** True when {@code owner} is a gateway instance of this member (this one included). */
  public boolean here(String owner) {
    return cluster.self().equals(memberOf(owner));
  }

  /**
   * The instance of this member that takes an endpoint nobody owns yet: the one the routers
   * send it to ({@link Delivery#instanceOf}), whichever instance asks, so siblings never race
   * each other for it.
   */
  public String defaultOwner(String endpoint) {
    return owner(cluster.self(), Delivery.instanceOf(endpoint, localInstances()));
  }

  /** The owners on other members: the heirs of a leaving member, the ones to tell it leaves. */
  public List<String> elsewhere() {
    List<String> out = new ArrayList<>();
    for (String m : cluster.members()) {
      if (m.equals(cluster.self())) continue;
      expand(m, out);
    }
    return out;
  }

  private void expand(String member, List<String> into) {
    int n = cluster.instancesOf(member);
    for (int i = 0; i < n; i++) into.add(owner(member, i));
  }

  @Override
  public String self() {
    return self;
  }

  /** Every owner: each instance of each proven member, in member order. */
  @Override
  public List<String> members() {
    List<String> out = new ArrayList<>();
    for (String m : cluster.members()) expand(m, out);
    return out;
  }

  @Override
  public boolean clustered() {
    return cluster.clustered();
  }

  /** Joins and departures of members, told once per gateway instance they run. */
  @Override
  public void listen(Listener listener) {
    cluster.listen(new Listener() {
      @Override
      public void joined(String member) {
        int n = cluster.instancesOf(member);
        for (int i = 0; i < n; i++) listener.joined(owner(member, i));
      }

      @Override
      public void left(String member) {
        int n = cluster.instancesOf(member);
        for (int i = 0; i < n; i++) listener.left(owner(member, i));
      }

      @Override
      public void merged() {
        listener.merged();
      }
    });
  }

  @Override
  public Future<Void> ready() {
    return cluster.ready();
  }

  @Override
  public boolean proven(String owner) {
    return cluster.proven(memberOf(owner));
  }

  @Override
  public Map<String, String> unproven() {
    return cluster.unproven();
  }

  @Override
  public long refusedPeerMessages() {
    return cluster.refusedPeerMessages();
  }

  @Override
  public int instancesOf(String member) {
    return cluster.instancesOf(memberOf(member));
  }
}
