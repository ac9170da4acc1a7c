package io.wsmsg.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.Uid;
import io.wsmsg.protocol.Ulids;
import org.junit.jupiter.api.Test;

/** A snapshot refused half way is forgotten whole: the registry is as new afterwards. */
class RegistryForgetAllTest {
  @Test
  void forgetAllLeavesTheStateOfANewRegistry() {
    ServerConfig config = ServerConfig.of(null);
    Registry registry = new Registry(config);
    RegistryWriter writer = new RegistryWriter(registry, config, (subject, args, ref) -> { });
    writer.apply(new RegistryCommand.SizeChannel("orders", 5, null));
    writer.apply(new RegistryCommand.PrioritizeChannel("orders", 42, null));
    writer.apply(new RegistryCommand.SizeEndpoint("workers", 3, null));
    writer.apply(new RegistryCommand.SubscribeChannel("workers", Glob.compile("orders"), Glob.compile("*"), null));
    writer.apply(new RegistryCommand.SubscribeMessage("workers", Uid.of(Ulids.next()),
        System.currentTimeMillis() + 60_000, null));
    assertThat(registry.priorities()).contains(42);

    writer.forgetAll();

    Registry fresh = new Registry(config);
    assertThat(registry.channels()).isEqualTo(fresh.channels());
    assertThat(registry.endpoints()).isEmpty();
    assertThat(registry.subscriptions().size()).isZero();
    assertThat(registry.messageSubscriptions().size()).isZero();
    assertThat(registry.priorities()).containsExactly(fresh.priorities());
    assertThat(registry.route("orders", "x", null, System.currentTimeMillis())).isEmpty();
  }
}
