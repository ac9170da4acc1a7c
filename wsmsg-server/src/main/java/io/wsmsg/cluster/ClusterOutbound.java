package io.wsmsg.cluster;

import io.vertx.core.Vertx;
import io.wsmsg.protocol.Frame;
import io.wsmsg.router.Delivery;
import io.wsmsg.router.Outbound;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A router's outbound in a cluster: endpoints this member owns (or that nobody owns yet:
 * the local gateway claims them) go to the local gateway as before; the rest go to their
 * owners, one event-bus message per owning member, however many of its endpoints match.
 * Owners come from the local {@link Claims} table: no lookup leaves the member.
 */
public final class ClusterOutbound implements Outbound {
  private final Claims claims;
  private final String self;
  /** Bounds what may be on its way to each member: a hung one costs only its own endpoints. */
  private final PeerBudgets budgets;

  public ClusterOutbound(Claims claims, String self, PeerBudgets budgets) {
    this.claims = claims;
    this.self = self;
    this.budgets = budgets;
  }

  @Override
  public boolean forward(Vertx vertx, Frame frame, String[] endpoints, int priority) {
    String[] local = null;
    int nLocal = 0;
    Map<String, List<String>> remote = null;
    for (String ep : endpoints) {
      String owner = claims.owner(ep);
      if (owner == null || owner.equals(self)) {
        if (local == null) local = new String[endpoints.length];
        local[nLocal++] = ep;
      } else {
        if (remote == null) remote = new HashMap<>(4);
        remote.computeIfAbsent(owner, k -> new ArrayList<>(2)).add(ep);
      }
    }
    if (nLocal > 0) {
      String[] mine = nLocal == endpoints.length ? endpoints : java.util.Arrays.copyOf(local, nLocal);
      vertx.eventBus().send(Delivery.ADDRESS, new Delivery(frame, mine, priority), LOCAL);
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
    return nLocal > 0;
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
