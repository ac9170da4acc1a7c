package io.wsmsg.registry;

import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.Uid;

/** Test-side access to a registry's writes without a Vert.x instance (benchmarks). */
public final class RegistryBench {
  private final Registry registry;
  private final RegistryWriter writer;

  public RegistryBench(ServerConfig config) {
    registry = new Registry(config);
    writer = new RegistryWriter(registry, config, (subject, args, ref) -> { });
  }

  public Registry registry() {
    return registry;
  }

  public void subscribe(String endpoint, Glob channel, Glob subject) {
    writer.apply(new RegistryCommand.SubscribeChannel(endpoint, channel, subject, null));
  }

  public void subscribeMessage(String endpoint, byte[] uid, long expiresAt) {
    writer.apply(new RegistryCommand.SubscribeMessage(endpoint, Uid.of(uid), expiresAt, null));
  }
}
