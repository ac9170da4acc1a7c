package io.wsmsg.cluster;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * Who is in the cluster, as Vert.x node ids (the event-bus identity of each member), and
 * word of members joining, leaving and of a healed partition. Standalone, the only member
 * is this one and nothing ever changes.
 *
 * <p>Clustered, a member counts only once it has <em>proven</em> membership: a request and
 * its reply went both ways over the event bus (mutual TLS from the cluster CA when
 * configured). Hazelcast's member list alone admits anyone who can reach its port.
 */
public interface Membership {
  /** This member's id. */
  String self();

  /** Every current proven member, this one included, oldest first (the same order on every member). */
  List<String> members();

  boolean clustered();

  /** Registers a listener; its methods are called on a Hazelcast thread, so hop to your own. */
  void listen(Listener listener);

  /**
   * Completes once every member Hazelcast lists has proven membership, or after a bounded wait
   * (a member that never proves itself must not keep this one from serving).
   */
  default Future<Void> ready() {
    return Future.succeededFuture();
  }

  /** True when {@code member} is this one or has proven membership. */
  default boolean proven(String member) {
    return member.equals(self());
  }

  /**
   * Hazelcast members that have not proven membership for a while (node id, else Hazelcast
   * address, mapped to why): never routed to, own nothing.
   */
  default Map<String, String> unproven() {
    return Map.of();
  }

  /**
   * How many gateway instances {@code member} runs (gateway.instances, published with its
   * membership): each of them owns endpoints of its own (see {@link InstanceMembership}).
   * Known until the listeners have heard the member left.
   */
  default int instancesOf(String member) {
    return 1;
  }

  /** Peer messages ignored because their sender had not proven membership. */
  default long refusedPeerMessages() {
    return 0;
  }

  /** What a member needs to hear about the others. */
  interface Listener {
    void joined(String member);

    void left(String member);

    /** This member was cut off and is back: everyone must hear again what it holds. */
    void merged();
  }

  /** The membership of {@code vertx}: Hazelcast's when clustered, else {@code standaloneId} alone. */
  static Membership of(io.vertx.core.Vertx vertx, String standaloneId) {
    return HazelcastMembership.of(vertx, standaloneId);
  }

  /** The one-member "cluster" of a standalone server. */
  static Membership standalone(String self) {
    return new Membership() {
      @Override
      public String self() {
        return self;
      }

      @Override
      public List<String> members() {
        return List.of(self);
      }

      @Override
      public boolean clustered() {
        return false;
      }

      @Override
      public void listen(Listener listener) {}
    };
  }
}
