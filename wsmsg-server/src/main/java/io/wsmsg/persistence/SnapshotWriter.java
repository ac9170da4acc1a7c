package io.wsmsg.persistence;

import io.wsmsg.protocol.Frame;
import io.wsmsg.registry.Stamp;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * Writes a snapshot atomically: records stream into a temporary file beside the target,
 * which is fsynced and then renamed over it, so a crash mid-write leaves either the old file
 * or the new one, never half of one; the directory is fsynced after the rename, so the rename
 * itself survives a power cut. The file is created readable by its owner only (mode 0600)
 * where the file system has POSIX permissions: it holds every queued message. Blocking I/O:
 * call it off the event loops.
 */
public final class SnapshotWriter implements Snapshot.Sink, AutoCloseable {
  private final Path target;
  private final Path temp;
  private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
      PosixFilePermission.OWNER_WRITE);

  private final FileChannel file;
  private final CheckedOutputStream checked;
  private final DataOutputStream out;
  private long records;
  private final int version;
  private boolean committed;

  public SnapshotWriter(Path target) throws IOException {
    this(target, SnapshotFormat.VERSION);
  }

  /** A writer of format {@code version} (1 or 2): tests that older files are still read. */
  public SnapshotWriter(Path target, int version) throws IOException {
    if (version != SnapshotFormat.VERSION && version != SnapshotFormat.VERSION_1) {
      throw new IllegalArgumentException("snapshot format version " + version);
    }
    this.version = version;
    this.target = target;
    Files.createDirectories(target.toAbsolutePath().getParent());
    this.temp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.deleteIfExists(temp); // left by a crash; created afresh so that its mode is ours
    this.file = createOwnerOnly(temp);
    this.checked = new CheckedOutputStream(new BufferedOutputStream(Channels.newOutputStream(file), 1 << 16),
        new CRC32C());
    this.out = new DataOutputStream(checked);
    out.write(SnapshotFormat.MAGIC);
    out.writeInt(version);
    out.writeLong(System.currentTimeMillis());
  }

  @Override
  public void channel(String name, int size, int priority) {
    channel(name, size, priority, Stamp.ZERO, Stamp.ZERO);
  }

  @Override
  public void channel(String name, int size, int priority, Stamp sizeStamp, Stamp priorityStamp) {
    write(() -> {
      out.writeByte(SnapshotFormat.CHANNEL);
      out.writeUTF(name);
      out.writeInt(size);
      out.writeInt(priority);
      if (version >= 2) {
        stamp(sizeStamp);
        stamp(priorityStamp);
      }
    });
  }

  private void stamp(Stamp s) throws IOException {
    Stamp v = s == null ? Stamp.ZERO : s;
    out.writeLong(v.clock());
    out.writeUTF(v.member());
  }

  @Override
  public void endpoint(String name, int size) {
    write(() -> {
      out.writeByte(SnapshotFormat.ENDPOINT);
      out.writeUTF(name);
      out.writeInt(size);
    });
  }

  @Override
  public void ephemeralEndpoint(String name) {
    write(() -> {
      out.writeByte(SnapshotFormat.EPHEMERAL_ENDPOINT);
      out.writeUTF(name);
    });
  }

  @Override
  public void subscription(String endpoint, String channelPattern, String subjectPattern) {
    subscription(endpoint, channelPattern, subjectPattern, Stamp.ZERO);
  }

  @Override
  public void subscription(String endpoint, String channelPattern, String subjectPattern, Stamp stamp) {
    write(() -> {
      out.writeByte(SnapshotFormat.SUBSCRIPTION);
      out.writeUTF(endpoint);
      out.writeUTF(channelPattern);
      out.writeUTF(subjectPattern);
      if (version >= 2) stamp(stamp);
    });
  }

  @Override
  public void tombstone(String endpoint, String channelPattern, String subjectPattern, Stamp stamp) {
    if (version < 2) return; // version 1 has no tombstones
    write(() -> {
      out.writeByte(SnapshotFormat.TOMBSTONE);
      out.writeUTF(endpoint);
      out.writeUTF(channelPattern);
      out.writeUTF(subjectPattern);
      stamp(stamp);
    });
  }

  @Override
  public void messageSubscription(String endpoint, byte[] uid, long expiresAt) {
    write(() -> {
      out.writeByte(SnapshotFormat.MESSAGE_SUBSCRIPTION);
      out.writeUTF(endpoint);
      bytes(uid);
      out.writeLong(expiresAt);
    });
  }

  @Override
  public void queued(String endpoint, int priority, long enqueuedAt, Frame frame) {
    write(() -> {
      out.writeByte(SnapshotFormat.QUEUED);
      out.writeUTF(endpoint);
      out.writeByte(priority);
      out.writeLong(enqueuedAt);
      bytes(frame.rawBytes());
    });
  }

  public long records() {
    return records;
  }

  /** Writes the trailer, fsyncs, and renames the file into place. */
  public void commit() throws IOException {
    out.writeByte(SnapshotFormat.END);
    out.writeLong(records);
    int crc = (int) checked.getChecksum().getValue();
    out.writeInt(crc);
    out.flush();
    file.force(true);
    out.close();
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    committed = true;
    syncDirectory(target.toAbsolutePath().getParent());
  }

  /** A new file, mode 0600 where POSIX permissions exist (else the file system's default). */
  private static FileChannel createOwnerOnly(Path path) throws IOException {
    Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try {
      return FileChannel.open(path, options, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (UnsupportedOperationException noPosix) {
      return FileChannel.open(path, options);
    }
  }

  /**
   * Makes a rename in the directory durable: fsync of the directory itself. Quietly skipped
   * where a directory cannot be opened or forced (Windows, some file systems).
   */
  static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException notSupported) {
      // nothing more can be done here; the file itself was fsynced
    }
  }

  @Override
  public void close() throws IOException {
    if (!committed) {
      out.close();
      Files.deleteIfExists(temp);
    }
  }

  private void bytes(byte[] b) throws IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  private interface IoAction {
    void run() throws IOException;
  }

  private void write(IoAction a) {
    try {
      a.run();
      records++;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
