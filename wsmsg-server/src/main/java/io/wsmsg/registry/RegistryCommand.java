package io.wsmsg.registry;

import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.Uid;

/**
 * A change to the registry, sent over the event bus to the {@link RegistryVerticle} (its
 * {@link RegistryWriter} is the only writer). {@code cause} is the uid of the client command behind it (events reference it),
 * or null.
 */
public sealed interface RegistryCommand {
  byte[] cause();

  /**
   * @param admin made by an admin token: on channel system such a subscription also gets other
   *     nodes' forwarded commands, not only events
   */
  record SubscribeChannel(String endpoint, Glob channel, Glob subject, byte[] cause, boolean admin)
      implements RegistryCommand {
    /** A subscription made without admin rights (restored, replicated from an old member, tests). */
    public SubscribeChannel(String endpoint, Glob channel, Glob subject, byte[] cause) {
      this(endpoint, channel, subject, cause, false);
    }
  }

  record UnsubscribeChannel(String endpoint, Glob pattern, byte[] cause) implements RegistryCommand {}

  /** Removes exactly one subscription (what an unsubscribe is replicated as; a tombstone in a dump). */
  record RemoveSubscription(String endpoint, Glob channel, Glob subject, byte[] cause) implements RegistryCommand {}

  /**
   * A command with the version of the change it makes ({@link Stamp}): applied only where it is
   * newer than what is there, so every member ends with the newest version whatever the order.
   */
  record Versioned(RegistryCommand command, Stamp stamp) implements RegistryCommand {
    @Override
    public byte[] cause() {
      return command.cause();
    }
  }

  record SubscribeMessage(String endpoint, Uid uid, long expiresAt, byte[] cause) implements RegistryCommand {}

  record UnsubscribeMessage(String endpoint, Uid uid, byte[] cause) implements RegistryCommand {}

  record CreateChannel(String channel, byte[] cause) implements RegistryCommand {}

  record SizeChannel(String channel, int size, byte[] cause) implements RegistryCommand {}

  record PrioritizeChannel(String channel, int priority, byte[] cause) implements RegistryCommand {}

  record CreateEndpoint(String endpoint, byte[] cause) implements RegistryCommand {}

  record SizeEndpoint(String endpoint, int size, byte[] cause) implements RegistryCommand {}

  /**
   * Creates the endpoint if needed and marks it ephemeral: it is removed, with its
   * subscriptions and message subscriptions, once its last node has left and its queue is
   * empty (after endpoints.ephemeralGraceSeconds).
   */
  record EphemeralEndpoint(String endpoint, byte[] cause) implements RegistryCommand {}

  /**
   * Removes an endpoint with its subscriptions and message subscriptions. With
   * {@code onlyIfUnused} (idle reclaim) it is removed only while it has neither: every member
   * checks that for itself, so a subscription made meanwhile elsewhere keeps it everywhere.
   */
  record RemoveEndpoint(String endpoint, boolean onlyIfUnused, byte[] cause) implements RegistryCommand {}

  /**
   * Removes a channel's registry entry, unless it is system, has settings an admin changed, or
   * some subscription matches it (checked by every member when applied).
   */
  record RemoveChannel(String channel, byte[] cause) implements RegistryCommand {}

  /**
   * A command made by a node, with who made it: what it creates is counted against that
   * identity's quotas on this member. Never replicated as such (the inner command is).
   */
  record Attributed(RegistryCommand command, String subject, io.wsmsg.auth.Quotas quotas) implements RegistryCommand {
    @Override
    public byte[] cause() {
      return command.cause();
    }
  }
}
