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
  /** Distinct channel priorities in use, highest first: what a router checks before forwarding. */
  private volatile int[] priorities = {ChannelSettings.SYSTEM_PRIORITY, 0};
  private final ChannelSettings defaultChannel;

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

  private void recomputePriorities() {
    TreeSet<Integer> set = new TreeSet<>(java.util.Comparator.reverseOrder());
    set.add(defaultChannel.priority());
    for (ChannelSettings c : channels.values()) set.add(c.priority());
    priorities = set.stream().mapToInt(Integer::intValue).toArray();
  }
}
