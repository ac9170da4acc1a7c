package io.wsmsg.registry;

import io.wsmsg.protocol.Uid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which endpoints want messages referencing a uid, and until when. One hash lookup per
 * routed message with a reference. Written by the registry verticle only; read by routers on
 * any thread (entries are immutable and replaced whole).
 */
public final class MessageSubscriptions {
  /** Endpoints and their expiry (epoch millis) for one uid; immutable. */
  public record Entry(String[] endpoints, long[] expiresAt) {}

  private final ConcurrentHashMap<Uid, Entry> byUid = new ConcurrentHashMap<>();
  /** endpoint -> the uids it waits for: to remove an endpoint's entries, and to tell it is in use. */
  private final ConcurrentHashMap<String, java.util.Set<Uid>> byEndpoint = new ConcurrentHashMap<>();
  private int count;
  /** Told of every (uid, endpoint) that goes, whatever the reason (quota accounting). */
  private volatile java.util.function.BiConsumer<Uid, String> onRemoved = (u, e) -> { };

  void onRemoved(java.util.function.BiConsumer<Uid, String> listener) {
    this.onRemoved = listener;
  }

  private void indexed(Uid uid, String endpoint) {
    byEndpoint.computeIfAbsent(endpoint, k -> new java.util.HashSet<>()).add(uid);
  }

  private void unindexed(Uid uid, String endpoint) {
    java.util.Set<Uid> set = byEndpoint.get(endpoint);
    if (set != null && set.remove(uid) && set.isEmpty()) byEndpoint.remove(endpoint);
    onRemoved.accept(uid, endpoint);
  }

  /** True when the endpoint has a (possibly expired, not yet swept) subscription to the uid. */
  public boolean has(Uid uid, String endpoint) {
    java.util.Set<Uid> set = byEndpoint.get(endpoint);
    return set != null && set.contains(uid);
  }

  /** True when the endpoint holds a message subscription (possibly expired, not yet swept). */
  public boolean hasEndpoint(String endpoint) {
    return byEndpoint.containsKey(endpoint);
  }

  /** Removes every message subscription of the endpoint; returns how many went. */
  public int removeEndpoint(String endpoint) {
    java.util.Set<Uid> set = byEndpoint.get(endpoint);
    if (set == null) return 0;
    int n = 0;
    for (Uid u : new ArrayList<>(set)) if (remove(u, endpoint)) n++;
    return n;
  }

  /** Live endpoints for the uid at {@code now}, or an empty array. */
  public String[] endpointsFor(byte[] reference, long now) {
    Entry e = byUid.get(Uid.of(reference));
    if (e == null) return SubscriptionTable.NONE;
    int live = 0;
    for (long x : e.expiresAt) if (x > now) live++;
    if (live == e.endpoints.length) return e.endpoints;
    String[] out = new String[live];
    int i = 0;
    for (int k = 0; k < e.endpoints.length; k++) if (e.expiresAt[k] > now) out[i++] = e.endpoints[k];
    return out;
  }

  /** Adds or extends; returns true when it is new. */
  public boolean put(Uid uid, String endpoint, long expiresAt) {
    Entry e = byUid.get(uid);
    if (e == null) {
      byUid.put(uid, new Entry(new String[] {endpoint}, new long[] {expiresAt}));
      indexed(uid, endpoint);
      count++;
      return true;
    }
    for (int k = 0; k < e.endpoints.length; k++) {
      if (e.endpoints[k].equals(endpoint)) {
        long[] exp = e.expiresAt.clone();
        exp[k] = expiresAt;
        byUid.put(uid, new Entry(e.endpoints, exp));
        return false;
      }
    }
    int n = e.endpoints.length;
    String[] eps = java.util.Arrays.copyOf(e.endpoints, n + 1);
    long[] exp = java.util.Arrays.copyOf(e.expiresAt, n + 1);
    eps[n] = endpoint;
    exp[n] = expiresAt;
    byUid.put(uid, new Entry(eps, exp));
    indexed(uid, endpoint);
    count++;
    return true;
  }

  public boolean remove(Uid uid, String endpoint) {
    Entry e = byUid.get(uid);
    if (e == null) return false;
    List<String> eps = new ArrayList<>();
    List<Long> exp = new ArrayList<>();
    boolean found = false;
    for (int k = 0; k < e.endpoints.length; k++) {
      if (e.endpoints[k].equals(endpoint)) found = true;
      else {
        eps.add(e.endpoints[k]);
        exp.add(e.expiresAt[k]);
      }
    }
    if (!found) return false;
    count--;
    unindexed(uid, endpoint);
    if (eps.isEmpty()) byUid.remove(uid);
    else byUid.put(uid, new Entry(eps.toArray(new String[0]), exp.stream().mapToLong(Long::longValue).toArray()));
    return true;
  }

  /** Drops expired entries; returns how many went. */
  public int expire(long now) {
    int gone = 0;
    for (Iterator<Map.Entry<Uid, Entry>> it = byUid.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Uid, Entry> me = it.next();
      Entry e = me.getValue();
      int live = 0;
      for (long x : e.expiresAt) if (x > now) live++;
      if (live == e.endpoints.length) continue;
      gone += e.endpoints.length - live;
      for (int k = 0; k < e.endpoints.length; k++) if (e.expiresAt[k] <= now) unindexed(me.getKey(), e.endpoints[k]);
      if (live == 0) {
        it.remove();
      } else {
        String[] eps = new String[live];
        long[] exp = new long[live];
        int i = 0;
        for (int k = 0; k < e.endpoints.length; k++) {
          if (e.expiresAt[k] > now) {
            eps[i] = e.endpoints[k];
            exp[i++] = e.expiresAt[k];
          }
        }
        me.setValue(new Entry(eps, exp));
      }
    }
    count -= gone;
    return gone;
  }

  public int size() {
    return count;
  }

  /** Forgets every message subscription (a snapshot restore that failed half way). */
  void clear() {
    byUid.clear();
    byEndpoint.clear();
    count = 0;
  }

  /** A copy for snapshots and status: uid -> (endpoint -> expiry). */
  public Map<Uid, Map<String, Long>> copy() {
    Map<Uid, Map<String, Long>> out = new HashMap<>();
    byUid.forEach((uid, e) -> {
      Map<String, Long> m = new HashMap<>();
      for (int k = 0; k < e.endpoints.length; k++) m.put(e.endpoints[k], e.expiresAt[k]);
      out.put(uid, m);
    });
    return out;
  }
}
