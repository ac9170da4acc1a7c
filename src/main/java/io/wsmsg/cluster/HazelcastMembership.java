package io.wsmsg.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** {@link Membership} read from the Hazelcast member list behind a clustered Vert.x. */
final class HazelcastMembership implements Membership {
  /** The member attribute vertx-hazelcast stores each member's Vert.x node id in. */
  private static final String NODE_ID = "__vertx.nodeId";

  private final String self;
  private final HazelcastInstance hz;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  HazelcastMembership(Vertx vertx) {
    HazelcastClusterManager mgr = (HazelcastClusterManager) ((VertxInternal) vertx).clusterManager();
    this.self = mgr.getNodeId();
    this.hz = mgr.getHazelcastInstance();
    hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent e) {
        String id = e.getMember().getAttribute(NODE_ID);
        if (id != null && !id.equals(self)) listeners.forEach(l -> l.joined(id));
      }

      @Override
      public void memberRemoved(MembershipEvent e) {
        String id = e.getMember().getAttribute(NODE_ID);
        if (id != null && !id.equals(self)) listeners.forEach(l -> l.left(id));
      }
    });
    hz.getLifecycleService().addLifecycleListener(e -> {
      if (e.getState() == LifecycleEvent.LifecycleState.MERGED) listeners.forEach(Listener::merged);
    });
  }

  @Override
  public String self() {
    return self;
  }

  @Override
  public List<String> members() {
    List<String> out = new ArrayList<>();
    if (!hz.getLifecycleService().isRunning()) return List.of(self);
    for (Member m : hz.getCluster().getMembers()) {
      String id = m.getAttribute(NODE_ID);
      if (id != null) out.add(id);
    }
    if (!out.contains(self)) out.add(self);
    return out;
  }

  @Override
  public boolean clustered() {
    return true;
  }

  @Override
  public void listen(Listener listener) {
    listeners.add(listener);
  }

  /** The membership of {@code vertx}: Hazelcast's when clustered, else this member alone. */
  static Membership of(Vertx vertx, String standaloneId) {
    return vertx.isClustered() ? new HazelcastMembership(vertx) : Membership.standalone(standaloneId);
  }
}
