package io.wsmsg.registry;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.registry.RegistryCommand.RemoveChannel;
import io.wsmsg.registry.RegistryCommand.SubscribeMessage;
import io.wsmsg.registry.RegistryCommand.UnsubscribeMessage;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * The single writer of the {@link Registry} on the event bus: applies subscription and settings
 * commands (through its {@link RegistryWriter}) in the order they arrive, sends what they
 * changed to the other members ({@link Replication}), expires message subscriptions and
 * tombstones, and reclaims unused channels. Readers never wait for it; a gateway that needs
 * "visible to my next message" waits for the reply before reading the client's next frame.
 */
public final class RegistryVerticle extends AbstractVerticle {
  public static final String ADDRESS = "wsmsg.registry";

  private final Registry registry;
  private final ServerConfig config;
  private final RegistryWriter writer;
  private final Replication replication;
  /** Channels with a router on this member: not reclaimed (set before deployment; none = no reclaim). */
  private Predicate<String> hasRouter;
  private BooleanSupplier stopping = () -> false;
  /** When each channel was first seen unused (no router here, no matching subscription). */
  private final Map<String, Long> unusedSince = new HashMap<>();
  /** Whether some subscription matches a channel, for {@link #matchedIn} only (tables are immutable). */
  private final Map<String, Boolean> matched = new HashMap<>();
  private SubscriptionTable matchedIn;

  /** Every change made here goes to the other members through {@code replication} ({@link Replication#NONE}: none). */
  public RegistryVerticle(Registry registry, ServerConfig config, EventSink events, Replication replication) {
    this.registry = registry;
    this.config = config;
    this.replication = replication;
    this.writer = new RegistryWriter(registry, config, events, replication.self());
  }

  /**
   * Turns on channel reclaim: a channel that is not system, whose settings are the defaults,
   * that no subscription matches and that has no router on this member ({@code hasRouter},
   * routers retire when idle) for channels.idleSeconds is removed from the registry.
   */
  public RegistryVerticle reclaimChannels(Predicate<String> hasRouter, BooleanSupplier stopping) {
    this.hasRouter = hasRouter;
    this.stopping = stopping;
    return this;
  }

  @Override
  public void start(Promise<Void> started) {
    vertx.eventBus().<RegistryCommand>localConsumer(ADDRESS, this::handle);
    vertx.setPeriodic(1000, id -> registry.messageSubscriptions().expire(System.currentTimeMillis()));
    vertx.setPeriodic(Math.max(1000, Math.min(60_000, config.tombstoneMillis / 10)),
        id -> writer.expireTombstones(System.currentTimeMillis()));
    if (hasRouter != null && config.channelIdleMillis > 0) {
      vertx.setPeriodic(Math.max(100, Math.min(1000, config.channelIdleMillis / 4)), id -> sweepChannels());
    }
    replication.start(vertx, writer).onComplete(ar -> started.complete());
  }


  private void handle(Message<RegistryCommand> msg) {
    RegistryWriter.MadeHere made = writer.applyMadeHere(msg.body());
    RegistryReply reply = made.reply();
    if (made.toReplicate().isEmpty()) {
      msg.reply(reply);
      return;
    }
    RegistryCommand cmd = msg.body() instanceof RegistryCommand.Attributed a ? a.command() : msg.body();
    if (!(cmd instanceof SubscribeMessage || cmd instanceof UnsubscribeMessage)) {
      // the reply (and so the node's next frame) waits until every member has the change:
      // a subscription made here is in force for a publish anywhere once it is confirmed
      replication.send(made.toReplicate()).onComplete(v -> msg.reply(reply));
    } else {
      // Message subscriptions, made once per RPC call, are sent to the other members but not
      // waited for: waiting halved RPC throughput. The reply they wait for can only be
      // published after the request went out, which leaves after this update, and a router
      // that sees a reply with no taker holds it briefly for a late update (ChannelRouterVerticle).
      replication.send(made.toReplicate());
      msg.reply(reply);
    }
  }

  /**
   * Removes channels unused for channels.idleSeconds. In a cluster one member decides for each
   * channel ({@link Replication#reclaims}), and the removal is checked again where it is
   * applied, so a subscription made meanwhile anywhere keeps the channel everywhere.
   */
  private void sweepChannels() {
    if (stopping.getAsBoolean()) return;
    long now = System.currentTimeMillis();
    SubscriptionTable table = registry.subscriptions();
    if (table != matchedIn) { // testing every wildcard pattern per channel is redone only when subscriptions change
      matched.clear();
      matchedIn = table;
    }
    for (String name : registry.channels().keySet()) {
      if (Registry.SYSTEM.equals(name) || registry.isConfigured(name) || hasRouter.test(name)
          || !replication.reclaims(name) || matched.computeIfAbsent(name, table::anyMatches)) {
        unusedSince.remove(name);
        continue;
      }
      long since = unusedSince.computeIfAbsent(name, k -> now);
      if (now - since >= config.channelIdleMillis) {
        unusedSince.remove(name);
        RemoveChannel cmd = new RemoveChannel(name, null);
        if (writer.apply(cmd).ok()) replication.send(List.of(cmd));
      }
    }
    unusedSince.keySet().retainAll(registry.channels().keySet());
    matched.keySet().retainAll(registry.channels().keySet());
  }
}
