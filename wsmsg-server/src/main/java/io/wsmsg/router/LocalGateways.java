package io.wsmsg.router;

import io.vertx.core.Vertx;
import io.wsmsg.metrics.MemoryBudget;
import io.wsmsg.protocol.Frame;

/**
 * A router's outbound on a standalone node running several gateway instances: each endpoint's
 * messages go to the instance holding its queue ({@link Delivery#instanceOf}), one event-bus
 * message per instance, however many of its endpoints match. The frame itself is shared (no
 * copy); each delivery beyond the first takes its own hold on the frame's memory, which that
 * instance releases as the only one would.
 */
public final class LocalGateways implements Outbound {
  private final int instances;
  private final MemoryBudget budget;

  public LocalGateways(int instances, MemoryBudget budget) {
    this.instances = instances;
    this.budget = budget;
  }

  @Override
  public boolean forward(Vertx vertx, Frame frame, String[] endpoints, int priority) {
    if (endpoints.length == 1) {
      send(vertx, Delivery.instanceOf(endpoints[0], instances), new Delivery(frame, endpoints, priority));
      return true;
    }
    // group by instance: counts first, then one array per instance that has any
    int[] of = new int[endpoints.length];
    int[] count = new int[instances];
    for (int k = 0; k < endpoints.length; k++) count[of[k] = Delivery.instanceOf(endpoints[k], instances)]++;
    boolean first = true;
    for (int i = 0; i < instances; i++) {
      if (count[i] == 0) continue;
      String[] mine;
      if (count[i] == endpoints.length) {
        mine = endpoints;
      } else {
        mine = new String[count[i]];
        int n = 0;
        for (int k = 0; k < endpoints.length; k++) if (of[k] == i) mine[n++] = endpoints[k];
      }
      if (!first) budget.hold(frame); // the router's own hold goes with the first delivery
      first = false;
      send(vertx, i, new Delivery(frame, mine, priority));
    }
    return true;
  }

  private static void send(Vertx vertx, int instance, Delivery d) {
    vertx.eventBus().send(Delivery.address(instance), d, LOCAL);
  }
}
