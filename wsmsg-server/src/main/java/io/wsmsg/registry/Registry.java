package io.wsmsg.registry;

import io.wsmsg.config.ServerConfig;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's view of subscriptions, message subscriptions and channel/endpoint settings.
 * Everything a router needs to route a message is here in memory, so routing never waits on
 * another verticle. Only {@link RegistryWriter} writes; any thread reads.
 */
public final class Registry {
  public static final String SYSTEM = "system";

  private final ServerConfig config;
  private volatile SubscriptionTable table = SubscriptionTable.EMPTY;
  private final MessageSubscriptions messages = new MessageSubscriptions();
  private final ConcurrentHashMap<String, ChannelSettings> channels = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Integer> endpoints = new ConcurrentHashMap<>();
  /** Endpoints removed with their subscriptions once their last node has left (see {@link #isEphemeral}). */
  private final java.util.Set<String> ephemeral = ConcurrentHashMap.newKeySet();
  /** Distinct channel priorities in use, highest first: what a router checks before forwarding. */
  private volatile int[] priorities = {ChannelSettings.SYSTEM_PRIORITY, 0};
  private final ChannelSettings defaultChannel;
  private final QuotaBook quotas = new QuotaBook();
  /** Versions (see {@link Stamp}): what a merge compares, so a stale copy never overwrites a newer change. */
  private final Stamp.Clock clock = new Stamp.Clock();
  private final ConcurrentHashMap<SubKey, Stamp> subscriptionStamps = new ConcurrentHashMap<>();
  /** Removed subscriptions and when: a copy older than its removal is refused (until the tombstone expires). */
  private final ConcurrentHashMap<SubKey, Stamp> tombstones = new ConcurrentHashMap<>();
  /** Versions of channel sizes and priorities; kept a while after a channel is reclaimed (its tombstone). */
  private final ConcurrentHashMap<String, Stamp> sizeStamps = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Stamp> priorityStamps = new ConcurrentHashMap<>();

  /** A subscription's identity: what a version and a tombstone are kept for. */
  public record SubKey(String endpoint, String channel, String subject) {
    static SubKey of(Subscription s) {
      return new SubKey(s.endpoint(), s.channel().pattern(), s.subject().pattern());
    }
  }

  public Registry(ServerConfig config) {
    this.config = config;
    this.defaultChannel = new ChannelSettings(config.channelSize, config.channelPriority);
    channels.put(SYSTEM, new ChannelSettings(config.channelSize, ChannelSettings.SYSTEM_PRIORITY));
    recomputePriorities();
  }

  /**
   * Endpoints a message goes to: channel subscriptions matching (channel, subject) plus live
   * message subscriptions for its reference, each endpoint once.
   */
  public String[] route(String channel, String subject, byte[] reference, long now) {
    String[] bySub = table.match(channel, subject);
    // A forwarded command still reaches message subscriptions for its reference: that is how
    // a client sees its own command applied (it references the command's own random uid).
    if (reference == null) return bySub;
    String[] byRef = messages.endpointsFor(reference, now);
    if (byRef.length == 0) return bySub;
    if (bySub.length == 0) return byRef;
    java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>(java.util.Arrays.asList(bySub));
    java.util.Collections.addAll(all, byRef);
    return all.toArray(SubscriptionTable.NONE);
  }

  /** Who created what here (per-identity quotas). */
  public QuotaBook quotas() {
    return quotas;
  }

  /** The identity's quota of one kind (see {@link QuotaBook}): its token's value, else the default; none in auth mode none. */
  public int quota(io.wsmsg.auth.Quotas own, int kind) {
    if ("none".equals(config.authMode)) return Integer.MAX_VALUE;
    int v = own.get(kind);
    return v != io.wsmsg.auth.Quotas.UNSET ? v : config.perIdentity.get(kind);
  }

  /**
   * Why one more resource of {@code kind} (see {@link QuotaBook}) is refused to {@code subject},
   * or null while its quota has room.
   */
  public String quotaRefusal(String subject, io.wsmsg.auth.Quotas own, int kind, String what) {
    return QuotaBook.refusal(quotas.used(subject, kind), quota(own, kind), kind, what);
  }

  /** A node's command forwarded on system (not a server event): only admin subscriptions get it. */
  public static boolean isForwardedCommand(String channel, String subject) {
    return SYSTEM.equals(channel) && !io.wsmsg.protocol.SystemEvents.isEvent(subject);
  }

  public SubscriptionTable subscriptions() {
    return table;
  }

  public MessageSubscriptions messageSubscriptions() {
    return messages;
  }

  public ChannelSettings channel(String name) {
    ChannelSettings s = channels.get(name);
    return s != null ? s : defaultChannel;
  }

  public boolean hasChannel(String name) {
    return channels.containsKey(name);
  }

  public int channelCount() {
    return channels.size();
  }

  public Map<String, ChannelSettings> channels() {
    return java.util.Collections.unmodifiableMap(channels);
  }

  public boolean hasEndpoint(String name) {
    return endpoints.containsKey(name);
  }

  public int endpointCount() {
    return endpoints.size();
  }

  public int endpointSize(String name) {
    Integer s = endpoints.get(name);
    return s != null ? s : config.endpointSize;
  }

  public Map<String, Integer> endpoints() {
    return java.util.Collections.unmodifiableMap(endpoints);
  }

  /**
   * True for an endpoint made by a node that asked for it with {@code ?ephemeral=1} (the
   * clients' generated private endpoints): it goes, subscriptions and all, when its last node
   * has left and its queue is empty.
   */
  public boolean isEphemeral(String name) {
    return ephemeral.contains(name);
  }

  /**
   * True when an admin changed the channel's size or priority from the configured defaults:
   * such a channel is configuration and is never reclaimed.
   */
  public boolean isConfigured(String channel) {
    ChannelSettings s = channels.get(channel);
    return s != null && (s.size() != defaultChannel.size() || s.priority() != defaultChannel.priority());
  }

  /** True when the endpoint has a channel subscription or a live message subscription. */
  public boolean hasSubscriptions(String endpoint) {
    return !table.of(endpoint).isEmpty() || messages.hasEndpoint(endpoint);
  }

  public int[] priorities() {
    return priorities;
  }

  /** The version of a live subscription (null: none, or from before versions: {@link Stamp#ZERO}). */
  public Stamp subscriptionStamp(Subscription s) {
    return subscriptionStamps.get(SubKey.of(s));
  }

  /** Removed subscriptions not yet expired, with the version of their removal. */
  public Map<SubKey, Stamp> tombstones() {
    return java.util.Collections.unmodifiableMap(tombstones);
  }

  public Stamp sizeStamp(String channel) {
    return sizeStamps.get(channel);
  }

  public Stamp priorityStamp(String channel) {
    return priorityStamps.get(channel);
  }

  // ---- writes: RegistryWriter only ----

  Stamp.Clock clock() {
    return clock;
  }

  Stamp liveStamp(SubKey k) {
    return subscriptionStamps.get(k);
  }

  Stamp tombstone(SubKey k) {
    return tombstones.get(k);
  }

  void subscribed(SubKey k, Stamp s) {
    subscriptionStamps.put(k, s);
    tombstones.remove(k);
  }

  void unsubscribed(SubKey k, Stamp s) {
    subscriptionStamps.remove(k);
    tombstones.put(k, s);
  }

  void sizeStamp(String channel, Stamp s) {
    sizeStamps.put(channel, s);
  }

  void priorityStamp(String channel, Stamp s) {
    priorityStamps.put(channel, s);
  }

  /**
   * Forgets tombstones made before {@code before} (epoch millis), and the oldest beyond
   * {@code max}; and the versions of reclaimed channels that old. Returns how many went.
   */
  int expireTombstones(long before, int max) {
    int n = 0;
    for (var it = tombstones.entrySet().iterator(); it.hasNext(); ) {
      if (it.next().getValue().millis() < before) {
        it.remove();
        n++;
      }
    }
    if (tombstones.size() > max) {
      java.util.List<Map.Entry<SubKey, Stamp>> all = new java.util.ArrayList<>(tombstones.entrySet());
      all.sort(Map.Entry.comparingByValue());
      for (int i = 0; i < all.size() - max; i++) {
        tombstones.remove(all.get(i).getKey());
        n++;
      }
    }
    sizeStamps.entrySet().removeIf(e -> !channels.containsKey(e.getKey()) && e.getValue().millis() < before);
    priorityStamps.entrySet().removeIf(e -> !channels.containsKey(e.getKey()) && e.getValue().millis() < before);
    return n;
  }

  void setTable(SubscriptionTable t) {
    table = t;
  }

  boolean putChannel(String name, ChannelSettings s) {
    ChannelSettings old = channels.put(name, s);
    if (old == null || old.priority() != s.priority()) recomputePriorities();
    return old == null;
  }

  boolean putEndpoint(String name, int size) {
    return endpoints.put(name, size) == null;
  }

  /** Back to the state of a new registry: a snapshot restore that failed half way. */
  void clear() {
    table = SubscriptionTable.EMPTY;
    messages.clear();
    ephemeral.clear();
    subscriptionStamps.clear();
    tombstones.clear();
    sizeStamps.clear();
    priorityStamps.clear();
    endpoints.clear();
    channels.clear();
    channels.put(SYSTEM, new ChannelSettings(config.channelSize, ChannelSettings.SYSTEM_PRIORITY));
    recomputePriorities();
  }

  void markEphemeral(String name) {
    ephemeral.add(name);
  }

  boolean removeEndpoint(String name) {
    ephemeral.remove(name);
    return endpoints.remove(name) != null;
  }

  boolean removeChannel(String name) {
    ChannelSettings old = channels.remove(name);
    if (old != null) recomputePriorities();
    return old != null;
  }

  private void recomputePriorities() {
    TreeSet<Integer> set = new TreeSet<>(java.util.Comparator.reverseOrder());
    set.add(defaultChannel.priority());
    for (ChannelSettings c : channels.values()) set.add(c.priority());
    priorities = set.stream().mapToInt(Integer::intValue).toArray();
  }
}
