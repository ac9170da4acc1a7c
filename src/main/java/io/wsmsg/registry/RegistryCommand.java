package io.wsmsg.registry;

import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.Uid;

/**
 * A change to the registry, sent over the event bus to the {@link RegistryVerticle} (the only
 * writer). {@code cause} is the uid of the client command behind it (events reference it),
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

  record SubscribeMessage(String endpoint, Uid uid, long expiresAt, byte[] cause) implements RegistryCommand {}

  record UnsubscribeMessage(String endpoint, Uid uid, byte[] cause) implements RegistryCommand {}

  record CreateChannel(String channel, byte[] cause) implements RegistryCommand {}

  record SizeChannel(String channel, int size, byte[] cause) implements RegistryCommand {}

  record PrioritizeChannel(String channel, int priority, byte[] cause) implements RegistryCommand {}

  record CreateEndpoint(String endpoint, byte[] cause) implements RegistryCommand {}

  record SizeEndpoint(String endpoint, int size, byte[] cause) implements RegistryCommand {}
}
