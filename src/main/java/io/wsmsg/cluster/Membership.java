package io.wsmsg.cluster;

import java.util.List;

/**
 * Who is in the cluster, as Vert.x node ids (the event-bus identity of each member), and
 * word of members joining, leaving and of a healed partition. Standalone, the only member
 * is this one and nothing ever changes.
 */
public interface Membership {
  /** This member's id. */
  String self();

  /** Every current member, this one included, oldest first (the same order on every member). */
  List<String> members();

  boolean clustered();

  /** Registers a listener; its methods are called on a Hazelcast thread, so hop to your own. */
  void listen(Listener listener);

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
