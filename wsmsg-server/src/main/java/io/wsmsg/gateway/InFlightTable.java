package io.wsmsg.gateway;

import io.wsmsg.metrics.MemoryBudget;
import io.wsmsg.protocol.Uid;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * A node's delivered, unacknowledged messages. Publishers choose uids, so two deliveries to
 * one node may share a uid (a retried publish, or a careless or hostile client): each
 * delivery is tracked on its own, so the window, ack timeouts and requeueing always count
 * deliveries, and one ack settles exactly one of them (the oldest with that uid).
 */
final class InFlightTable {
  /** One delivery. {@code next}: a later delivery with the same uid, still unacknowledged. */
  static final class Entry {
    final Queued queued;
    final long deadline;
    final long sentNanos;
    Entry next;
    boolean settled;

    Entry(Queued queued, long deadline, long sentNanos) {
      this.queued = queued;
      this.deadline = deadline;
      this.sentNanos = sentNanos;
    }
  }

  /** Every delivery in delivery order (so deadlines ascend); settled ones are skipped lazily. */
  private final ArrayDeque<Entry> order = new ArrayDeque<>(1); // grows with the window; most windows are 1
  /** uid -> oldest unsettled delivery with that uid, chained to later ones. */
  private final HashMap<Uid, Entry> byUid = new HashMap<>();
  private int size;
  /** The node's message memory: each unsettled delivery holds its frame there. */
  private final MemoryBudget budget;
  /** The node's identity's share of in-flight bytes; null where it is not counted (remote nodes, auth none). */
  private final IdentityLoad load;

  InFlightTable(MemoryBudget budget) {
    this(budget, null);
  }

  InFlightTable(MemoryBudget budget, IdentityLoad load) {
    this.budget = budget;
    this.load = load;
  }

  /** Whether deliveries here count as in-flight bytes of the budget and the identity's share. */
  private boolean counts = true;

  /**
   * From now on (before the first delivery) deliveries here only fill the window: the owner's
   * table on a sibling instance, on the same budget and identity share, counts their bytes
   * (see {@link SiblingOwnership}).
   */
  void countedByOwner() {
    counts = false;
  }

  int size() {
    return size;
  }

  void add(Uid uid, Entry e) {
    Entry head = byUid.putIfAbsent(uid, e);
    if (head != null) {
      while (head.next != null) head = head.next;
      head.next = e;
    }
    order.addLast(e);
    size++;
    budget.hold(e.queued.frame());
    if (counts) {
      budget.inFlightAdded(e.queued.frame());
      if (load != null) load.inFlightBytes.addAndGet(e.queued.frame().size());
    }
  }

  /** Settles the oldest delivery with this uid; null when there is none. */
  Entry ack(Uid uid) {
    Entry head = byUid.get(uid);
    if (head == null) return null;
    if (head.next != null) byUid.put(uid, head.next);
    else byUid.remove(uid);
    settle(head);
    return head;
  }

  /** Settles every delivery whose deadline has passed; returns how many. */
  int expire(long now, java.util.function.Function<Entry, Uid> uidOf) {
    int n = 0;
    while (!order.isEmpty()) {
      Entry e = order.peekFirst();
      if (e.settled) {
        order.pollFirst();
        continue;
      }
      if (e.deadline > now) break;
      // the oldest unsettled delivery of its uid is always the head of that uid's chain
      Uid uid = uidOf.apply(e);
      ack(uid);
      n++;
    }
    return n;
  }

  /** The unsettled deliveries in delivery order. */
  List<Queued> held() {
    List<Queued> out = new ArrayList<>(size);
    for (Entry e : order) if (!e.settled) out.add(e.queued);
    return out;
  }

  void clear() {
    for (Entry e : order) {
      if (!e.settled) release(e);
    }
    order.clear();
    byUid.clear();
    size = 0;
  }

  private void settle(Entry e) {
    e.settled = true;
    size--;
    release(e);
    // keep the common case (acks in order) from leaving settled entries behind
    while (!order.isEmpty() && order.peekFirst().settled) order.pollFirst();
  }

  private void release(Entry e) {
    budget.release(e.queued.frame());
    if (counts) {
      budget.inFlightRemoved(e.queued.frame());
      if (load != null) load.inFlightBytes.addAndGet(-e.queued.frame().size());
    }
  }
}
