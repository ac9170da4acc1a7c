package io.wsmsg.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import io.wsmsg.cluster.PeerWireException;
import io.wsmsg.cluster.RegistryCodec;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The merge rule of replicated registries: the highest version of each entry wins, removals
 * included (tombstones), so stale copies lose and every order of the same changes ends the
 * same. Members here are registries with their writer, fed as replicas, dumps and snapshots are.
 */
class RegistryMergeTest {
  private static final ServerConfig CONFIG = ServerConfig.of(null);
  private static final long NOW = System.currentTimeMillis();

  private static final class Member {
    final Registry registry = new Registry(CONFIG);
    final RegistryWriter writer = new RegistryWriter(registry, CONFIG, (s, a, r) -> { });

    Member apply(RegistryCommand... cmds) {
      for (RegistryCommand c : cmds) writer.applyReplica(c);
      return this;
    }

    boolean routesTo(String endpoint) {
      return List.of(registry.route("orders", "new", null, System.currentTimeMillis())).contains(endpoint);
    }

    /** Everything a merge must agree on: subscriptions with their marks and versions, tombstones, settings. */
    String state() {
      Map<String, String> m = new TreeMap<>();
      registry.subscriptions().all().forEach((ep, subs) -> subs.forEach(s -> m.put("sub " + ep + " " + s.channel().pattern()
          + " " + s.subject().pattern(), "admin=" + s.admin() + " " + registry.subscriptionStamp(s))));
      registry.tombstones().forEach((k, st) -> m.put("tomb " + k, String.valueOf(st)));
      registry.channels().forEach((n, c) -> m.put("channel " + n, c + " " + registry.sizeStamp(n) + " "
          + registry.priorityStamp(n)));
      return m.toString();
    }
  }

  private static Stamp at(long millisAgo, int logical, String member) {
    return new Stamp(((NOW - millisAgo) << Stamp.LOGICAL_BITS) + logical, member);
  }

  private static RegistryCommand add(String ep, Stamp s) {
    return add(ep, s, false);
  }

  private static RegistryCommand add(String ep, Stamp s, boolean admin) {
    return new RegistryCommand.Versioned(new RegistryCommand.SubscribeChannel(ep, Glob.compile("orders"),
        Glob.compile("*"), null, admin), s);
  }

  private static RegistryCommand remove(String ep, Stamp s) {
    return new RegistryCommand.Versioned(new RegistryCommand.RemoveSubscription(ep, Glob.compile("orders"),
        Glob.compile("*"), null), s);
  }

  private static RegistryCommand size(String ch, int size, Stamp s) {
    return new RegistryCommand.Versioned(new RegistryCommand.SizeChannel(ch, size, null), s);
  }

  @Test
  void aRemovalBeatsAStaleAddWhetherVersionedOrFromAnOldSnapshot() {
    Member m = new Member().apply(add("w", at(5000, 0, "a")), remove("w", at(1000, 0, "b")));
    assertThat(m.routesTo("w")).isFalse();
    m.apply(add("w", at(5000, 0, "a"))); // the same add again: a restarted member's snapshot, a healed partition
    m.apply(new RegistryCommand.SubscribeChannel("w", Glob.compile("orders"), Glob.compile("*"), null)); // version 0
    assertThat(m.routesTo("w")).as("stale copies do not resurrect the removed subscription").isFalse();
    assertThat(m.registry.tombstones()).hasSize(1);

    m.apply(add("w", at(10, 0, "a"))); // a subscribe made after the removal wins
    assertThat(m.routesTo("w")).isTrue();
    assertThat(m.registry.tombstones()).isEmpty();
  }

  @Test
  void aRemovalArrivingBeforeTheAddItRemovedStillWins() {
    Member m = new Member().apply(remove("w", at(1000, 0, "b")), add("w", at(5000, 0, "a")));
    assertThat(m.routesTo("w")).isFalse();
  }

  @Test
  void concurrentChangesEndTheSameInEveryOrder() {
    // made "at the same moment" on different gateways: same clock, members break the tie; plus
    // an older removal, a later admin re-subscribe and settings changed twice at once
    List<RegistryCommand> changes = List.of(
        add("w", at(100, 0, "gw1")),
        remove("w", at(100, 0, "gw2")),
        remove("v", at(200, 0, "gw1")),
        add("v", at(200, 0, "gw3"), true),
        add("v", at(300, 0, "gw2")),
        size("orders", 7, at(50, 3, "gw1")),
        size("orders", 9, at(50, 3, "gw2")),
        size("orders", 5, at(60, 0, "gw3")));
    List<List<RegistryCommand>> orders = new ArrayList<>();
    permutations(new ArrayList<>(changes), 0, orders);
    assertThat(orders).hasSize(40320);
    String first = null;
    for (List<RegistryCommand> order : orders) {
      String state = new Member().apply(order.toArray(RegistryCommand[]::new)).state();
      if (first == null) first = state;
      assertThat(state).as("after " + order).isEqualTo(first);
    }
    Member m = new Member().apply(changes.toArray(RegistryCommand[]::new));
    assertThat(m.routesTo("w")).as("gw2's removal has the higher member id at the same clock").isFalse();
    assertThat(m.routesTo("v")).as("gw3's add is newer than gw1's removal").isTrue();
    assertThat(m.registry.subscriptions().of("v").get(0).admin()).isTrue();
    assertThat(m.registry.channel("orders").size()).isEqualTo(9);
  }

  private static void permutations(List<RegistryCommand> l, int k, List<List<RegistryCommand>> out) {
    if (k == l.size()) {
      out.add(List.copyOf(l));
      return;
    }
    for (int i = k; i < l.size(); i++) {
      java.util.Collections.swap(l, k, i);
      permutations(l, k + 1, out);
      java.util.Collections.swap(l, k, i);
    }
  }

  @Test
  void aStaleChannelSettingLosesToANewerOne() {
    Member m = new Member().apply(size("orders", 50, at(100, 0, "a")), size("orders", 7, at(9000, 0, "b")));
    assertThat(m.registry.channel("orders").size()).isEqualTo(50);
    m.apply(new RegistryCommand.SizeChannel("orders", 3, null)); // an old snapshot's copy: version 0
    assertThat(m.registry.channel("orders").size()).isEqualTo(50);
  }

  @Test
  void tombstonesExpireAfterTheConfiguredTime() {
    ServerConfig short10 = ServerConfig.of(new JsonObject().put("cluster", new JsonObject().put("tombstoneSeconds", 10)));
    assertThat(CONFIG.tombstoneMillis).isEqualTo(24 * 3600_000L);
    Registry r = new Registry(short10);
    RegistryWriter w = new RegistryWriter(r, short10, (s, a, ref) -> { });
    w.applyReplica(remove("old", at(11_000, 0, "a")));
    w.applyReplica(remove("recent", at(9_000, 0, "a")));
    assertThat(r.tombstones()).hasSize(2);

    assertThat(w.expireTombstones(NOW)).isEqualTo(1);
    assertThat(r.tombstones().keySet()).extracting(Registry.SubKey::endpoint).containsExactly("recent");
    // once forgotten, a stale copy is taken as new (the documented limit of tombstones)
    w.applyReplica(add("old", at(20_000, 0, "a")));
    w.applyReplica(add("recent", at(20_000, 0, "a")));
    assertThat(r.subscriptions().of("old")).hasSize(1);
    assertThat(r.subscriptions().of("recent")).isEmpty();
  }

  @Test
  void aDumpCarriesVersionsAndTombstonesAndMergesEitherWay() {
    Member fresh = new Member().apply(add("keep", at(900, 0, "a")), add("gone", at(900, 1, "a")),
        remove("gone", at(100, 0, "a")), size("orders", 9, at(100, 1, "a")));
    Member stale = new Member().apply(add("keep", at(900, 0, "a")), add("gone", at(900, 1, "a")),
        size("orders", 7, at(900, 2, "a")));
    byte[] freshDump = RegistryCodec.encode(RegistryCodec.dump(fresh.registry));
    byte[] staleDump = RegistryCodec.encode(RegistryCodec.dump(stale.registry));
    fresh.apply(RegistryCodec.decode(staleDump, 0, staleDump.length, CONFIG).toArray(RegistryCommand[]::new));
    stale.apply(RegistryCodec.decode(freshDump, 0, freshDump.length, CONFIG).toArray(RegistryCommand[]::new));
    assertThat(stale.state()).isEqualTo(fresh.state());
    assertThat(stale.routesTo("gone")).isFalse();
    assertThat(stale.routesTo("keep")).isTrue();
    assertThat(stale.registry.channel("orders").size()).isEqualTo(9);
  }

  @Test
  void versionsFromPeersAreBoundsChecked() throws Exception {
    long ahead = Stamp.latestAcceptable(System.currentTimeMillis() + 3_600_000, 0);
    byte[] future = RegistryCodec.encode(List.of(add("w", new Stamp(ahead, "a"))));
    assertThatThrownBy(() -> RegistryCodec.decode(future, 0, future.length, CONFIG))
        .isInstanceOf(PeerWireException.class).hasMessageContaining("version clock");
    byte[] longName = RegistryCodec.encode(List.of(remove("w", new Stamp(1, "m".repeat(300)))));
    assertThatThrownBy(() -> RegistryCodec.decode(longName, 0, longName.length, CONFIG))
        .isInstanceOf(PeerWireException.class).hasMessageContaining("version member");
    byte[] ok = RegistryCodec.encode(List.of(remove("w", at(0, 0, "a")), size("c", 3, at(0, 1, "b"))));
    List<RegistryCommand> back = RegistryCodec.decode(ok, 0, ok.length, CONFIG);
    assertThat(back).hasSize(2).allMatch(c -> c instanceof RegistryCommand.Versioned);
    assertThat(((RegistryCommand.Versioned) back.get(0)).stamp()).isEqualTo(at(0, 0, "a"));
    assertThat(RegistryCodec.encode(back)).isEqualTo(ok);
  }
}
