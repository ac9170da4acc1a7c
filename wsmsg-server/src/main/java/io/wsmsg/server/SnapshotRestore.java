package io.wsmsg.server;

import io.wsmsg.config.ServerConfig;
import io.wsmsg.gateway.GatewayVerticle;
import io.wsmsg.gateway.Gateways;
import io.wsmsg.gateway.Queued;
import io.wsmsg.glob.Glob;
import io.wsmsg.persistence.Snapshot;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Uid;
import io.wsmsg.registry.Registry;
import io.wsmsg.registry.RegistryCommand;
import io.wsmsg.registry.RegistryReply;
import io.wsmsg.registry.RegistryWriter;
import io.wsmsg.registry.Stamp;

/**
 * Applies a snapshot (already checked by the reader) to a server that is not deployed yet:
 * settings and subscriptions into the registry (no events: nothing changed from the nodes'
 * point of view), queued messages into endpoint queues with their original enqueue time, so
 * TTLs keep counting from then. Message subscriptions that expired are skipped, and none
 * outlives {@code messageSubscriptions.maxExpirySeconds} from now. A record the registry
 * refuses fails the whole restore, and {@link #discard} undoes everything applied.
 */
final class SnapshotRestore implements Snapshot.Sink {
  private final ServerConfig config;
  private final RegistryWriter writer;
  private final Gateways gateway;
  private final long now = System.currentTimeMillis();
  /** Queued messages whose TTL ran out while the server was down. */
  long expired;

  SnapshotRestore(ServerConfig config, Registry registry, Gateways gateway) {
    this.config = config;
    this.writer = new RegistryWriter(registry, config, (subject, args, ref) -> { });
    this.gateway = gateway;
  }

  @Override
  public void channel(String name, int size, int priority) {
    apply(new RegistryCommand.SizeChannel(name, size, null));
    if (!Registry.SYSTEM.equals(name)) apply(new RegistryCommand.PrioritizeChannel(name, priority, null));
  }

  @Override
  public void channel(String name, int size, int priority, Stamp sizeStamp, Stamp priorityStamp) {
    apply(new RegistryCommand.Versioned(new RegistryCommand.SizeChannel(name, size, null), sizeStamp));
    if (!Registry.SYSTEM.equals(name)) {
      apply(new RegistryCommand.Versioned(new RegistryCommand.PrioritizeChannel(name, priority, null), priorityStamp));
    }
  }

  @Override
  public void endpoint(String name, int size) {
    apply(new RegistryCommand.SizeEndpoint(name, size, null));
  }

  @Override
  public void ephemeralEndpoint(String name) {
    apply(new RegistryCommand.EphemeralEndpoint(name, null));
  }

  @Override
  public void subscription(String endpoint, String channelPattern, String subjectPattern) {
    apply(new RegistryCommand.SubscribeChannel(endpoint, Glob.compile(channelPattern), Glob.compile(subjectPattern),
        null));
  }

  @Override
  public void subscription(String endpoint, String channelPattern, String subjectPattern, Stamp stamp) {
    apply(new RegistryCommand.Versioned(new RegistryCommand.SubscribeChannel(endpoint, Glob.compile(channelPattern),
        Glob.compile(subjectPattern), null), stamp));
  }

  @Override
  public void tombstone(String endpoint, String channelPattern, String subjectPattern, Stamp stamp) {
    // kept so that a stale copy of it from another member loses here too
    apply(new RegistryCommand.Versioned(new RegistryCommand.RemoveSubscription(endpoint, Glob.compile(channelPattern),
        Glob.compile(subjectPattern), null), stamp));
  }

  @Override
  public void messageSubscription(String endpoint, byte[] uid, long expiresAt) {
    long until = Math.min(expiresAt, now + config.messageSubscriptionMaxMillis);
    if (until > now) apply(new RegistryCommand.SubscribeMessage(endpoint, Uid.of(uid), until, null));
  }

  @Override
  public void queued(String endpoint, int priority, long enqueuedAt, Frame frame) {
    if (config.endpointTtlMillis > 0 && enqueuedAt <= now - config.endpointTtlMillis) {
      expired++;
    } else {
      gateway.restoreQueued(endpoint, new Queued(frame, priority, enqueuedAt));
    }
  }

  @Override
  public void discard() {
    writer.forgetAll();
    gateway.forgetRestored();
    expired = 0;
  }

  private void apply(RegistryCommand c) {
    RegistryReply r = writer.apply(c);
    if (!r.ok()) throw new IllegalStateException("the registry refused a record: " + r.errorText());
  }
}
