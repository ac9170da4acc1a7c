package io.wsmsg.registry;

import io.wsmsg.config.ServerConfig;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's view of subscriptions, message subscriptions and channel/endpoint settings.
 * Everything a router needs to route a message is here in memory, so routing never waits on
 * another verticle. Only {@link RegistryVerticle} writes; any thread reads.
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

  // ---- writes: RegistryVerticle only ----

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
