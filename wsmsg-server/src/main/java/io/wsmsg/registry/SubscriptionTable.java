package io.wsmsg.registry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An immutable set of channel subscriptions with a cache of "which endpoints want (channel,
 * subject)". Changing a subscription builds a new table (subscriptions change rarely,
 * messages are many), so the cache is thrown away with the old table and never needs
 * per-entry invalidation. Readers on any thread use the current table without locks.
 */
public final class SubscriptionTable {
  static final String[] NONE = new String[0];
  /**
   * Most (channel, subject) pairs the cache holds before it starts over. Subjects are chosen by
   * publishers and can be fresh every time (up to 255 bytes each): about 4 MB at most, and a
   * flood of unique subjects costs a recomputation each, never memory.
   */
  public static final int CACHE_LIMIT = 10_000;

  /** endpoint -> its subscriptions, in the order they were made. */
  private final Map<String, List<Subscription>> byEndpoint;
  /** Subscriptions whose channel pattern is a literal, indexed by that channel. */
  private final Map<String, List<Subscription>> literalChannel;
  /** Subscriptions whose channel pattern has wildcards: tested one by one. */
  private final List<Subscription> wildcard;
  private final int size;
  /** channel -> subject -> endpoints: two lookups and no key allocation per message. */
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, String[]>> cache = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger cached = new java.util.concurrent.atomic.AtomicInteger();

  public static final SubscriptionTable EMPTY = new SubscriptionTable(Map.of());

  private SubscriptionTable(Map<String, List<Subscription>> byEndpoint) {
    this.byEndpoint = byEndpoint;
    Map<String, List<Subscription>> lit = new HashMap<>();
    List<Subscription> wild = new ArrayList<>();
    int n = 0;
    for (List<Subscription> subs : byEndpoint.values()) {
      n += subs.size();
      for (Subscription s : subs) {
        if (s.channel().isLiteral()) lit.computeIfAbsent(s.channel().pattern(), k -> new ArrayList<>()).add(s);
        else wild.add(s);
      }
    }
    this.size = n;
    this.literalChannel = lit;
    this.wildcard = wild;
  }

  /** Endpoints with a subscription matching (channel, subject), each once, in a stable order. */
  public String[] match(String channel, String subject) {
    ConcurrentHashMap<String, String[]> bySubject = cache.get(channel);
    if (bySubject != null) {
      String[] hit = bySubject.get(subject);
      if (hit != null) return hit;
    }
    String[] result = compute(channel, subject);
    if (cached.incrementAndGet() > CACHE_LIMIT) { // a crude bound: a flood of distinct subjects must not grow memory
      cache.clear();
      cached.set(1);
    }
    cache.computeIfAbsent(channel, c -> new ConcurrentHashMap<>()).put(subject, result);
    return result;
  }

  /** (channel, subject) pairs cached now (status and tests); O(channels). */
  public int cachedRoutes() {
    int n = 0;
    for (ConcurrentHashMap<String, String[]> m : cache.values()) n += m.size();
    return n;
  }

  /**
   * The endpoints for (channel, subject) computed from the subscriptions, bypassing the cache.
   * A node's command forwarded on system goes only to subscriptions an admin made.
   */
  public String[] compute(String channel, String subject) {
    boolean adminOnly = Registry.isForwardedCommand(channel, subject);
    Set<String> out = new LinkedHashSet<>();
    List<Subscription> lit = literalChannel.get(channel);
    if (lit != null) {
      for (Subscription s : lit) {
        if ((s.admin() || !adminOnly) && s.subject().matches(subject)) out.add(s.endpoint());
      }
    }
    for (Subscription s : wildcard) {
      if ((s.admin() || !adminOnly) && !out.contains(s.endpoint()) && s.matches(channel, subject)) out.add(s.endpoint());
    }
    return out.isEmpty() ? NONE : out.toArray(NONE);
  }

  public List<Subscription> of(String endpoint) {
    return byEndpoint.getOrDefault(endpoint, List.of());
  }

  public Map<String, List<Subscription>> all() {
    return Collections.unmodifiableMap(byEndpoint);
  }

  public int size() {
    return size;
  }

  /**
   * A table with the subscription added; this table when it is already there (idempotent). The
   * same subscription made again by an admin marks it admin (a monitor re-subscribing after a
   * restart, whose snapshot does not keep the mark); a non-admin repeat never unmarks it.
   */
  public SubscriptionTable with(Subscription s) {
    List<Subscription> cur = byEndpoint.getOrDefault(s.endpoint(), List.of());
    int same = -1;
    for (int i = 0; i < cur.size(); i++) {
      Subscription c = cur.get(i);
      if (c.channel().equals(s.channel()) && c.subject().equals(s.subject())) {
        if (c.admin() || !s.admin()) return this;
        same = i;
      }
    }
    Map<String, List<Subscription>> copy = new HashMap<>(byEndpoint);
    List<Subscription> l = new ArrayList<>(cur);
    if (same >= 0) l.set(same, s);
    else l.add(s);
    copy.put(s.endpoint(), List.copyOf(l));
    return new SubscriptionTable(copy);
  }

  /** The subscription with this endpoint, channel pattern and subject pattern, or null. */
  public Subscription find(String endpoint, String channel, String subject) {
    for (Subscription s : of(endpoint)) {
      if (s.channel().pattern().equals(channel) && s.subject().pattern().equals(subject)) return s;
    }
    return null;
  }

  /** A table with exactly this subscription (its admin mark as given), replacing the same one. */
  public SubscriptionTable put(Subscription s) {
    Subscription cur = find(s.endpoint(), s.channel().pattern(), s.subject().pattern());
    if (cur != null && cur.admin() == s.admin()) return this;
    List<Subscription> l = new ArrayList<>(of(s.endpoint()));
    if (cur != null) l.set(l.indexOf(cur), s);
    else l.add(s);
    Map<String, List<Subscription>> copy = new HashMap<>(byEndpoint);
    copy.put(s.endpoint(), List.copyOf(l));
    return new SubscriptionTable(copy);
  }

  /** A table without this one subscription; this table when it is not there. */
  public SubscriptionTable without(Subscription s) {
    List<Subscription> cur = byEndpoint.get(s.endpoint());
    if (cur == null || !cur.contains(s)) return this;
    List<Subscription> keep = new ArrayList<>(cur);
    keep.remove(s);
    Map<String, List<Subscription>> copy = new HashMap<>(byEndpoint);
    if (keep.isEmpty()) copy.remove(s.endpoint());
    else copy.put(s.endpoint(), List.copyOf(keep));
    return new SubscriptionTable(copy);
  }

  /** True when some subscription's channel pattern matches {@code channel} (whatever its subject filter). */
  public boolean anyMatches(String channel) {
    if (literalChannel.containsKey(channel)) return true;
    for (Subscription s : wildcard) if (s.channel().matches(channel)) return true;
    return false;
  }

  /** A table without any subscription of the endpoint; this table when it has none. */
  public SubscriptionTable without(String endpoint) {
    if (!byEndpoint.containsKey(endpoint)) return this;
    Map<String, List<Subscription>> copy = new HashMap<>(byEndpoint);
    copy.remove(endpoint);
    return new SubscriptionTable(copy);
  }

  /**
   * A table without the endpoint's subscriptions whose channel pattern, taken literally,
   * matches {@code pattern} (so "orders.*" removes "orders.*" and "orders.new").
   */
  public SubscriptionTable without(String endpoint, io.wsmsg.glob.Glob pattern) {
    List<Subscription> cur = byEndpoint.get(endpoint);
    if (cur == null) return this;
    List<Subscription> keep = new ArrayList<>();
    for (Subscription s : cur) if (!pattern.matches(s.channel().pattern())) keep.add(s);
    if (keep.size() == cur.size()) return this;
    Map<String, List<Subscription>> copy = new HashMap<>(byEndpoint);
    if (keep.isEmpty()) copy.remove(endpoint);
    else copy.put(endpoint, List.copyOf(keep));
    return new SubscriptionTable(copy);
  }
}
