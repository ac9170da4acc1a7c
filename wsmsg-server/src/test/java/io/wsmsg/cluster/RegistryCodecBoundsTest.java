package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.cluster.PeerWireException.Reason;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.Uid;
import io.wsmsg.registry.Registry;
import io.wsmsg.registry.RegistryCommand;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/** Registry commands from peers are decoded with this member's limits and the client rules. */
class RegistryCodecBoundsTest {
  private static final ServerConfig CONFIG = ServerConfig.of(new JsonObject().put("limits", new JsonObject()
      .put("maxChannels", 5).put("maxEndpoints", 5).put("maxSubscriptions", 5).put("maxMessageSubscriptions", 5)));

  interface Body {
    void write(MessageBufferPacker p) throws IOException;
  }

  private static byte[] packed(Body b) throws IOException {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      b.write(p);
      return p.toByteArray();
    }
  }

  /** One command array of the given fields, wrapped in the outer array. */
  private static byte[] one(Body fields) throws IOException {
    return packed(p -> {
      p.packArrayHeader(1);
      fields.write(p);
    });
  }

  private static Reason reasonOf(byte[] b) {
    try {
      RegistryCodec.decode(b, 0, b.length, CONFIG);
    } catch (PeerWireException e) {
      return e.reason();
    }
    throw new AssertionError("accepted");
  }

  @Test
  void aWholeRegistryRoundTrips() {
    List<RegistryCommand> in = List.of(
        new RegistryCommand.SizeChannel("orders", 10, null),
        new RegistryCommand.PrioritizeChannel("orders", 99, null),
        new RegistryCommand.SizeEndpoint("w", 3, null),
        new RegistryCommand.EphemeralEndpoint("w", null),
        new RegistryCommand.SubscribeChannel("w", Glob.compile("orders.*"), Glob.compile(""), null, true),
        new RegistryCommand.SubscribeMessage("w", Uid.of(new byte[] {1, 2}), System.currentTimeMillis() + 5000, null),
        new RegistryCommand.RemoveEndpoint("x", true, null),
        new RegistryCommand.RemoveChannel("c", null));
    byte[] b = RegistryCodec.encode(in);
    List<RegistryCommand> out = RegistryCodec.decode(b, 0, b.length, CONFIG);
    assertThat(out).hasSize(in.size());
    assertThat(out.get(0)).isEqualTo(in.get(0));
    assertThat(out.get(1)).isEqualTo(in.get(1));
  }

  @Test
  void aChannelOrEndpointSizeOfZeroIsRefused() throws IOException {
    // a replicated channel size of 0 looped the channel's router
    assertThat(reasonOf(RegistryCodec.encode(List.of(new RegistryCommand.SizeChannel("c", 0, null)))))
        .isEqualTo(Reason.BAD_VALUE);
    assertThat(reasonOf(RegistryCodec.encode(List.of(new RegistryCommand.SizeEndpoint("e", -4, null)))))
        .isEqualTo(Reason.BAD_VALUE);
    assertThat(reasonOf(one(p -> p.packArrayHeader(3).packInt(6).packString("c").packLong(1L << 40))))
        .isEqualTo(Reason.BAD_VALUE);
  }

  @Test
  void prioritiesAndExpiriesStayInTheirRanges() {
    assertThat(reasonOf(RegistryCodec.encode(List.of(new RegistryCommand.PrioritizeChannel("c", 100, null)))))
        .isEqualTo(Reason.BAD_VALUE);
    assertThat(reasonOf(RegistryCodec.encode(List.of(new RegistryCommand.PrioritizeChannel("c", -1, null)))))
        .isEqualTo(Reason.BAD_VALUE);
    assertThat(reasonOf(RegistryCodec.encode(List.of(new RegistryCommand.PrioritizeChannel(Registry.SYSTEM, 5, null)))))
        .isEqualTo(Reason.BAD_VALUE);
    long tooLate = System.currentTimeMillis() + CONFIG.messageSubscriptionMaxMillis + 3_600_000;
    assertThat(reasonOf(RegistryCodec.encode(List.of(
        new RegistryCommand.SubscribeMessage("e", Uid.of(new byte[] {1}), tooLate, null))))).isEqualTo(Reason.BAD_VALUE);
  }

  @Test
  void namesFollowTheClientRules() throws IOException {
    assertThat(reasonOf(RegistryCodec.encode(List.of(new RegistryCommand.CreateEndpoint("", null)))))
        .isEqualTo(Reason.BAD_NAME);
    assertThat(reasonOf(RegistryCodec.encode(List.of(new RegistryCommand.CreateChannel("x".repeat(256), null)))))
        .isEqualTo(Reason.TOO_LONG);
    assertThat(reasonOf(one(p -> {
      p.packArrayHeader(2).packInt(8).packRawStringHeader(2);
      p.writePayload(new byte[] {(byte) 0xc3, (byte) 0x28}); // not UTF-8
    }))).isEqualTo(Reason.BAD_NAME);
    assertThat(reasonOf(one(p -> {
      p.packArrayHeader(4).packInt(3).packString("e").packBinaryHeader(65);
      p.writePayload(new byte[65]);
      p.packLong(1);
    }))).isEqualTo(Reason.TOO_LONG);
  }

  @Test
  void countsAreCheckedAgainstBytesAndLimits() throws IOException {
    // 2^31-1 commands announced in a few bytes: refused before any list is made for them
    assertThat(reasonOf(packed(p -> p.packArrayHeader(Integer.MAX_VALUE)))).isEqualTo(Reason.BAD_COUNT);
    // more commands than a whole registry within the limits can hold (2*5 + 2*5 + 5 + 5 = 30,
    // and as many tombstones of removed subscriptions as subscriptions: 35)
    List<RegistryCommand> many = new ArrayList<>();
    for (int i = 0; i < 36; i++) many.add(new RegistryCommand.CreateEndpoint("e" + i, null));
    assertThat(reasonOf(RegistryCodec.encode(many))).isEqualTo(Reason.OVER_LIMIT);
    assertThat(reasonOf(one(p -> p.packArrayHeader(5).packInt(8).packString("e").packNil().packNil().packNil())))
        .isEqualTo(Reason.BAD_COUNT);
    assertThat(reasonOf(one(p -> p.packArrayHeader(2).packInt(77).packString("e")))).isEqualTo(Reason.UNKNOWN_TYPE);
    byte[] ok = RegistryCodec.encode(List.of(new RegistryCommand.CreateEndpoint("e", null)));
    byte[] trailing = java.util.Arrays.copyOf(ok, ok.length + 1);
    assertThat(reasonOf(trailing)).isEqualTo(Reason.TRAILING_BYTES);
    assertThat(reasonOf(java.util.Arrays.copyOf(ok, ok.length - 1))).isEqualTo(Reason.TRUNCATED);
  }

  @Test
  void randomAndTruncatedBytesThrowNothingButPeerWireException() {
    Random rnd = new Random(20);
    byte[] valid = RegistryCodec.encode(List.of(
        new RegistryCommand.SizeChannel("orders", 10, null),
        new RegistryCommand.SubscribeChannel("w", Glob.compile("orders.*"), Glob.compile("*"), null, true),
        new RegistryCommand.SubscribeMessage("w", Uid.of(new byte[] {1, 2}), System.currentTimeMillis() + 5000, null),
        new RegistryCommand.RemoveEndpoint("x", true, null)));
    int refused = 0;
    for (int cut = 0; cut < valid.length; cut++) refused += decodesOrRefuses(java.util.Arrays.copyOf(valid, cut));
    for (int i = 0; i < 20_000; i++) {
      byte[] b = valid.clone();
      for (int k = 1 + rnd.nextInt(4); k > 0; k--) b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
      refused += decodesOrRefuses(b);
      byte[] r = new byte[rnd.nextInt(48)];
      rnd.nextBytes(r);
      refused += decodesOrRefuses(r);
    }
    assertThat(refused).isGreaterThan(20_000);
  }

  private static int decodesOrRefuses(byte[] b) {
    try {
      RegistryCodec.decode(b, 0, b.length, CONFIG);
      return 0;
    } catch (PeerWireException e) {
      return 1;
    }
  }
}
