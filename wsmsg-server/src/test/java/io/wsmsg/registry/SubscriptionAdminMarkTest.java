package io.wsmsg.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.cluster.RegistryCodec;
import io.wsmsg.glob.Glob;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * The admin mark of a subscription: forwarded commands on system reach only marked
 * subscriptions, events reach all; the mark survives replication and only an admin sets it.
 */
class SubscriptionAdminMarkTest {
  private static final io.wsmsg.config.ServerConfig CONFIG =
      io.wsmsg.config.ServerConfig.of(new io.vertx.core.json.JsonObject());

  private static Subscription sub(String ep, String ch, boolean admin) {
    return new Subscription(ep, Glob.compile(ch), Glob.compile("*"), admin);
  }

  @Test
  void forwardedCommandsGoOnlyToAdminSubscriptions() {
    SubscriptionTable t = SubscriptionTable.EMPTY.with(sub("ops", "system", true)).with(sub("mon", "system", false))
        .with(sub("app", "orders", false));
    assertThat(t.match("system", "subscribe.message")).containsExactly("ops");
    assertThat(t.match("system", "pause")).containsExactly("ops");
    assertThat(t.match("system", "some.future.command")).as("unknown subjects count as commands").containsExactly("ops");
    assertThat(t.match("system", "node.joined")).containsExactlyInAnyOrder("ops", "mon");
    assertThat(t.match("system", "channel.created")).containsExactlyInAnyOrder("ops", "mon");
    assertThat(t.match("orders", "anything")).containsExactly("app");
    assertThat(Registry.isForwardedCommand("orders", "subscribe.message")).isFalse();
  }

  @Test
  void anAdminRepeatMarksAndANonAdminRepeatNeverUnmarks() {
    SubscriptionTable plain = SubscriptionTable.EMPTY.with(sub("m", "system", false));
    assertThat(plain.with(sub("m", "system", false))).isSameAs(plain);
    SubscriptionTable marked = plain.with(sub("m", "system", true));
    assertThat(marked.size()).isEqualTo(1);
    assertThat(marked.of("m").get(0).admin()).isTrue();
    assertThat(marked.with(sub("m", "system", false))).isSameAs(marked);
    assertThat(marked.match("system", "stop")).containsExactly("m");
  }

  @Test
  void theMarkIsReplicated() throws Exception {
    List<RegistryCommand> in = List.of(
        new RegistryCommand.SubscribeChannel("ops", Glob.compile("system"), Glob.compile("*"), null, true),
        new RegistryCommand.SubscribeChannel("mon", Glob.compile("system"), Glob.compile("node.*"), null, false));
    List<RegistryCommand> out = RegistryCodec.decode(RegistryCodec.encode(in), 0, RegistryCodec.encode(in).length, CONFIG);
    assertThat(out).hasSize(2);
    assertThat(((RegistryCommand.SubscribeChannel) out.get(0)).admin()).isTrue();
    assertThat(((RegistryCommand.SubscribeChannel) out.get(1)).admin()).isFalse();
    assertThat(((RegistryCommand.SubscribeChannel) out.get(1)).subject().pattern()).isEqualTo("node.*");

    // an entry of four elements (a member without the mark) reads as not admin; a longer one
    // (a member with more fields) is read past, and the next entry still decodes
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      p.packArrayHeader(3);
      p.packArrayHeader(4).packInt(1).packString("old").packString("system").packString("*");
      p.packArrayHeader(6).packInt(1).packString("new").packString("system").packString("*").packBoolean(true)
          .packString("some-owner");
      p.packArrayHeader(2).packInt(5).packString("after");
      byte[] b = p.toByteArray();
      List<RegistryCommand> mixed = RegistryCodec.decode(b, 0, b.length, CONFIG);
      assertThat(((RegistryCommand.SubscribeChannel) mixed.get(0)).admin()).isFalse();
      assertThat(((RegistryCommand.SubscribeChannel) mixed.get(1)).admin()).isTrue();
      assertThat(mixed.get(2)).isEqualTo(new RegistryCommand.CreateChannel("after", null));
    }
  }
}
