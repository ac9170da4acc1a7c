package io.wsmsg.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import io.wsmsg.persistence.SnapshotException;
import io.wsmsg.persistence.SnapshotLimits;
import io.wsmsg.persistence.SnapshotReader;
import io.wsmsg.persistence.SnapshotWriter;
import io.wsmsg.registry.Registry;
import io.wsmsg.registry.RegistryCommand;
import io.wsmsg.registry.RegistryWriter;
import io.wsmsg.registry.Stamp;
import io.wsmsg.registry.Subscription;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Snapshots keep versions and tombstones (format 2), so a restarted member still knows what
 * was removed; format 1 files still load, their entries at version 0, which any versioned
 * change (a removal the cluster remembers) beats.
 */
class SnapshotVersionsTest {
  private static final ServerConfig CONFIG = ServerConfig.of(null);
  private static final long NOW = System.currentTimeMillis();

  private static Stamp at(long millisAgo, String member) {
    return new Stamp((NOW - millisAgo) << Stamp.LOGICAL_BITS, member);
  }

  private static RegistryCommand.Versioned sub(String ep, Stamp s) {
    return new RegistryCommand.Versioned(new RegistryCommand.SubscribeChannel(ep, Glob.compile("orders"),
        Glob.compile("*"), null), s);
  }

  private static RegistryCommand.Versioned unsub(String ep, Stamp s) {
    return new RegistryCommand.Versioned(new RegistryCommand.RemoveSubscription(ep, Glob.compile("orders"),
        Glob.compile("*"), null), s);
  }

  private static Registry restore(Path file) throws Exception {
    Registry r = new Registry(CONFIG);
    SnapshotReader.load(file, SnapshotLimits.of(CONFIG), new SnapshotRestore(CONFIG, r, null));
    return r;
  }

  private static boolean routes(Registry r, String ep) {
    return java.util.List.of(r.route("orders", "x", null, System.currentTimeMillis())).contains(ep);
  }

  @Test
  void aFormatOneSnapshotLoadsWithVersionZero() throws Exception {
    Path file = Files.createTempDirectory("wsmsg-snap-").resolve("snapshot.wsmsg");
    try (SnapshotWriter w = new SnapshotWriter(file, 1)) {
      w.channel("orders", 5, 3, at(10, "a"), at(10, "a")); // a format 1 file has no room for versions
      w.endpoint("w", 10);
      w.subscription("w", "orders", "*", at(10, "a"));
      w.tombstone("x", "orders", "*", at(10, "a")); // nor for tombstones: not written
      w.commit();
    }
    byte[] head = Files.readAllBytes(file);
    assertThat(java.nio.ByteBuffer.wrap(head, 8, 4).getInt()).isEqualTo(1);
    Registry r = restore(file);
    assertThat(routes(r, "w")).isTrue();
    assertThat(r.channel("orders").size()).isEqualTo(5);
    assertThat(r.subscriptionStamp(r.subscriptions().of("w").get(0))).isEqualTo(Stamp.ZERO);
    assertThat(r.sizeStamp("orders")).isEqualTo(Stamp.ZERO);
    assertThat(r.tombstones()).isEmpty();

    // any removal the cluster made (a real version) beats the old file's copy, in either order
    RegistryWriter writer = new RegistryWriter(r, CONFIG, (s, a, ref) -> { });
    writer.applyReplica(unsub("w", at(5000, "b")));
    assertThat(routes(r, "w")).isFalse();
  }

  @Test
  void aFormatTwoSnapshotKeepsVersionsAndTombstones() throws Exception {
    Registry before = new Registry(CONFIG);
    RegistryWriter writer = new RegistryWriter(before, CONFIG, (s, a, ref) -> { });
    writer.applyReplica(sub("keep", at(900, "a")));
    writer.applyReplica(sub("gone", at(900, "a")));
    writer.applyReplica(unsub("gone", at(100, "b")));
    writer.applyReplica(new RegistryCommand.Versioned(new RegistryCommand.SizeChannel("orders", 9, null), at(50, "b")));
    Path file = Files.createTempDirectory("wsmsg-snap-").resolve("snapshot.wsmsg");
    try (SnapshotWriter w = new SnapshotWriter(file)) { // as WsmsgServer writes it
      before.channels().forEach((n, c) -> w.channel(n, c.size(), c.priority(), before.sizeStamp(n), before.priorityStamp(n)));
      before.endpoints().forEach(w::endpoint);
      before.subscriptions().all().forEach((ep, subs) -> {
        for (Subscription s : subs) w.subscription(ep, s.channel().pattern(), s.subject().pattern(), before.subscriptionStamp(s));
      });
      before.tombstones().forEach((k, st) -> w.tombstone(k.endpoint(), k.channel(), k.subject(), st));
      w.commit();
    }
    Registry after = restore(file);
    assertThat(after.tombstones()).isEqualTo(before.tombstones());
    assertThat(after.subscriptionStamp(after.subscriptions().of("keep").get(0))).isEqualTo(at(900, "a"));
    assertThat(after.sizeStamp("orders")).isEqualTo(at(50, "b"));
    assertThat(after.channel("orders").size()).isEqualTo(9);
    // a stale copy from a member that missed the removal loses to the restored tombstone
    new RegistryWriter(after, CONFIG, (s, a, ref) -> { }).applyReplica(sub("gone", at(900, "a")));
    assertThat(routes(after, "gone")).isFalse();
    assertThat(routes(after, "keep")).isTrue();
  }

  @Test
  void aVersionFarInTheFutureRefusesTheFile() throws Exception {
    Path file = Files.createTempDirectory("wsmsg-snap-").resolve("snapshot.wsmsg");
    try (SnapshotWriter w = new SnapshotWriter(file)) {
      w.subscription("w", "orders", "*", new Stamp((NOW + 86_400_000L) << Stamp.LOGICAL_BITS, "a"));
      w.commit();
    }
    assertThatThrownBy(() -> SnapshotReader.verify(file)).isInstanceOf(SnapshotException.class)
        .hasMessageContaining("version clock");
  }
}
