package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.router.Delivery;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A member list expanded into one owner per gateway instance, the same on every member. */
class InstanceMembershipTest {
  /** Three members running 1, 3 and 2 gateway instances, as their Hazelcast attributes say. */
  private static final class Members implements Membership {
    final String self;
    final List<String> members = new ArrayList<>(List.of("a", "b", "c"));
    final Map<String, Integer> instances = Map.of("a", 1, "b", 3, "c", 2);
    final List<Listener> listeners = new ArrayList<>();

    Members(String self) {
      this.self = self;
    }

    @Override
    public String self() {
      return self;
    }

    @Override
    public List<String> members() {
      return members;
    }

    @Override
    public boolean clustered() {
      return true;
    }

    @Override
    public void listen(Listener l) {
      listeners.add(l);
    }

    @Override
    public int instancesOf(String member) {
      return instances.getOrDefault(member, 1);
    }
  }

  @Test
  void everyInstanceOfEveryMemberIsAnOwnerAndInstanceZeroKeepsTheMemberName() {
    InstanceMembership b2 = new InstanceMembership(new Members("b"), 2);
    assertThat(b2.self()).isEqualTo("b/2");
    assertThat(b2.members()).containsExactly("a", "b", "b/1", "b/2", "c", "c/1");
    assertThat(b2.elsewhere()).containsExactly("a", "c", "c/1");
    assertThat(new InstanceMembership(new Members("a"), 0).members())
        .isEqualTo(new InstanceMembership(new Members("c"), 1).members()); // every member expands alike
    assertThat(InstanceMembership.memberOf("b/2")).isEqualTo("b");
    assertThat(InstanceMembership.memberOf("b")).isEqualTo("b");
    assertThat(InstanceMembership.instanceOf("b/2")).isEqualTo(2);
    assertThat(InstanceMembership.instanceOf("b")).isZero();
    assertThat(b2.here("b")).isTrue();
    assertThat(b2.here("b/1")).isTrue();
    assertThat(b2.here("c/1")).isFalse();
  }

  @Test
  void anUnownedEndpointGoesToTheInstanceTheRoutersSendItToWhicheverInstanceAsks() {
    for (String ep : List.of("orders", "billing", "x", "worker-17")) {
      String expected = InstanceMembership.owner("b", Delivery.instanceOf(ep, 3));
      for (int i = 0; i < 3; i++) assertThat(new InstanceMembership(new Members("b"), i).defaultOwner(ep)).isEqualTo(expected);
    }
  }

  @Test
  void joinsAndDeparturesAreToldOncePerInstanceOfTheMember() {
    Members base = new Members("a");
    InstanceMembership m = new InstanceMembership(base, 0);
    List<String> heard = new ArrayList<>();
    m.listen(new Membership.Listener() {
      @Override
      public void joined(String member) {
        heard.add("+" + member);
      }

      @Override
      public void left(String member) {
        heard.add("-" + member);
      }

      @Override
      public void merged() {
        heard.add("merged");
      }
    });
    base.listeners.forEach(l -> l.joined("b"));
    base.listeners.forEach(l -> l.left("c"));
    base.listeners.forEach(Membership.Listener::merged);
    assertThat(heard).containsExactly("+b", "+b/1", "+b/2", "-c", "-c/1", "merged");
  }
}
