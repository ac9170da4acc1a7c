package io.wsmsg.registry;

import io.wsmsg.auth.Quotas;
import io.wsmsg.protocol.Uid;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Who created what on this member, so that each identity (token {@code sub}) is held to its
 * quotas and gets a unit back when the resource goes (unsubscribe, expiry, lifecycle reclaim,
 * whoever removed it). Counts are per member: what another member created is counted there.
 * Written only by the {@link RegistryWriter}; counts are read by gateways for their early
 * checks (attach, first publish to a channel).
 */
public final class QuotaBook {
  public static final int CHANNELS = 0;
  public static final int ENDPOINTS = 1;
  public static final int SUBSCRIPTIONS = 2;
  public static final int MESSAGE_SUBSCRIPTIONS = 3;
  public static final int WILDCARD_SUBSCRIPTIONS = 4;

  private record MessageKey(Uid uid, String endpoint) {}

  private final ConcurrentHashMap<String, AtomicIntegerArray> used = new ConcurrentHashMap<>();
  private final Map<String, String> channelOwner = new HashMap<>();
  private final Map<String, String> endpointOwner = new HashMap<>();
  private final Map<Subscription, String> subscriptionOwner = new HashMap<>();
  private final Map<MessageKey, String> messageOwner = new HashMap<>();

  /** How many of {@code kind} the identity holds here. */
  public int used(String subject, int kind) {
    AtomicIntegerArray a = used.get(subject);
    return a == null ? 0 : a.get(kind);
  }

  /**
   * Why the identity may not create one more of {@code kind}, or null when it may:
   * {@code limit} is its quota (token value or configured default).
   */
  public static String refusal(int used, int limit, int kind, String what) {
    if (used < limit) return null;
    String key = Quotas.KEYS.get(kind);
    String noun = switch (kind) {
      case CHANNELS -> "channels";
      case ENDPOINTS -> "endpoints";
      case SUBSCRIPTIONS -> "subscriptions";
      case MESSAGE_SUBSCRIPTIONS -> "message subscriptions";
      default -> "wildcard subscriptions";
    };
    return "your token's quota of " + limit + " " + noun + " (limits.perIdentity." + key + ", or wsmsg.quotas." + key
        + " in the token) is used up" + (what == null ? "" : ": " + what + " was refused");
  }

  private void add(String subject, int kind, int n) {
    AtomicIntegerArray a = used.computeIfAbsent(subject, k -> new AtomicIntegerArray(5));
    a.addAndGet(kind, n);
    if (n < 0) {
      boolean empty = true;
      for (int i = 0; i < 5; i++) empty &= a.get(i) <= 0;
      if (empty) used.remove(subject);
    }
  }

  void channelCreated(String channel, String subject) {
    if (channelOwner.putIfAbsent(channel, subject) == null) add(subject, CHANNELS, 1);
  }

  void channelRemoved(String channel) {
    String s = channelOwner.remove(channel);
    if (s != null) add(s, CHANNELS, -1);
  }

  void endpointCreated(String endpoint, String subject) {
    if (endpointOwner.putIfAbsent(endpoint, subject) == null) add(subject, ENDPOINTS, 1);
  }

  void endpointRemoved(String endpoint) {
    String s = endpointOwner.remove(endpoint);
    if (s != null) add(s, ENDPOINTS, -1);
  }

  /**
   * A wildcard subscription: its channel pattern has glob characters (it is tested against
   * every message's channel), or its subject pattern has some other than the plain match-all
   * {@code *} (tested against every subject of its channels).
   */
  static boolean wildcard(Subscription s) {
    return !s.channel().isLiteral() || (!s.subject().isLiteral() && !"*".equals(s.subject().pattern()));
  }

  /** The same subscription whether an admin made it or not: the admin mark does not make a second one. */
  private static Subscription key(Subscription s) {
    return s.admin() ? new Subscription(s.endpoint(), s.channel(), s.subject()) : s;
  }

  void subscribed(Subscription sub, String subject) {
    if (subscriptionOwner.putIfAbsent(key(sub), subject) != null) return;
    add(subject, SUBSCRIPTIONS, 1);
    if (wildcard(sub)) add(subject, WILDCARD_SUBSCRIPTIONS, 1);
  }

  void unsubscribed(Subscription sub) {
    String s = subscriptionOwner.remove(key(sub));
    if (s == null) return;
    add(s, SUBSCRIPTIONS, -1);
    if (wildcard(sub)) add(s, WILDCARD_SUBSCRIPTIONS, -1);
  }

  void messageSubscribed(Uid uid, String endpoint, String subject) {
    if (messageOwner.putIfAbsent(new MessageKey(uid, endpoint), subject) == null) add(subject, MESSAGE_SUBSCRIPTIONS, 1);
  }

  void messageUnsubscribed(Uid uid, String endpoint) {
    String s = messageOwner.remove(new MessageKey(uid, endpoint));
    if (s != null) add(s, MESSAGE_SUBSCRIPTIONS, -1);
  }
}
