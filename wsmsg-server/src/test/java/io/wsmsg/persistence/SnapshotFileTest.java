package io.wsmsg.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotFileTest {
  @TempDir Path dir;

  /** Records everything a reader hands over, as strings, to compare with what was written. */
  static class Recorder implements Snapshot.Sink {
    final List<String> items = new ArrayList<>();
    final List<Frame> frames = new ArrayList<>();

    @Override
    public void channel(String name, int size, int priority) {
      items.add("channel " + name + " " + size + " " + priority);
    }

    @Override
    public void endpoint(String name, int size) {
      items.add("endpoint " + name + " " + size);
    }

    @Override
    public void subscription(String endpoint, String channelPattern, String subjectPattern) {
      items.add("sub " + endpoint + " " + channelPattern + " " + subjectPattern);
    }

    @Override
    public void messageSubscription(String endpoint, byte[] uid, long expiresAt) {
      items.add("msgsub " + endpoint + " " + Ulids.toText(uid) + " " + expiresAt);
    }

    @Override
    public void queued(String endpoint, int priority, long enqueuedAt, Frame frame) {
      items.add("queued " + endpoint + " " + priority + " " + enqueuedAt + " " + frame.subject());
      frames.add(frame);
    }
  }

  private Path writeSample(Recorder expected) throws Exception {
    Path file = dir.resolve(StateStore.FILE);
    byte[] uid = Ulids.next();
    try (SnapshotWriter w = new SnapshotWriter(file)) {
      Snapshot.Sink both = new Tee(w, expected);
      both.channel("orders", 500, 7);
      both.endpoint("workers", 20);
      both.subscription("workers", "orders.*", "*.created");
      both.messageSubscription("app", uid, 1_900_000_000_000L);
      for (int i = 0; i < 3; i++) {
        Frame f = FrameCodec.encode(Ulids.next(), "orders", "s" + i, null, MsgPack.pack(List.of(i, "x")),
            i % 2 == 0 ? WireOrder.SEED : WireOrder.LEGACY);
        both.queued("workers", 7, 1000L + i, f);
      }
      w.commit();
    }
    return file;
  }

  @Test
  void roundTripKeepsEveryRecordAndTheFrameBytes() throws Exception {
    Recorder expected = new Recorder();
    Path file = writeSample(expected);
    Recorder got = new Recorder();
    long n = SnapshotReader.load(file, got);
    assertThat(n).isEqualTo(7);
    assertThat(got.items).containsExactlyElementsOf(expected.items);
    for (int i = 0; i < expected.frames.size(); i++) {
      assertThat(got.frames.get(i).rawBytes()).isEqualTo(expected.frames.get(i).rawBytes());
      assertThat(got.frames.get(i).order()).isEqualTo(expected.frames.get(i).order());
    }
    assertThat(Files.exists(dir.resolve(StateStore.FILE + ".tmp"))).isFalse();
  }

  @Test
  void everyTruncationIsRefusedAndRestoresNothing() throws Exception {
    Path file = writeSample(new Recorder());
    byte[] whole = Files.readAllBytes(file);
    for (int len = 0; len < whole.length; len++) {
      Path cut = dir.resolve("cut");
      Files.write(cut, java.util.Arrays.copyOf(whole, len));
      Recorder got = new Recorder();
      assertThatThrownBy(() -> SnapshotReader.load(cut, got)).as("prefix of %d bytes", len)
          .isInstanceOf(SnapshotException.class);
      assertThat(got.items).as("nothing restored from a prefix of %d bytes", len).isEmpty();
    }
  }

  @Test
  void aFlippedByteIsCaughtByTheChecksum() throws Exception {
    Path file = writeSample(new Recorder());
    byte[] bytes = Files.readAllBytes(file);
    // inside the last queued frame's data, where the structure stays readable
    bytes[bytes.length - 20] ^= 0x01;
    Files.write(file, bytes);
    Recorder got = new Recorder();
    assertThatThrownBy(() -> SnapshotReader.load(file, got))
        .isInstanceOf(SnapshotException.class).hasMessageContaining("checksum");
    assertThat(got.items).isEmpty();
  }

  @Test
  void notASnapshotAndUnknownVersionAreRefusedWithAReason() throws Exception {
    Path junk = dir.resolve("junk");
    Files.writeString(junk, "hello, this is not a snapshot at all");
    assertThatThrownBy(() -> SnapshotReader.verify(junk)).hasMessageContaining("not a wsmsg snapshot");

    Path file = writeSample(new Recorder());
    byte[] bytes = Files.readAllBytes(file);
    bytes[11] = 9; // version int, big-endian, after the 8-byte magic
    Files.write(file, bytes);
    assertThatThrownBy(() -> SnapshotReader.verify(file)).hasMessageContaining("version 9");
  }

  @Test
  void storeMovesALoadedSnapshotAsideAndAnUnreadableOneUntouched() throws Exception {
    StateStore store = new StateStore(dir);
    writeSample(new Recorder());
    Recorder got = new Recorder();
    assertThat(store.loadIfPresent(SnapshotLimits.defaults(), got)).isEqualTo(7);
    assertThat(Files.exists(store.snapshotFile())).isFalse();
    assertThat(listNames()).anyMatch(n -> n.endsWith(".loaded"));
    assertThat(store.loadIfPresent(SnapshotLimits.defaults(), new Recorder())).as("loaded only once").isZero();

    Path file = writeSample(new Recorder());
    byte[] bytes = Files.readAllBytes(file);
    byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 5);
    Files.write(file, truncated);
    Recorder none = new Recorder();
    assertThat(store.loadIfPresent(SnapshotLimits.defaults(), none)).isEqualTo(-1);
    assertThat(none.items).isEmpty();
    Path aside;
    try (Stream<Path> s = Files.list(dir)) {
      aside = s.filter(p -> p.getFileName().toString().endsWith(".unreadable")).findFirst().orElseThrow();
    }
    assertThat(Files.readAllBytes(aside)).as("kept byte for byte").isEqualTo(truncated);
  }

  @Test
  void aSinkThatFailsHalfWayIsToldToDiscardAndTheFileIsSetAside() throws Exception {
    StateStore store = new StateStore(dir);
    writeSample(new Recorder());
    boolean[] discarded = {false};
    Recorder failing = new Recorder() {
      @Override
      public void subscription(String endpoint, String channelPattern, String subjectPattern) {
        throw new IllegalStateException("the registry refused a record");
      }

      @Override
      public void discard() {
        items.clear();
        discarded[0] = true;
      }
    };
    assertThat(store.loadIfPresent(SnapshotLimits.defaults(), failing)).isEqualTo(-1);
    assertThat(discarded[0]).isTrue();
    assertThat(failing.items).isEmpty();
    assertThat(Files.exists(store.snapshotFile())).isFalse();
    assertThat(listNames()).anyMatch(n -> n.endsWith(".unreadable")).noneMatch(n -> n.endsWith(".loaded"));
  }

  @Test
  void moreOfAnythingThanTheLimitsAllowIsRefusedBeforeAnythingIsFed() throws Exception {
    Path file = writeSample(new Recorder()); // 1 channel besides system, 2 endpoints, 1 subscription, 1 reply wait
    SnapshotLimits roomy = new SnapshotLimits(2, 2, 1, 1, 1 << 20);
    assertThat(SnapshotReader.verify(file, roomy)).isEqualTo(7);
    SnapshotLimits[] tight = {
        new SnapshotLimits(1, 2, 1, 1, 1 << 20), new SnapshotLimits(2, 1, 1, 1, 1 << 20),
        new SnapshotLimits(2, 2, 0, 1, 1 << 20), new SnapshotLimits(2, 2, 1, 0, 1 << 20),
        new SnapshotLimits(2, 2, 1, 1, 100)};
    String[] why = {"limits.maxChannels", "limits.maxEndpoints", "limits.maxSubscriptions",
        "limits.maxMessageSubscriptions", "bytes (twice limits.maxQueuedMiB)"};
    for (int i = 0; i < tight.length; i++) {
      Recorder got = new Recorder();
      SnapshotLimits l = tight[i];
      assertThatThrownBy(() -> SnapshotReader.load(file, l, got)).hasMessageContaining(why[i]);
      assertThat(got.items).isEmpty();
    }
  }

  @Test
  void theFileIsCreatedForItsOwnerOnly() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path file = writeSample(new Recorder());
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
  }

  private List<String> listNames() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).toList();
    }
  }

  /** Sends each record to two sinks. */
  record Tee(Snapshot.Sink a, Snapshot.Sink b) implements Snapshot.Sink {
    @Override
    public void channel(String name, int size, int priority) {
      a.channel(name, size, priority);
      b.channel(name, size, priority);
    }

    @Override
    public void endpoint(String name, int size) {
      a.endpoint(name, size);
      b.endpoint(name, size);
    }

    @Override
    public void subscription(String endpoint, String channelPattern, String subjectPattern) {
      a.subscription(endpoint, channelPattern, subjectPattern);
      b.subscription(endpoint, channelPattern, subjectPattern);
    }

    @Override
    public void messageSubscription(String endpoint, byte[] uid, long expiresAt) {
      a.messageSubscription(endpoint, uid, expiresAt);
      b.messageSubscription(endpoint, uid, expiresAt);
    }

    @Override
    public void queued(String endpoint, int priority, long enqueuedAt, Frame frame) {
      a.queued(endpoint, priority, enqueuedAt, frame);
      b.queued(endpoint, priority, enqueuedAt, frame);
    }
  }
}
