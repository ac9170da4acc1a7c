package io.wsmsg.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.Quotas;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.ErrorCodes;
import io.wsmsg.protocol.Uid;
import io.wsmsg.protocol.Ulids;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The registry's mutations without Vert.x: what a command made here changes, publishes and is
 * replicated as; what a replica may do that a local command may not; when a removal is kept.
 */
class RegistryWriterTest {
  private static final ServerConfig CONFIG = ServerConfig.of(new JsonObject().put("limits", new JsonObject()
      .put("maxEndpoints", 2).put("maxChannels", 3).put("maxSubscriptions", 10)));

  private final Registry registry = new Registry(CONFIG);
  private final List<String> events = new ArrayList<>();
  private final RegistryWriter writer = new RegistryWriter(registry, CONFIG,
      (subject, args, ref) -> events.add(subject + " " + args), "member-a");

  private static RegistryCommand.SubscribeChannel subscribe(String endpoint, String channel) {
    return new RegistryCommand.SubscribeChannel(endpoint, Glob.compile(channel), Glob.compile("*"), null);
  }

  @Test
  void aSubscriptionMadeHereIsVersionedByThisMemberAndReplicatedWithThatVersion() {
    RegistryWriter.MadeHere made = writer.applyMadeHere(subscribe("workers", "orders"));

    assertThat(made.reply().ok()).isTrue();
    assertThat(registry.route("orders", "new", null, System.currentTimeMillis())).containsExactly("workers");
    assertThat(events).containsExactly("endpoint.created [workers]");
    assertThat(made.toReplicate()).hasSize(1);
    RegistryCommand.Versioned sent = (RegistryCommand.Versioned) made.toReplicate().get(0);
    assertThat(sent.command()).isInstanceOf(RegistryCommand.SubscribeChannel.class);
    assertThat(sent.stamp().member()).isEqualTo("member-a");
    assertThat(registry.subscriptionStamp(registry.subscriptions().of("workers").get(0))).isEqualTo(sent.stamp());
  }

  @Test
  void anUnsubscribeIsReplicatedAsTheExactSubscriptionsItRemovedEachWithOneVersion() {
    writer.applyMadeHere(subscribe("workers", "orders"));
    writer.applyMadeHere(subscribe("workers", "order-audit"));
    writer.applyMadeHere(subscribe("workers", "billing"));

    RegistryWriter.MadeHere made = writer.applyMadeHere(
        new RegistryCommand.UnsubscribeChannel("workers", Glob.compile("order*"), null));

    assertThat(made.toReplicate()).hasSize(2).allSatisfy(c -> {
      assertThat(c).isInstanceOf(RegistryCommand.Versioned.class);
      assertThat(((RegistryCommand.Versioned) c).command()).isInstanceOf(RegistryCommand.RemoveSubscription.class);
    });
    assertThat(made.toReplicate()).extracting(c -> ((RegistryCommand.Versioned) c).stamp()).containsOnly(
        ((RegistryCommand.Versioned) made.toReplicate().get(0)).stamp());
    assertThat(registry.subscriptions().of("workers")).extracting(s -> s.channel().pattern()).containsExactly("billing");
    assertThat(registry.tombstones()).hasSize(2);
  }

  @Test
  void anUnversionedCommandIsReplicatedAsItIsAndARefusedOneNotAtAll() {
    RegistryCommand create = new RegistryCommand.CreateEndpoint("one", null);
    assertThat(writer.applyMadeHere(create).toReplicate()).containsExactly(create);
    writer.applyMadeHere(new RegistryCommand.CreateEndpoint("two", null));

    RegistryWriter.MadeHere refused = writer.applyMadeHere(new RegistryCommand.CreateEndpoint("three", null));

    assertThat(refused.reply().errorCode()).isEqualTo(ErrorCodes.LIMIT);
    assertThat(refused.reply().errorText()).contains("limits.maxEndpoints");
    assertThat(refused.toReplicate()).isEmpty();
    assertThat(registry.hasEndpoint("three")).isFalse();
  }

  @Test
  void aReplicaSkipsTheLimitsAndPublishesNoEvents() {
    for (String ep : List.of("one", "two", "three")) {
      assertThat(writer.applyReplica(new RegistryCommand.CreateEndpoint(ep, null)).ok()).isTrue();
    }
    assertThat(registry.endpointCount()).isEqualTo(3);
    assertThat(events).isEmpty();
  }

  @Test
  void aNodesCommandCountsAgainstItsQuota() {
    Quotas oneEndpoint = new Quotas(Quotas.UNSET, 1, Quotas.UNSET, Quotas.UNSET, Quotas.UNSET);
    assertThat(CONFIG.authMode).isNotEqualTo("none");
    RegistryCommand first = new RegistryCommand.Attributed(new RegistryCommand.CreateEndpoint("mine", null), "alice",
        oneEndpoint);
    RegistryCommand second = new RegistryCommand.Attributed(new RegistryCommand.CreateEndpoint("also-mine", null),
        "alice", oneEndpoint);

    assertThat(writer.applyMadeHere(first).reply().ok()).isTrue();
    RegistryWriter.MadeHere refused = writer.applyMadeHere(second);

    assertThat(refused.reply().errorCode()).isEqualTo(ErrorCodes.LIMIT);
    assertThat(registry.hasEndpoint("also-mine")).isFalse();
    assertThat(writer.applyMadeHere(new RegistryCommand.CreateEndpoint("the-servers", null)).reply().ok())
        .as("the server's own commands have no quota").isTrue();
  }

  @Test
  void removalsOfWhatIsInUseAreKept() {
    writer.applyMadeHere(subscribe("workers", "orders"));
    writer.applyMadeHere(new RegistryCommand.CreateChannel("orders", null));

    assertThat(writer.apply(new RegistryCommand.RemoveEndpoint("workers", true, null))).isEqualTo(RegistryWriter.KEPT);
    assertThat(writer.apply(new RegistryCommand.RemoveChannel("orders", null))).isEqualTo(RegistryWriter.KEPT);
    assertThat(writer.apply(new RegistryCommand.RemoveChannel(Registry.SYSTEM, null))).isEqualTo(RegistryWriter.KEPT);

    assertThat(writer.apply(new RegistryCommand.RemoveEndpoint("workers", false, null)))
        .as("a removal without a version loses to the versioned subscription").isEqualTo(RegistryWriter.KEPT);
    assertThat(writer.applyMadeHere(new RegistryCommand.RemoveEndpoint("workers", false, null)).reply().ok()).isTrue();
    assertThat(registry.hasEndpoint("workers")).isFalse();
    assertThat(writer.apply(new RegistryCommand.RemoveChannel("orders", null)).ok()).isTrue();
    assertThat(registry.hasChannel("orders")).isFalse();
    assertThat(events).contains("endpoint.removed [workers]", "channel.removed [orders]");
  }

  @Test
  void anEphemeralEndpointIsMarkedAndItsMessageSubscriptionsGoWithIt() {
    writer.applyMadeHere(new RegistryCommand.EphemeralEndpoint("inbox", null));
    Uid uid = Uid.of(Ulids.next());
    writer.applyMadeHere(new RegistryCommand.SubscribeMessage("inbox", uid, System.currentTimeMillis() + 60_000, null));
    assertThat(registry.isEphemeral("inbox")).isTrue();
    assertThat(registry.messageSubscriptions().has(uid, "inbox")).isTrue();

    writer.applyMadeHere(new RegistryCommand.RemoveEndpoint("inbox", false, null));

    assertThat(registry.isEphemeral("inbox")).isFalse();
    assertThat(registry.messageSubscriptions().has(uid, "inbox")).isFalse();
  }

  @Test
  void channelSettingsMadeHereAreVersionedAndPublished() {
    RegistryWriter.MadeHere made = writer.applyMadeHere(new RegistryCommand.PrioritizeChannel("urgent", 50, null));

    assertThat(registry.channel("urgent").priority()).isEqualTo(50);
    assertThat(registry.priorities()).contains(50);
    assertThat(registry.priorityStamp("urgent").member()).isEqualTo("member-a");
    assertThat(made.toReplicate()).containsExactly(new RegistryCommand.Versioned(
        new RegistryCommand.PrioritizeChannel("urgent", 50, null), registry.priorityStamp("urgent")));
    assertThat(events).containsExactly("channel.created [urgent]", "channel.prioritized [urgent, 50]");
  }

  @Test
  void replicasThatWouldGrowTheRegistryBeyondTwiceALimitAreRefusedButRepeatsAreNot() {
    List<RegistryCommand> four = new ArrayList<>();
    for (int i = 0; i < 4; i++) four.add(new RegistryCommand.CreateEndpoint("e" + i, null));
    assertThat(writer.replicaGrowthRefusal(four)).isNull();
    four.forEach(writer::applyReplica);

    assertThat(writer.replicaGrowthRefusal(List.of(new RegistryCommand.CreateEndpoint("e4", null))))
        .contains("limits.maxEndpoints");
    assertThat(writer.replicaGrowthRefusal(List.of(new RegistryCommand.SizeEndpoint("e0", 7, null))))
        .as("an endpoint already here is not growth").isNull();
  }

  @Test
  void tombstonesExpireOnlyOnceOlderThanConfigured() {
    writer.applyMadeHere(subscribe("workers", "orders"));
    writer.applyMadeHere(new RegistryCommand.UnsubscribeChannel("workers", Glob.compile("orders"), null));
    assertThat(registry.tombstones()).hasSize(1);

    assertThat(writer.expireTombstones(System.currentTimeMillis())).isZero();
    assertThat(writer.expireTombstones(System.currentTimeMillis() + CONFIG.tombstoneMillis + 1)).isEqualTo(1);
    assertThat(registry.tombstones()).isEmpty();
  }
}
