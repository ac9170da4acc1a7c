package io.wsmsg.registry;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.protocol.ErrorCodes;
import io.wsmsg.registry.RegistryCommand.CreateChannel;
import io.wsmsg.registry.RegistryCommand.CreateEndpoint;
import io.wsmsg.registry.RegistryCommand.EphemeralEndpoint;
import io.wsmsg.registry.RegistryCommand.RemoveChannel;
import io.wsmsg.registry.RegistryCommand.RemoveEndpoint;
import io.wsmsg.registry.RegistryCommand.PrioritizeChannel;
import io.wsmsg.registry.RegistryCommand.SizeChannel;
import io.wsmsg.registry.RegistryCommand.SizeEndpoint;
import io.wsmsg.registry.RegistryCommand.SubscribeChannel;
import io.wsmsg.registry.RegistryCommand.SubscribeMessage;
import io.wsmsg.registry.RegistryCommand.UnsubscribeChannel;
import io.wsmsg.registry.RegistryCommand.UnsubscribeMessage;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.wsmsg.cluster.Membership;
import io.wsmsg.cluster.PeerWire;
import io.wsmsg.cluster.Peers;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The single writer of the {@link Registry}: applies subscription and settings commands in
 * the order they arrive on the event bus, publishes the events they cause, and expires
 * message subscriptions. Readers never wait for it; a gateway that needs "visible to my next
 * message" waits for the reply before reading the client's next frame.
 */
public final class RegistryVerticle extends AbstractVerticle {
  public static final String ADDRESS = "wsmsg.registry";
  /** The answer to a conditional removal that found the endpoint or channel in use (not an error to a client). */
  public static final RegistryReply KEPT = new RegistryReply("kept", "still in use");
  private static final Logger LOG = Logger.getLogger(RegistryVerticle.class.getName());

  private final Registry registry;
  private final ServerConfig config;
  private final EventSink events;
  private final Membership membership;
  /** Applying a command another member already applied: no limits, no events. */
  private boolean replica;
  /** Channels with a router on this member: not reclaimed (set before deployment; none = no reclaim). */
  private java.util.function.Predicate<String> hasRouter;
  private java.util.function.BooleanSupplier stopping = () -> false;
  /** When each channel was first seen unused (no router here, no matching subscription). */
  private final java.util.Map<String, Long> unusedSince = new java.util.HashMap<>();
  /** Whether some subscription matches a channel, for {@link #matchedIn} only (tables are immutable). */
  private final java.util.Map<String, Boolean> matched = new java.util.HashMap<>();
  private SubscriptionTable matchedIn;
  /** Where refused peer messages are counted (wsmsg_peer_rejected_total); none in unit setups. */
  private io.wsmsg.metrics.Counters counters;
  private final io.wsmsg.gateway.RateLimitedLog refusedLog = new io.wsmsg.gateway.RateLimitedLog(LOG, 10_000);

  public RegistryVerticle(Registry registry, ServerConfig config, EventSink events) {
    this(registry, config, events, null);
  }

  /** With a clustered {@code membership}, every command is replicated to every member. */
  public RegistryVerticle(Registry registry, ServerConfig config, EventSink events, Membership membership) {
    this.registry = registry;
    this.config = config;
    this.events = events;
    this.membership = membership;
    QuotaBook book = registry.quotas();
    registry.messageSubscriptions().onRemoved(book::messageUnsubscribed);
  }

  /** Who made the command being applied (null: a replica, a snapshot, the server itself). */
  private RegistryCommand.Attributed actor;
  /** The command being applied was made here (by a node or this server): it gets a new version. */
  private boolean origin;
  /** The version carried by the command being applied (a replica, a dump, a snapshot); null: none. */
  private Stamp given;
  /** What a command made here is replicated as: its changes with their versions. */
  private List<RegistryCommand> effects;

  /**
   * Turns on channel reclaim: a channel that is not system, whose settings are the defaults,
   * that no subscription matches and that has no router on this member ({@code hasRouter},
   * routers retire when idle) for channels.idleSeconds is removed from the registry.
   */
  public RegistryVerticle reclaimChannels(java.util.function.Predicate<String> hasRouter,
      java.util.function.BooleanSupplier stopping) {
    this.hasRouter = hasRouter;
    this.stopping = stopping;
    return this;
  }

  /** Counts refused registry messages from peers in {@code counters}. */
  public RegistryVerticle countRefusals(io.wsmsg.metrics.Counters counters) {
    this.counters = counters;
    return this;
  }

  @Override
  public void start(Promise<Void> started) {
    vertx.eventBus().<RegistryCommand>localConsumer(ADDRESS, this::handle);
    vertx.setPeriodic(1000, id -> registry.messageSubscriptions().expire(System.currentTimeMillis()));
    vertx.setPeriodic(Math.max(1000, Math.min(60_000, config.tombstoneMillis / 10)),
        id -> expireTombstones(System.currentTimeMillis()));
    if (hasRouter != null && config.channelIdleMillis > 0) {
      vertx.setPeriodic(Math.max(100, Math.min(1000, config.channelIdleMillis / 4)), id -> sweepChannels());
    }
    if (!clustered()) {
      started.complete();
      return;
    }
    boolean restored = registry.endpointCount() > 0 || registry.subscriptions().size() > 0;
    MessageConsumer<Buffer> peer = vertx.eventBus().consumer(PeerWire.registryAddress(membership.self()), this::onPeer);
    membership.listen(new Membership.Listener() {
      @Override
      public void joined(String member) {}

      @Override
      public void left(String member) {}

      @Override
      public void merged() {
        // after a partition each side may hold what the other lacks: both send everything
        context.runOnContext(v -> {
          pushAll();
          pullFromAll();
        });
      }
    });
    peer.completion()
        .compose(v -> pullFromPeer(30))
        .onComplete(ar -> {
          if (restored) pushAll(); // this member's snapshot may hold what the others lack
          started.complete();
        });
  }

  private boolean clustered() {
    return membership != null && membership.clustered();
  }

  /** A joining member copies the registry of the oldest other member (nothing when alone). */
  private Future<Void> pullFromPeer(int attemptsLeft) {
    List<String> others = new ArrayList<>(membership.members());
    others.remove(membership.self());
    if (others.isEmpty()) return Future.succeededFuture();
    String from = others.get(0);
    Buffer ask = new PeerWire.Writer(PeerWire.DUMP, 64).str(membership.self()).buffer();
    return vertx.eventBus().<Buffer>request(PeerWire.registryAddress(from), ask, new DeliveryOptions().setSendTimeout(10_000))
        .map(reply -> {
          applyDump(reply.body(), from);
          LOG.info("copied the registry from member " + from + ": " + registry.subscriptions().size() + " subscriptions, "
              + registry.endpointCount() + " endpoints, " + registry.channelCount() + " channels");
          return (Void) null;
        })
        .recover(e -> {
          if (attemptsLeft <= 0) {
            LOG.warning("could not copy the registry from member " + from + " (" + e.getMessage()
                + "); starting with what this member has, later changes still arrive");
            return Future.succeededFuture();
          }
          Promise<Void> later = Promise.promise();
          vertx.setTimer(200, t -> pullFromPeer(attemptsLeft - 1).onComplete(later));
          return later.future();
        });
  }

  /** After a partition: copies what every other member holds (the other side of the split). */
  private void pullFromAll() {
    Buffer ask = new PeerWire.Writer(PeerWire.DUMP, 64).str(membership.self()).buffer();
    for (String m : membership.members()) {
      if (m.equals(membership.self())) continue;
      vertx.eventBus().<Buffer>request(PeerWire.registryAddress(m), ask, new DeliveryOptions().setSendTimeout(10_000))
          .onSuccess(reply -> applyDump(reply.body(), m));
    }
  }

  /** Merges another member's whole registry (a DUMP answer) into this one: all of it, or nothing if any is refused. */
  private void applyDump(Buffer dump, String from) {
    List<RegistryCommand> cmds;
    try {
      cmds = RegistryCodec.decode(dump.getBytes(), 0, dump.length(), config);
    } catch (io.wsmsg.cluster.PeerWireException e) {
      refused("dump", e, from);
      return;
    }
    io.wsmsg.cluster.PeerWireException growth = growthRefusal(cmds);
    if (growth != null) {
      refused("dump", growth, from);
      return;
    }
    for (RegistryCommand c : cmds) applyReplica(c);
  }

  /**
   * Replicas skip the limits (they were checked where the command was made, and two members may
   * each admit the last one at once), but not without end: commands that would take the
   * registry beyond twice a limit are refused whole, so a peer cannot grow it one message at a
   * time past what this member was configured to hold.
   */
  private io.wsmsg.cluster.PeerWireException growthRefusal(List<RegistryCommand> cmds) {
    java.util.Set<String> newEndpoints = new java.util.HashSet<>();
    java.util.Set<String> newChannels = new java.util.HashSet<>();
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
    if (over == null) return null;
    return new io.wsmsg.cluster.PeerWireException(io.wsmsg.cluster.PeerWireException.Reason.OVER_LIMIT,
        "the registry would grow beyond twice " + over);
  }

  private boolean subscribed(SubscribeChannel x) {
    for (Subscription s : registry.subscriptions().of(x.endpoint())) {
      if (s.channel().pattern().equals(x.channel().pattern()) && s.subject().pattern().equals(x.subject().pattern())) {
        return true;
      }
    }
    return false;
  }

  /** Counts and logs (rate-limited) a refused registry message from a peer. */
  private void refused(String type, io.wsmsg.cluster.PeerWireException e, String from) {
    if (counters != null) counters.peerRejected(type, e.reason().label());
    refusedLog.log("refused a registry message of type " + type + " (" + e.getMessage() + ")"
        + (from == null ? " (the sender is not named in it)" : " from member " + from)
        + "; it was dropped, nothing of it applied");
  }

  /** Sends this member's whole registry to every other member (they merge it in). */
  private void pushAll() {
    byte[] dump = RegistryCodec.encode(RegistryCodec.dump(registry));
    replicate(dump);
  }

  /**
   * A registry message from a peer: decoded whole and checked (see {@link RegistryCodec#decode})
   * before any of it is applied; a refused one is counted, logged and answered with a failure.
   */
  private void onPeer(Message<Buffer> msg) {
    Buffer b = msg.body();
    String typeName = b == null || b.length() == 0 ? "unknown" : b.getByte(0) == PeerWire.DUMP ? "dump"
        : b.getByte(0) == PeerWire.REPLICATE ? "replicate" : "unknown";
    List<RegistryCommand> cmds = null;
    try {
      if (b == null || b.length() == 0) {
        throw new io.wsmsg.cluster.PeerWireException(io.wsmsg.cluster.PeerWireException.Reason.TRUNCATED, "an empty message");
      }
      byte type = b.getByte(0);
      if (type == PeerWire.DUMP) {
        // the whole registry goes to members only: the request names one
        PeerWire.Reader r = new PeerWire.Reader(b);
        r.type();
        String requester = r.str("requester", 1, io.wsmsg.cluster.PeerMessage.MAX_MEMBER_BYTES);
        r.end();
        if (!membership.members().contains(requester)) {
          throw new io.wsmsg.cluster.PeerWireException(io.wsmsg.cluster.PeerWireException.Reason.UNKNOWN_MEMBER,
              "requester " + requester + " is not a member of the cluster");
        }
      } else if (type == PeerWire.REPLICATE) {
        cmds = RegistryCodec.decode(b.getBytes(), 1, b.length() - 1, config);
      } else {
        throw new io.wsmsg.cluster.PeerWireException(io.wsmsg.cluster.PeerWireException.Reason.UNKNOWN_TYPE,
            "registry message type " + type);
      }
    } catch (io.wsmsg.cluster.PeerWireException e) {
      refused(typeName, e, null);
      if (msg.replyAddress() != null) msg.fail(400, "refused: " + e.getMessage());
      return;
    }
    if (cmds == null) {
      msg.reply(Buffer.buffer(RegistryCodec.encode(RegistryCodec.dump(registry))));
      return;
    }
    io.wsmsg.cluster.PeerWireException growth = growthRefusal(cmds);
    if (growth != null) {
      refused(typeName, growth, null);
      if (msg.replyAddress() != null) msg.fail(400, "refused: " + growth.getMessage());
      return;
    }
    for (RegistryCommand c : cmds) {
      try {
        applyReplica(c);
      } catch (RuntimeException e) {
        LOG.warning("a registry update from another member failed: " + e);
      }
    }
    msg.reply(Buffer.buffer("ok"));
  }

  /**
   * Sends commands to every other member and completes when all have applied them (or
   * failed: a member that does not answer within a second is leaving or gone, and one that
   * joins later copies the whole registry).
   */
  private Future<Void> replicate(byte[] encoded) {
    List<String> others = new ArrayList<>(membership.members());
    others.remove(membership.self());
    if (others.isEmpty()) return Future.succeededFuture();
    Buffer msg = Buffer.buffer(encoded.length + 1).appendByte(PeerWire.REPLICATE).appendBytes(encoded);
    List<Future<Void>> acks = new ArrayList<>(others.size());
    for (String m : others) {
      // a member whose registry handler is not yet known here (NO_HANDLERS, right after it
      // joined; on a loaded machine the event bus took over half a second to learn it) is
      // asked again for up to 5 s: given up after 0.5 s, it never had the change
      acks.add(Peers.request(vertx, membership, m, PeerWire.registryAddress(m), msg, 1000, 50, 100)
          .<Void>mapEmpty()
          .onFailure(e -> {
            if (membership.members().contains(m)) {
              LOG.warning("member " + m + " did not confirm a registry change (" + e.getMessage()
                  + "); it may route without it until the next change of the same subscription");
            }
          }));
    }
    return Future.join(acks).<Void>mapEmpty().recover(e -> Future.succeededFuture());
  }

  private void handle(Message<RegistryCommand> msg) {
    RegistryReply reply;
    RegistryCommand cmd = msg.body();
    if (cmd instanceof RegistryCommand.Attributed a) {
      actor = a;
      cmd = a.command();
    }
    List<RegistryCommand> changes = new ArrayList<>();
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
    // versioned commands are replicated as the changes they made, each with its version;
    // the others as they are
    List<RegistryCommand> out = versioned(cmd) ? changes : List.of(cmd);
    if (out.isEmpty() && reply.ok()) {
      msg.reply(reply);
      return;
    }
    if (reply.ok() && clustered() && !(cmd instanceof SubscribeMessage || cmd instanceof UnsubscribeMessage)) {
      // the reply (and so the node's next frame) waits until every member has the change:
      // a subscription made here is in force for a publish anywhere once it is confirmed
      RegistryReply done = reply;
      replicate(RegistryCodec.encode(out)).onComplete(v -> msg.reply(done));
    } else {
      // Message subscriptions, made once per RPC call, are sent to the other members but not
      // waited for: waiting halved RPC throughput. The reply they wait for can only be
      // published after the request went out, which leaves after this update, and a router
      // that sees a reply with no taker holds it briefly for a late update (ChannelRouterVerticle).
      if (reply.ok() && clustered()) replicate(RegistryCodec.encode(out));
      msg.reply(reply);
    }
  }

  /**
   * Removes channels unused for channels.idleSeconds. In a cluster one member decides for each
   * channel (rendezvous hashing over the members), and the removal is checked again where it
   * is applied, so a subscription made meanwhile anywhere keeps the channel everywhere.
   */
  private void sweepChannels() {
    if (stopping.getAsBoolean()) return;
    long now = System.currentTimeMillis();
    SubscriptionTable table = registry.subscriptions();
    if (table != matchedIn) { // testing every wildcard pattern per channel is redone only when subscriptions change
      matched.clear();
      matchedIn = table;
    }
    List<String> members = clustered() ? membership.members() : null;
    for (String name : registry.channels().keySet()) {
      if (Registry.SYSTEM.equals(name) || registry.isConfigured(name) || hasRouter.test(name)
          || (members != null && !membership.self().equals(io.wsmsg.cluster.Claims.rendezvous(name, members)))
          || matched.computeIfAbsent(name, table::anyMatches)) {
        unusedSince.remove(name);
        continue;
      }
      long since = unusedSince.computeIfAbsent(name, k -> now);
      if (now - since >= config.channelIdleMillis) {
        unusedSince.remove(name);
        RemoveChannel cmd = new RemoveChannel(name, null);
        RegistryReply r = apply(cmd);
        if (r.ok() && clustered()) replicate(RegistryCodec.encode(List.of(cmd)));
      }
    }
    unusedSince.keySet().retainAll(registry.channels().keySet());
    matched.keySet().retainAll(registry.channels().keySet());
  }

  private static boolean versioned(RegistryCommand c) {
    return c instanceof SubscribeChannel || c instanceof UnsubscribeChannel || c instanceof RemoveEndpoint
        || c instanceof SizeChannel || c instanceof PrioritizeChannel || c instanceof RegistryCommand.RemoveSubscription;
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
      String self = clustered() ? membership.self() : "";
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
   * Before deployment only: forgets everything applied so far, when a snapshot being replayed
   * through {@link #apply} turns out to be unusable half way (nothing of it may stay).
   */
  public void forgetAll() {
    registry.clear();
  }

  /** Applies one command; public so that snapshot loading can replay state through it. */
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
