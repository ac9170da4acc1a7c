package io.wsmsg.registry;

import io.wsmsg.config.ServerConfig;
import io.wsmsg.protocol.ErrorCodes;
import io.wsmsg.registry.RegistryCommand.CreateChannel;
import io.wsmsg.registry.RegistryCommand.CreateEndpoint;
import io.wsmsg.registry.RegistryCommand.EphemeralEndpoint;
import io.wsmsg.registry.RegistryCommand.PrioritizeChannel;
import io.wsmsg.registry.RegistryCommand.RemoveChannel;
import io.wsmsg.registry.RegistryCommand.RemoveEndpoint;
import io.wsmsg.registry.RegistryCommand.SizeChannel;
import io.wsmsg.registry.RegistryCommand.SizeEndpoint;
import io.wsmsg.registry.RegistryCommand.SubscribeChannel;
import io.wsmsg.registry.RegistryCommand.SubscribeMessage;
import io.wsmsg.registry.RegistryCommand.UnsubscribeChannel;
import io.wsmsg.registry.RegistryCommand.UnsubscribeMessage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Applies {@link RegistryCommand}s to a {@link Registry}: limits, quotas, versions (last writer
 * wins), tombstones and the events each change causes. Plain code, no Vert.x: the
 * {@link RegistryVerticle} calls it for commands from the event bus, the replication for
 * commands from other members, and snapshot restore before anything is deployed. One thread at
 * a time.
 */
public final class RegistryWriter {
  /** The answer to a conditional removal that found the endpoint or channel in use (not an error to a client). */
  public static final RegistryReply KEPT = new RegistryReply("kept", "still in use");

  private final Registry registry;
  private final ServerConfig config;
  private final EventSink events;
  /** The member named in the versions of changes made here (empty standalone). */
  private final String self;

  /** Applying a command another member already applied: no limits, no events. */
  private boolean replica;
  /** Who made the command being applied (null: a replica, a snapshot, the server itself). */
  private RegistryCommand.Attributed actor;
  /** The command being applied was made here (by a node or this server): it gets a new version. */
  private boolean origin;
  /** The version carried by the command being applied (a replica, a dump, a snapshot); null: none. */
  private Stamp given;
  /** What a command made here is replicated as: its changes with their versions. */
  private List<RegistryCommand> effects;

  /** A writer that makes no versions of its own: snapshot restore, replicas, tests. */
  public RegistryWriter(Registry registry, ServerConfig config, EventSink events) {
    this(registry, config, events, "");
  }

  /** {@code self} is the member named in the versions of changes made here (empty standalone). */
  public RegistryWriter(Registry registry, ServerConfig config, EventSink events, String self) {
    this.registry = registry;
    this.config = config;
    this.events = events;
    this.self = self;
    QuotaBook book = registry.quotas();
    registry.messageSubscriptions().onRemoved(book::messageUnsubscribed);
  }

  public Registry registry() {
    return registry;
  }

  /**
   * The outcome of a command made here: the reply for whoever sent it, and what the other
   * members must apply to make the same change (empty when it failed or changed nothing).
   */
  public record MadeHere(RegistryReply reply, List<RegistryCommand> toReplicate) {}

  /**
   * Applies a command made here, by a node ({@link RegistryCommand.Attributed}: counted against
   * its quotas) or by this server: versioned changes get a new version. A command that throws
   * is answered as bad arguments.
   */
  public MadeHere applyMadeHere(RegistryCommand cmd) {
    if (cmd instanceof RegistryCommand.Attributed a) {
      actor = a;
      cmd = a.command();
    }
    List<RegistryCommand> changes = new ArrayList<>();
    RegistryReply reply;
    try {
      origin = true;
      effects = changes;
      reply = apply(cmd);
    } catch (RuntimeException e) {
      reply = new RegistryReply(ErrorCodes.BAD_ARGUMENTS, e.getMessage());
    } finally {
      actor = null;
      origin = false;
      effects = null;
    }
    if (!reply.ok()) return new MadeHere(reply, List.of());
    // versioned commands are replicated as the changes they made, each with its version;
    // the others as they are
    return new MadeHere(reply, versioned(cmd) ? changes : List.of(cmd));
  }

  private static boolean versioned(RegistryCommand c) {
    return c instanceof SubscribeChannel || c instanceof UnsubscribeChannel || c instanceof RemoveEndpoint
        || c instanceof SizeChannel || c instanceof PrioritizeChannel || c instanceof RegistryCommand.RemoveSubscription;
  }

  /**
   * Replicas skip the limits (they were checked where the command was made, and two members may
   * each admit the last one at once), but not without end: this says why commands that would
   * take the registry beyond twice a limit are refused whole (null: they are not), so a peer
   * cannot grow it one message at a time past what this member was configured to hold.
   */
  public String replicaGrowthRefusal(List<RegistryCommand> cmds) {
    Set<String> newEndpoints = new HashSet<>();
    Set<String> newChannels = new HashSet<>();
    long newSubs = 0;
    long newMessageSubs = 0;
    long newTombstones = 0;
    for (RegistryCommand raw : cmds) {
      RegistryCommand c = raw instanceof RegistryCommand.Versioned v ? v.command() : raw;
      if (c instanceof RegistryCommand.RemoveSubscription) newTombstones++;
      String ep = c instanceof SubscribeChannel x ? x.endpoint() : c instanceof SubscribeMessage x ? x.endpoint()
          : c instanceof CreateEndpoint x ? x.endpoint() : c instanceof SizeEndpoint x ? x.endpoint()
          : c instanceof EphemeralEndpoint x ? x.endpoint() : null;
      if (ep != null && !registry.hasEndpoint(ep)) newEndpoints.add(ep);
      String ch = c instanceof CreateChannel x ? x.channel() : c instanceof SizeChannel x ? x.channel()
          : c instanceof PrioritizeChannel x ? x.channel() : null;
      if (ch != null && !registry.hasChannel(ch)) newChannels.add(ch);
      if (c instanceof SubscribeChannel x && !subscribed(x)) newSubs++; // a dump repeats what is known: not growth
      if (c instanceof SubscribeMessage x && !registry.messageSubscriptions().has(x.uid(), x.endpoint())) newMessageSubs++;
    }
    String over = null;
    if (registry.endpointCount() + (long) newEndpoints.size() > 2L * config.maxEndpoints) over = "limits.maxEndpoints";
    else if (registry.channelCount() + (long) newChannels.size() > 2L * config.maxChannels) over = "limits.maxChannels";
    else if (registry.subscriptions().size() + newSubs > 2L * config.maxSubscriptions) over = "limits.maxSubscriptions";
    else if (registry.messageSubscriptions().size() + newMessageSubs > 2L * config.maxMessageSubscriptions) {
      over = "limits.maxMessageSubscriptions";
    }
    else if (registry.tombstones().size() + newTombstones > 2L * config.maxSubscriptions) over = "limits.maxSubscriptions (removed)";
    return over == null ? null : "the registry would grow beyond twice " + over;
  }

  private boolean subscribed(SubscribeChannel x) {
    for (Subscription s : registry.subscriptions().of(x.endpoint())) {
      if (s.channel().pattern().equals(x.channel().pattern()) && s.subject().pattern().equals(x.subject().pattern())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Forgets removals older than cluster.tombstoneSeconds (and the oldest beyond
   * limits.maxSubscriptions): after that a stale copy of what they removed is taken as new.
   */
  public int expireTombstones(long now) {
    return registry.expireTombstones(now - config.tombstoneMillis, config.maxSubscriptions);
  }

  /** The version of the change being applied: carried by it, new when made here, else {@link Stamp#ZERO}. */
  private Stamp stamp() {
    if (given != null) return given;
    if (origin) {
      given = new Stamp(registry.clock().next(System.currentTimeMillis()), self);
      return given;
    }
    return Stamp.ZERO;
  }

  private void changed(RegistryCommand c, Stamp s) {
    if (origin && effects != null) effects.add(new RegistryCommand.Versioned(c, s));
  }

  /**
   * Removes one subscription with version {@code s}, leaving a tombstone, unless a newer
   * subscribe or an equal or newer removal is there. Returns true when it was live and went.
   */
  private boolean removeSubscription(Registry.SubKey k, Stamp s) {
    Stamp dead = registry.tombstone(k);
    if (dead != null && !s.newerThan(dead)) return false;
    Stamp live = registry.liveStamp(k);
    Subscription cur = registry.subscriptions().find(k.endpoint(), k.channel(), k.subject());
    if (cur != null && live != null && live.newerThan(s)) return false; // subscribed again after this removal
    if (cur != null) {
      registry.setTable(registry.subscriptions().without(cur));
      registry.quotas().unsubscribed(cur);
    }
    registry.unsubscribed(k, s);
    return cur != null;
  }

  /** Applies a command another member has applied: limits were checked there, events published there. */
  public RegistryReply applyReplica(RegistryCommand cmd) {
    replica = true;
    try {
      return apply(cmd);
    } finally {
      replica = false;
    }
  }

  private void publish(String subject, List<Object> args, byte[] cause) {
    if (!replica) events.publish(subject, args, cause);
  }

  /**
   * Forgets everything applied so far, when a snapshot being replayed through {@link #apply}
   * turns out to be unusable half way (nothing of it may stay).
   */
  public void forgetAll() {
    registry.clear();
  }

  /**
   * Applies one command as it is: limits checked, events published, no new version (a
   * snapshot's records, a channel reclaimed by this server).
   */
  public RegistryReply apply(RegistryCommand cmd) {
    if (cmd instanceof RegistryCommand.Versioned v) {
      Stamp outer = given;
      given = v.stamp();
      registry.clock().observe(v.stamp().clock()); // changes made here later order after it
      try {
        return apply(v.command());
      } finally {
        given = outer;
      }
    }
    try {
      return applyOne(cmd);
    } finally {
      if (origin) given = null; // the next command made here gets its own version
    }
  }

  private RegistryReply applyOne(RegistryCommand cmd) {
    byte[] cause = cmd.cause();
    if (cmd instanceof SubscribeChannel c) {
      // last writer wins by version: a copy older than a removal (or than the live one) is stale
      Registry.SubKey k = new Registry.SubKey(c.endpoint(), c.channel().pattern(), c.subject().pattern());
      Stamp s = stamp();
      Stamp dead = registry.tombstone(k);
      if (dead != null && !s.newerThan(dead)) return RegistryReply.OK;
      Subscription existing = registry.subscriptions().find(k.endpoint(), k.channel(), k.subject());
      Stamp live = existing == null ? null : registry.liveStamp(k);
      boolean admin = c.admin();
      if (existing != null) {
        int cmp = s.compareTo(live == null ? Stamp.ZERO : live);
        if (cmp < 0) return RegistryReply.OK;
        // equal versions keep the mark (the snapshot does not hold it); made here, a non-admin repeat never unmarks
        if (cmp == 0 || origin) admin = admin || existing.admin();
      }
      RegistryReply r = ensureEndpoint(c.endpoint(), cause);
      if (!r.ok()) return r;
      SubscriptionTable table = registry.subscriptions();
      Subscription sub = new Subscription(c.endpoint(), c.channel(), c.subject(), admin);
      SubscriptionTable next = table.put(sub);
      // an existing subscription made again (or marked admin now) is not a new one: no limit, no quota
      boolean added = existing == null;
      if (!replica && added && table.size() >= config.maxSubscriptions) {
        return new RegistryReply(ErrorCodes.LIMIT, "the server holds its maximum of " + config.maxSubscriptions
            + " subscriptions (limits.maxSubscriptions)");
      }
      if (added && actor != null) {
        QuotaBook book = registry.quotas();
        String what = "subscription (" + c.channel().pattern() + ", " + c.subject().pattern() + ")";
        String no = quotaRefusal(QuotaBook.SUBSCRIPTIONS, what);
        if (no == null && QuotaBook.wildcard(sub)) no = quotaRefusal(QuotaBook.WILDCARD_SUBSCRIPTIONS, what);
        if (no != null) return new RegistryReply(ErrorCodes.LIMIT, no);
        book.subscribed(sub, actor.subject());
      }
      registry.setTable(next);
      registry.subscribed(k, s);
      changed(new SubscribeChannel(c.endpoint(), c.channel(), c.subject(), null, admin), s);
    } else if (cmd instanceof UnsubscribeChannel c) {
      // replicated as the exact subscriptions removed here, each with this removal's version: a
      // subscription made meanwhile elsewhere that this member did not know stays everywhere
      Stamp s = stamp();
      for (Subscription sub : registry.subscriptions().of(c.endpoint())) {
        if (!c.pattern().matches(sub.channel().pattern())) continue;
        Registry.SubKey k = Registry.SubKey.of(sub);
        if (removeSubscription(k, s)) changed(new RegistryCommand.RemoveSubscription(k.endpoint(), sub.channel(), sub.subject(), null), s);
      }
    } else if (cmd instanceof RegistryCommand.RemoveSubscription c) {
      Registry.SubKey k = new Registry.SubKey(c.endpoint(), c.channel().pattern(), c.subject().pattern());
      Stamp s = stamp();
      removeSubscription(k, s);
      changed(c, s);
    } else if (cmd instanceof SubscribeMessage c) {
      RegistryReply r = ensureEndpoint(c.endpoint(), cause);
      if (!r.ok()) return r;
      MessageSubscriptions ms = registry.messageSubscriptions();
      if (actor != null && !ms.has(c.uid(), c.endpoint())) {
        if (quotaRefusal(QuotaBook.MESSAGE_SUBSCRIPTIONS, null) != null) {
          ms.expire(System.currentTimeMillis()); // expired ones count no more
          String no = quotaRefusal(QuotaBook.MESSAGE_SUBSCRIPTIONS, "a message subscription");
          if (no != null) return new RegistryReply(ErrorCodes.LIMIT, no);
        }
      }
      if (!replica && ms.size() >= config.maxMessageSubscriptions) {
        ms.expire(System.currentTimeMillis());
        if (!replica && ms.size() >= config.maxMessageSubscriptions) {
          return new RegistryReply(ErrorCodes.LIMIT, "the server holds its maximum of "
              + config.maxMessageSubscriptions + " message subscriptions (limits.maxMessageSubscriptions)");
        }
      }
      if (ms.put(c.uid(), c.endpoint(), c.expiresAt()) && actor != null) {
        registry.quotas().messageSubscribed(c.uid(), c.endpoint(), actor.subject());
      }
    } else if (cmd instanceof UnsubscribeMessage c) {
      registry.messageSubscriptions().remove(c.uid(), c.endpoint());
    } else if (cmd instanceof CreateChannel c) {
      return ensureChannel(c.channel(), cause);
    } else if (cmd instanceof SizeChannel c) {
      Stamp s = stamp();
      if (stale(c.channel(), registry.sizeStamp(c.channel()), s, c.size(), registry.channel(c.channel()).size())) {
        return RegistryReply.OK;
      }
      RegistryReply r = ensureChannel(c.channel(), cause);
      if (!r.ok()) return r;
      ChannelSettings cur = registry.channel(c.channel());
      registry.putChannel(c.channel(), new ChannelSettings(c.size(), cur.priority()));
      registry.sizeStamp(c.channel(), s);
      changed(c, s);
      publish("channel.sized", List.of(c.channel(), c.size()), cause);
    } else if (cmd instanceof PrioritizeChannel c) {
      Stamp s = stamp();
      if (stale(c.channel(), registry.priorityStamp(c.channel()), s, c.priority(), registry.channel(c.channel()).priority())) {
        return RegistryReply.OK;
      }
      RegistryReply r = ensureChannel(c.channel(), cause);
      if (!r.ok()) return r;
      ChannelSettings cur = registry.channel(c.channel());
      registry.putChannel(c.channel(), new ChannelSettings(cur.size(), c.priority()));
      registry.priorityStamp(c.channel(), s);
      changed(c, s);
      publish("channel.prioritized", List.of(c.channel(), c.priority()), cause);
    } else if (cmd instanceof CreateEndpoint c) {
      return ensureEndpoint(c.endpoint(), cause);
    } else if (cmd instanceof EphemeralEndpoint c) {
      RegistryReply r = ensureEndpoint(c.endpoint(), cause);
      if (!r.ok()) return r;
      registry.markEphemeral(c.endpoint());
    } else if (cmd instanceof RemoveEndpoint c) {
      if (!registry.hasEndpoint(c.endpoint())) return RegistryReply.OK;
      if (c.onlyIfUnused() && registry.hasSubscriptions(c.endpoint())) return KEPT;
      // each subscription goes as a versioned removal (tombstone); one made meanwhile elsewhere
      // (newer than this removal) keeps the endpoint on every member
      Stamp st = stamp();
      for (Subscription sub : registry.subscriptions().of(c.endpoint())) {
        Registry.SubKey k = Registry.SubKey.of(sub);
        if (removeSubscription(k, st)) changed(new RegistryCommand.RemoveSubscription(k.endpoint(), sub.channel(), sub.subject(), null), st);
      }
      if (!registry.subscriptions().of(c.endpoint()).isEmpty()) return KEPT;
      if (origin && effects != null) effects.add(c);
      registry.quotas().endpointRemoved(c.endpoint());
      registry.messageSubscriptions().removeEndpoint(c.endpoint());
      registry.removeEndpoint(c.endpoint());
      publish("endpoint.removed", List.of(c.endpoint()), cause);
    } else if (cmd instanceof RemoveChannel c) {
      String ch = c.channel();
      if (!registry.hasChannel(ch)) return RegistryReply.OK;
      if (Registry.SYSTEM.equals(ch) || registry.isConfigured(ch) || registry.subscriptions().anyMatches(ch)) return KEPT;
      registry.removeChannel(ch);
      registry.quotas().channelRemoved(ch);
      publish("channel.removed", List.of(ch), cause);
    } else if (cmd instanceof SizeEndpoint c) {
      RegistryReply r = ensureEndpoint(c.endpoint(), cause);
      if (!r.ok()) return r;
      registry.putEndpoint(c.endpoint(), c.size());
      publish("endpoint.sized", List.of(c.endpoint(), c.size()), cause);
    }
    return RegistryReply.OK;
  }

  /**
   * True when a channel setting with version {@code s} and value {@code v} loses to what is
   * there (version {@code cur}, value {@code now}): an older one, or, for a reclaimed channel
   * whose version is kept, not a newer one. Equal versions: the higher value wins.
   */
  private boolean stale(String channel, Stamp cur, Stamp s, int v, int now) {
    if (cur == null) return false;
    int cmp = s.compareTo(cur);
    if (!registry.hasChannel(channel)) return cmp <= 0;
    return cmp < 0 || (cmp == 0 && v <= now);
  }

  /**
   * Why a new channel cannot be created now, or null when it can: one rule for the publish
   * path (checked on the gateway) and for commands (checked here).
   */
  public static String channelRefusal(Registry registry, ServerConfig config, String name) {
    if (registry.hasChannel(name) || registry.channelCount() < config.maxChannels) return null;
    return "the server holds its maximum of " + config.maxChannels + " channels (limits.maxChannels); channel "
        + name + " was not created";
  }

  /** The refusal of one more resource of {@code kind} to the node behind this command, or null. */
  private String quotaRefusal(int kind, String what) {
    return registry.quotaRefusal(actor.subject(), actor.quotas(), kind, what);
  }

  private RegistryReply ensureChannel(String name, byte[] cause) {
    if (registry.hasChannel(name)) return RegistryReply.OK;
    String refusal = replica ? null : channelRefusal(registry, config, name);
    if (refusal == null && actor != null) {
      refusal = quotaRefusal(QuotaBook.CHANNELS, "channel " + name);
    }
    if (refusal != null) return new RegistryReply(ErrorCodes.LIMIT, refusal);
    registry.putChannel(name, new ChannelSettings(config.channelSize, config.channelPriority));
    if (actor != null) registry.quotas().channelCreated(name, actor.subject());
    publish("channel.created", List.of(name), cause);
    return RegistryReply.OK;
  }

  private RegistryReply ensureEndpoint(String name, byte[] cause) {
    if (registry.hasEndpoint(name)) return RegistryReply.OK;
    if (!replica && registry.endpointCount() >= config.maxEndpoints) {
      return new RegistryReply(ErrorCodes.LIMIT, "the server holds its maximum of " + config.maxEndpoints
          + " endpoints (limits.maxEndpoints); endpoint " + name + " was not created");
    }
    if (actor != null) {
      String no = quotaRefusal(QuotaBook.ENDPOINTS, "endpoint " + name);
      if (no != null) return new RegistryReply(ErrorCodes.LIMIT, no);
    }
    registry.putEndpoint(name, config.endpointSize);
    if (actor != null) registry.quotas().endpointCreated(name, actor.subject());
    publish("endpoint.created", List.of(name), cause);
    return RegistryReply.OK;
  }
}
