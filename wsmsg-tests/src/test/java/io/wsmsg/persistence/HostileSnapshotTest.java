package io.wsmsg.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.persistence.Snapshot;
import io.wsmsg.persistence.SnapshotWriter;
import io.wsmsg.persistence.StateStore;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot is input: one whose values a server could never have written (a channel of size
 * 0 loops its router for ever, a priority of 101 throws at every start) must not take the
 * server down or leave half of itself restored. Each file below holds healthy records first
 * and one bad value after them; the server must start, hold none of it, move the file aside
 * as {@code .unreadable} with one loud log line, and serve a healthy client.
 */
class HostileSnapshotTest extends ServerTestBase {
  private static final long YEAR_MS = 365L * 24 * 3600 * 1000;

  @TempDir Path dataDir;
  TestServer server;
  final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  final Logger storeLog = Logger.getLogger(StateStore.class.getName());
  final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      logged.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void listen() {
    storeLog.addHandler(capture);
  }

  @AfterEach
  void tearDown() {
    storeLog.removeHandler(capture);
  }

  private TestServer start() {
    return startServer(new JsonObject().put("dataDir", dataDir.toString()).put("stop",
        new JsonObject().put("graceMillis", 0)));
  }

  private static Frame frame(String channel, String subject) {
    return FrameCodec.encode(Ulids.next(), channel, subject, null, MsgPack.pack(List.of(1, "x")), WireOrder.SEED);
  }

  /** What a real server would write: settings, a subscription, a reply wait, a queued message. */
  private static void healthy(Snapshot.Sink w) {
    w.channel("system", 10_000, 100);
    w.channel("kept", 5, 3);
    w.endpoint("victim", 7);
    w.subscription("victim", "kept.*", "*");
    w.messageSubscription("victim", Ulids.next(), System.currentTimeMillis() + 60_000);
    w.queued("victim", 3, System.currentTimeMillis() - 1000, frame("kept.a", "first"));
  }

  /** A snapshot written by the project's own writer: the healthy records, then {@code bad}. */
  private byte[] written(Consumer<Snapshot.Sink> bad) throws IOException {
    Path file = dataDir.resolve(StateStore.FILE);
    try (SnapshotWriter w = new SnapshotWriter(file)) {
      healthy(w);
      bad.accept(w);
      w.commit();
    }
    return Files.readAllBytes(file);
  }

  /** Starts on the crafted file and checks everything the refusal promises. */
  private void assertRefusedAndServing(byte[] original, String because) throws Exception {
    server = start();
    assertThat(server.server.registry().channelCount()).as("only the system channel").isEqualTo(1);
    assertThat(server.server.registry().channel("kept").size()).as("default size, not the snapshot's").isEqualTo(
        server.server.config().channelSize);
    assertThat(server.server.registry().endpointCount()).isZero();
    assertThat(server.server.registry().subscriptions().size()).isZero();
    assertThat(server.server.registry().messageSubscriptions().size()).isZero();
    assertThat(TestNode.await(server.server.gateway().queueDepths())).isEmpty();

    assertThat(dataDir.resolve(StateStore.FILE)).doesNotExist();
    List<Path> aside = files(".unreadable");
    assertThat(aside).hasSize(1);
    assertThat(Files.readAllBytes(aside.get(0))).as("kept byte for byte").isEqualTo(original);
    assertThat(files(".loaded")).isEmpty();

    List<LogRecord> loud = logged.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue()).toList();
    assertThat(loud).as("one loud line").hasSize(1);
    assertThat(loud.get(0).getMessage()).contains(because).contains("EMPTY")
        .contains(aside.get(0).getFileName().toString());

    try (TestNode healthy = server.node("healthy")) {
      healthy.command("subscribe.channel", "healthy", "ping");
      healthy.sync("healthy");
      healthy.publish("ping", "pong", 1);
      Frame got = healthy.nextMessage();
      assertThat(got.subject()).isEqualTo("pong");
      healthy.ack(got);
    }
  }

  private List<Path> files(String suffix) throws IOException {
    try (Stream<Path> s = Files.list(dataDir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    }
  }

  @Test
  void aChannelOfSizeZeroIsRefused() throws Exception {
    assertRefusedAndServing(written(w -> w.channel("spin", 0, 1)), "size 0");
  }

  @Test
  void aChannelPriorityAbove100IsRefused() throws Exception {
    assertRefusedAndServing(written(w -> w.channel("loud", 10, 101)), "priority 101");
  }

  @Test
  void aNegativeChannelPriorityIsRefused() throws Exception {
    assertRefusedAndServing(written(w -> w.channel("quiet", 10, -1)), "priority -1");
  }

  @Test
  void anEndpointOfSizeZeroIsRefused() throws Exception {
    assertRefusedAndServing(written(w -> w.endpoint("nothing-fits", 0)), "size 0");
  }

  @Test
  void aPatternThatIsNoUtf8GlobIsRefused() throws Exception {
    // modified UTF-8 carries a lone surrogate, which no client could send as a name
    assertRefusedAndServing(written(w -> w.subscription("victim", "orders.\ud800*", "*")), "channel pattern");
  }

  @Test
  void anEmptyChannelPatternIsRefused() throws Exception {
    assertRefusedAndServing(written(w -> w.subscription("victim", "", "*")), "channel pattern");
  }

  @Test
  void aNameLongerThan255BytesIsRefused() throws Exception {
    assertRefusedAndServing(written(w -> w.endpoint("e".repeat(256), 5)), "not 1 to 255 bytes");
  }

  @Test
  void aQueuedPriorityOutside0To100IsRefused() throws Exception {
    assertRefusedAndServing(written(w -> w.queued("victim", 101, System.currentTimeMillis(), frame("kept.a", "b"))),
        "priority 101");
  }

  @Test
  void anEnqueueTimeFarInTheFutureIsRefused() throws Exception {
    // it would never reach its TTL: a message that lives for ever
    long future = System.currentTimeMillis() + 10 * YEAR_MS;
    assertRefusedAndServing(written(w -> w.queued("victim", 3, future, frame("kept.a", "forever"))),
        "ahead of this server's clock");
  }

  @Test
  void aQueuedMessageThatIsNotAFrameIsRefused() throws Exception {
    byte[] notAFrame = MsgPack.pack(List.of("only", "three", "elements"));
    RawSnapshot raw = new RawSnapshot();
    raw.healthy();
    raw.queued("victim", 3, System.currentTimeMillis(), notAFrame.length, notAFrame);
    assertRefusedAndServing(raw.install(dataDir), "not a valid frame");
  }

  @Test
  void aLengthFieldClaiming2To31BytesAllocatesNothingAndIsRefused() throws Exception {
    RawSnapshot raw = new RawSnapshot();
    raw.healthy();
    // 2^31 as an unsigned length (a negative int), with a few bytes and a valid trailer after it
    raw.queued("victim", 3, System.currentTimeMillis(), 0x80000000, new byte[] {1, 2, 3, 4});
    assertRefusedAndServing(raw.install(dataDir), "claims a length of 2147483648 bytes");
  }

  @Test
  void aLengthFieldClaiming2To31MinusOneBytesIsRefused() throws Exception {
    RawSnapshot raw = new RawSnapshot();
    raw.healthy();
    raw.messageSubscription("victim", Integer.MAX_VALUE, new byte[16]);
    assertRefusedAndServing(raw.install(dataDir), "claims a length of 2147483647 bytes");
  }

  @Test
  void aHealthySnapshotStillRestoresInFull() throws Exception {
    written(w -> { });
    server = start();
    assertThat(server.server.registry().channel("kept").size()).isEqualTo(5);
    assertThat(server.server.registry().endpointSize("victim")).isEqualTo(7);
    assertThat(TestNode.await(server.server.gateway().queueDepths())).containsEntry("victim", 1);
    assertThat(files(".unreadable")).isEmpty();
    assertThat(files(".loaded")).hasSize(1);
    assertThat(logged).noneMatch(r -> r.getLevel().intValue() >= Level.WARNING.intValue());
  }

  @Test
  void theSnapshotIsReadableByItsOwnerOnly() throws Exception {
    Assumptions.assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    server = start();
    try (TestNode n = server.node("offline")) {
      n.command("subscribe.channel", "offline", "secrets");
      n.sync("offline");
    }
    try (TestNode p = server.node("publisher")) {
      p.publish("secrets", "pin", 1234);
      p.sync("publisher");
    }
    TestServer s = server;
    server = null;
    s.stopGracefully();
    Path file = dataDir.resolve(StateStore.FILE);
    assertThat(file).exists();
    assertThat(Files.getPosixFilePermissions(file))
        .containsExactlyInAnyOrderElementsOf(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
    assertThat(dataDir.resolve(StateStore.FILE + ".tmp")).doesNotExist();
  }

  @Test
  void onlyTheLastThreeLoadedSnapshotsAreKept() throws Exception {
    Files.createDirectories(dataDir);
    List<String> old = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      String name = "snapshot-2020010" + i + "-000000-000.loaded";
      Files.writeString(dataDir.resolve(name), "old " + i);
      old.add(name);
    }
    Files.writeString(dataDir.resolve("snapshot-20200101-000000-000.unreadable"), "evidence");
    Files.writeString(dataDir.resolve("notes.txt"), "not ours");
    written(w -> { });
    server = start();
    assertThat(server.server.registry().endpointSize("victim")).as("restored").isEqualTo(7);

    List<String> loaded = files(".loaded").stream().map(p -> p.getFileName().toString()).toList();
    assertThat(loaded).hasSize(3);
    assertThat(loaded).contains(old.get(2), old.get(3)).doesNotContain(old.get(0), old.get(1));
    assertThat(loaded).anyMatch(n -> !old.contains(n)); // the one just loaded
    assertThat(dataDir.resolve("snapshot-20200101-000000-000.unreadable")).as("never rotated").exists();
    assertThat(dataDir.resolve("notes.txt")).exists();
    assertThat(logged).anyMatch(r -> r.getMessage().contains("deleted 2 old loaded snapshots")
        && r.getMessage().contains(old.get(0)) && r.getMessage().contains(old.get(1)));

    // and across real restarts the count stays at three
    for (int i = 0; i < 2; i++) {
      TestServer s = server;
      server = null;
      s.stopGracefully();
      server = start();
      assertThat(server.server.registry().endpointSize("victim")).as("still restored after restart " + i).isEqualTo(7);
      assertThat(files(".loaded")).hasSize(3);
    }
  }

  /**
   * Writes snapshot bytes field by field, for what the project's writer cannot produce: a
   * frame that is no frame, a length that lies. The layout is SnapshotFormat's; the trailer
   * (count and CRC32C) is valid, so only the crafted value is wrong.
   */
  static final class RawSnapshot {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CheckedOutputStream checked = new CheckedOutputStream(bytes, new CRC32C());
    private final DataOutputStream out = new DataOutputStream(checked);
    private long records;

    RawSnapshot() throws IOException {
      out.write("WSMSGSNP".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.writeInt(1);
      out.writeLong(System.currentTimeMillis());
    }

    void healthy() throws IOException {
      out.writeByte(1); // channel
      out.writeUTF("kept");
      out.writeInt(5);
      out.writeInt(3);
      out.writeByte(2); // endpoint
      out.writeUTF("victim");
      out.writeInt(7);
      out.writeByte(3); // subscription
      out.writeUTF("victim");
      out.writeUTF("kept.*");
      out.writeUTF("*");
      byte[] ok = frame("kept.a", "first").rawBytes();
      records += 3;
      queued("victim", 3, System.currentTimeMillis() - 1000, ok.length, ok);
    }

    void messageSubscription(String endpoint, int claimedLength, byte[] uid) throws IOException {
      out.writeByte(4);
      out.writeUTF(endpoint);
      out.writeInt(claimedLength);
      out.write(uid);
      out.writeLong(System.currentTimeMillis() + 60_000);
      records++;
    }

    void queued(String endpoint, int priority, long at, int claimedLength, byte[] frame) throws IOException {
      out.writeByte(5);
      out.writeUTF(endpoint);
      out.writeByte(priority);
      out.writeLong(at);
      out.writeInt(claimedLength);
      out.write(frame);
      records++;
    }

    /** Adds the trailer and puts the file where the server looks; returns its bytes. */
    byte[] install(Path dir) throws IOException {
      out.writeByte(127);
      out.writeLong(records);
      out.flush();
      int crc = (int) checked.getChecksum().getValue();
      new DataOutputStream(bytes).writeInt(crc);
      byte[] all = bytes.toByteArray();
      Files.createDirectories(dir);
      Files.write(dir.resolve(StateStore.FILE), all);
      return all;
    }
  }

}
