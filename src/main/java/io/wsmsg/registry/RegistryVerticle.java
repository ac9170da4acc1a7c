package io.wsmsg.registry;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.protocol.ErrorCodes;
import io.wsmsg.registry.RegistryCommand.CreateChannel;
import io.wsmsg.registry.RegistryCommand.CreateEndpoint;
import io.wsmsg.registry.RegistryCommand.PrioritizeChannel;
import io.wsmsg.registry.RegistryCommand.SizeChannel;
import io.wsmsg.registry.RegistryCommand.SizeEndpoint;
import io.wsmsg.registry.RegistryCommand.SubscribeChannel;
import io.wsmsg.registry.RegistryCommand.SubscribeMessage;
import io.wsmsg.registry.RegistryCommand.UnsubscribeChannel;
import io.wsmsg.registry.RegistryCommand.UnsubscribeMessage;
import java.util.List;

/**
 * The single writer of the {@link Registry}: applies subscription and settings commands in
 * the order they arrive on the event bus, publishes the events they cause, and expires
 * message subscriptions. Readers never wait for it; a gateway that needs "visible to my next
 * message" waits for the reply before reading the client's next frame.
 */
public final class RegistryVerticle extends AbstractVerticle {
  public static final String ADDRESS = "wsmsg.registry";

  private final Registry registry;
  private final ServerConfig config;
  private final EventSink events;

  public RegistryVerticle(Registry registry, ServerConfig config, EventSink events) {
    this.registry = registry;
    this.config = config;
    this.events = events;
  }

  @Override
  public void start(Promise<Void> started) {
    vertx.eventBus().<RegistryCommand>localConsumer(ADDRESS, this::handle);
    vertx.setPeriodic(1000, id -> registry.messageSubscriptions().expire(System.currentTimeMillis()));
    started.complete();
  }

  private void handle(Message<RegistryCommand> msg) {
    RegistryReply reply;
    try {
      reply = apply(msg.body());
    } catch (RuntimeException e) {
      reply = new RegistryReply(ErrorCodes.BAD_ARGUMENTS, e.getMessage());
    }
    msg.reply(reply);
  }

  /** Applies one command; public so that snapshot loading can replay state through it. */
  public RegistryReply apply(RegistryCommand cmd) {
    byte[] cause = cmd.cause();
    if (cmd instanceof SubscribeChannel c) {
      RegistryReply r = ensureEndpoint(c.endpoint(), cause);
      if (!r.ok()) return r;
      SubscriptionTable table = registry.subscriptions();
      SubscriptionTable next = table.with(new Subscription(c.endpoint(), c.channel(), c.subject()));
      if (next != table && table.size() >= config.maxSubscriptions) {
        return new RegistryReply(ErrorCodes.LIMIT, "the server holds its maximum of " + config.maxSubscriptions
            + " subscriptions (limits.maxSubscriptions)");
      }
      registry.setTable(next);
    } else if (cmd instanceof UnsubscribeChannel c) {
      registry.setTable(registry.subscriptions().without(c.endpoint(), c.pattern()));
    } else if (cmd instanceof SubscribeMessage c) {
      RegistryReply r = ensureEndpoint(c.endpoint(), cause);
      if (!r.ok()) return r;
      MessageSubscriptions ms = registry.messageSubscriptions();
      if (ms.size() >= config.maxMessageSubscriptions) {
        ms.expire(System.currentTimeMillis());
        if (ms.size() >= config.maxMessageSubscriptions) {
          return new RegistryReply(ErrorCodes.LIMIT, "the server holds its maximum of "
              + config.maxMessageSubscriptions + " message subscriptions (limits.maxMessageSubscriptions)");
        }
      }
      ms.put(c.uid(), c.endpoint(), c.expiresAt());
    } else if (cmd instanceof UnsubscribeMessage c) {
      registry.messageSubscriptions().remove(c.uid(), c.endpoint());
    } else if (cmd instanceof CreateChannel c) {
      return ensureChannel(c.channel(), cause);
    } else if (cmd instanceof SizeChannel c) {
      RegistryReply r = ensureChannel(c.channel(), cause);
      if (!r.ok()) return r;
      ChannelSettings cur = registry.channel(c.channel());
      registry.putChannel(c.channel(), new ChannelSettings(c.size(), cur.priority()));
      events.publish("channel.sized", List.of(c.channel(), c.size()), cause);
    } else if (cmd instanceof PrioritizeChannel c) {
      RegistryReply r = ensureChannel(c.channel(), cause);
      if (!r.ok()) return r;
      ChannelSettings cur = registry.channel(c.channel());
      registry.putChannel(c.channel(), new ChannelSettings(cur.size(), c.priority()));
      events.publish("channel.prioritized", List.of(c.channel(), c.priority()), cause);
    } else if (cmd instanceof CreateEndpoint c) {
      return ensureEndpoint(c.endpoint(), cause);
    } else if (cmd instanceof SizeEndpoint c) {
      RegistryReply r = ensureEndpoint(c.endpoint(), cause);
      if (!r.ok()) return r;
      registry.putEndpoint(c.endpoint(), c.size());
      events.publish("endpoint.sized", List.of(c.endpoint(), c.size()), cause);
    }
    return RegistryReply.OK;
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

  private RegistryReply ensureChannel(String name, byte[] cause) {
    if (registry.hasChannel(name)) return RegistryReply.OK;
    String refusal = channelRefusal(registry, config, name);
    if (refusal != null) return new RegistryReply(ErrorCodes.LIMIT, refusal);
    registry.putChannel(name, new ChannelSettings(config.channelSize, config.channelPriority));
    events.publish("channel.created", List.of(name), cause);
    return RegistryReply.OK;
  }

  private RegistryReply ensureEndpoint(String name, byte[] cause) {
    if (registry.hasEndpoint(name)) return RegistryReply.OK;
    if (registry.endpointCount() >= config.maxEndpoints) {
      return new RegistryReply(ErrorCodes.LIMIT, "the server holds its maximum of " + config.maxEndpoints
          + " endpoints (limits.maxEndpoints); endpoint " + name + " was not created");
    }
    registry.putEndpoint(name, config.endpointSize);
    events.publish("endpoint.created", List.of(name), cause);
    return RegistryReply.OK;
  }
}
