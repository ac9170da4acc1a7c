package io.wsmsg.cluster;

import io.vertx.core.Vertx;
import io.wsmsg.metrics.MemoryBudget;
import io.wsmsg.protocol.Frame;
import io.wsmsg.router.Delivery;
import io.wsmsg.router.Outbound;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A router's outbound in a cluster: endpoints owned by a gateway instance of this member (or
 * that nobody owns yet: the instance {@link Delivery#instanceOf} picks claims them) go to that
 * instance by reference, as on a standalone node; the rest go to their owners, one event-bus
 * message per owning gateway instance, however many of its endpoints match.
 * Owners come from the local {@link Claims} table: no lookup leaves the member.
 */
public final class ClusterOutbound implements Outbound {
  private final Claims claims;
  private final String self;
  /** Bounds what may be on its way to each member: a hung one costs only its own endpoints. */
  private final PeerBudgets budgets;
  /** This member's gateway instances: an owned or unowned endpoint goes to the one holding it. */
  private final int instances;
  /** Each delivery to an instance beyond the first holds the frame's memory once more (see LocalGateways). */
  private final MemoryBudget memory;

  public ClusterOutbound(Claims claims, String self, PeerBudgets budgets) {
    this(claims, self, budgets, 1, MemoryBudget.unlimited());
  }

  public ClusterOutbound(Claims claims, String self, PeerBudgets budgets, int instances, MemoryBudget memory) {
    this.claims = claims;
    this.self = self;
    this.budgets = budgets;
    this.instances = instances;
    this.memory = memory;
  }

  /**
   * The gateway instance of this member an endpoint goes to, or -1 when another member owns
   * it: unowned ones to the instance that will claim them, owned ones to their owner.
   */
  private int localInstance(String owner, String endpoint) {
    if (owner == null) return Delivery.instanceOf(endpoint, instances);
    if (owner.equals(self)) return 0;
    if (instances > 1 && owner.startsWith(self) && owner.length() > self.length() + 1
        && owner.charAt(self.length()) == '/') {
      int i = InstanceMembership.instanceOf(owner);
      return i < instances ? i : -1;
    }
    return -1;
  }

  @Override
  public boolean forward(Vertx vertx, Frame frame, String[] endpoints, int priority) {
    String[][] local = null; // per instance
    int[] nLocal = null;
    int groups = 0;
    Map<String, List<String>> remote = null;
    for (String ep : endpoints) {
      String owner = claims.owner(ep);
      int i = localInstance(owner, ep);
      if (i >= 0) {
        if (local == null) {
          local = new String[instances][];
          nLocal = new int[instances];
        }
        if (local[i] == null) {
          local[i] = new String[endpoints.length];
          groups++;
        }
        local[i][nLocal[i]++] = ep;
      } else {
        if (remote == null) remote = new HashMap<>(4);
        remote.computeIfAbsent(owner, k -> new ArrayList<>(2)).add(ep);
      }
    }
    if (local != null) {
      boolean first = true;
      for (int i = 0; i < instances; i++) {
        if (local[i] == null) continue;
        String[] mine = nLocal[i] == endpoints.length ? endpoints : java.util.Arrays.copyOf(local[i], nLocal[i]);
        if (!first) memory.hold(frame); // the router's own hold goes with the first delivery
        first = false;
        vertx.eventBus().send(Delivery.address(i), new Delivery(frame, mine, priority), LOCAL);
      }
    }
    if (remote != null) {
      for (Map.Entry<String, List<String>> e : remote.entrySet()) {
        io.vertx.core.buffer.Buffer msg = deliver(frame, e.getValue(), priority, 0);
        // never waits: past the member's budget the copies for its endpoints are dropped and counted
        if (!budgets.take(e.getKey(), msg.length(), frame, e.getValue(), priority)) continue;
        vertx.eventBus().send(PeerWire.gatewayAddress(e.getKey()), msg);
        budgets.sent(vertx, e.getKey());
      }
    }
    return groups > 0;
  }

  @Override
  public boolean lateSubscriptionsPossible() {
    return true;
  }

  /** A DELIVER message: the frame's original bytes plus the endpoints it is for. */
  public static io.vertx.core.buffer.Buffer deliver(Frame frame, List<String> endpoints, int priority, int hops) {
    byte[] raw = frame.rawBytes();
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.DELIVER, raw.length + 64);
    w.i32(priority).i32(hops).i32(endpoints.size());
    for (String ep : endpoints) w.str(ep);
    w.bytes(raw);
    return w.buffer();
  }
}
