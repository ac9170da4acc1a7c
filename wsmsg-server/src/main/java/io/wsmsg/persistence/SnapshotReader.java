package io.wsmsg.persistence;

import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.registry.Stamp;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;

/**
 * Reads a snapshot in two streaming passes: the first checks the header, the record
 * structure, every value (see {@link SnapshotChecker}: names, sizes, priorities, patterns,
 * uids, frames, times, and how many of each against the server's limits) and the checksum
 * without keeping anything; only a file that passes is read again into the
 * {@link Snapshot.Sink}. So a corrupt or hostile file restores nothing, and memory stays flat
 * however large the file is. Every length is bounded before anything of that length is
 * allocated. The second pass checks everything again (the file could change between the
 * passes); a sink that was fed must then undo what it got ({@link Snapshot.Sink#discard}).
 */
public final class SnapshotReader {
  private SnapshotReader() {}

  /** Verifies, then feeds the snapshot to the sink; returns the number of records. */
  public static long load(Path file, SnapshotLimits limits, Snapshot.Sink sink) throws IOException, SnapshotException {
    read(file, limits, null);
    return read(file, limits, sink);
  }

  /** {@link #load(Path, SnapshotLimits, Snapshot.Sink)} with the limits of the built-in configuration. */
  public static long load(Path file, Snapshot.Sink sink) throws IOException, SnapshotException {
    return load(file, SnapshotLimits.defaults(), sink);
  }

  /** Verifies only. */
  public static long verify(Path file, SnapshotLimits limits) throws IOException, SnapshotException {
    return read(file, limits, null);
  }

  /** Verifies only, with the limits of the built-in configuration. */
  public static long verify(Path file) throws IOException, SnapshotException {
    return verify(file, SnapshotLimits.defaults());
  }

  private static long read(Path file, SnapshotLimits limits, Snapshot.Sink sink) throws IOException, SnapshotException {
    long size = Files.size(file);
    Pass pass = new Pass(new SnapshotChecker(limits, System.currentTimeMillis()), sink != null);
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      CheckedInputStream checked = new CheckedInputStream(raw, new CRC32C());
      DataInputStream in = new DataInputStream(checked);
      byte[] magic = new byte[SnapshotFormat.MAGIC.length];
      in.readFully(magic);
      if (!Arrays.equals(magic, SnapshotFormat.MAGIC)) throw new SnapshotException("it is not a wsmsg snapshot");
      int version = in.readInt();
      if (version != SnapshotFormat.VERSION && version != SnapshotFormat.VERSION_1) {
        throw new SnapshotException("it has format version " + version + "; this server reads versions "
            + SnapshotFormat.VERSION_1 + " to " + SnapshotFormat.VERSION);
      }
      boolean versioned = version >= 2;
      in.readLong(); // written-at, informative
      SnapshotChecker check = pass.check;
      while (true) {
        byte type = in.readByte();
        switch (type) {
          case SnapshotFormat.CHANNEL -> {
            String name = in.readUTF();
            int s = in.readInt();
            int p = in.readInt();
            Stamp ss = versioned ? stamp(in) : Stamp.ZERO;
            Stamp ps = versioned ? stamp(in) : Stamp.ZERO;
            if (pass.valid(() -> {
              check.channel(name, s, p);
              check.stamp(ss);
              check.stamp(ps);
            }) && sink != null) {
              if (versioned) sink.channel(name, s, p, ss, ps);
              else sink.channel(name, s, p);
            }
          }
          case SnapshotFormat.ENDPOINT -> {
            String name = in.readUTF();
            int s = in.readInt();
            if (pass.valid(() -> check.endpoint(name, s)) && sink != null) sink.endpoint(name, s);
          }
          case SnapshotFormat.EPHEMERAL_ENDPOINT -> {
            String name = in.readUTF();
            if (pass.valid(() -> check.ephemeralEndpoint(name)) && sink != null) sink.ephemeralEndpoint(name);
          }
          case SnapshotFormat.SUBSCRIPTION -> {
            String ep = in.readUTF();
            String ch = in.readUTF();
            String su = in.readUTF();
            Stamp st = versioned ? stamp(in) : Stamp.ZERO;
            if (pass.valid(() -> {
              check.subscription(ep, ch, su);
              check.stamp(st);
            }) && sink != null) {
              if (versioned) sink.subscription(ep, ch, su, st);
              else sink.subscription(ep, ch, su);
            }
          }
          case SnapshotFormat.TOMBSTONE -> {
            if (!versioned) throw new SnapshotException("record " + (pass.records + 1) + " has an unknown type " + type);
            String ep = in.readUTF();
            String ch = in.readUTF();
            String su = in.readUTF();
            Stamp st = stamp(in);
            if (pass.valid(() -> {
              check.tombstone(ep, ch, su);
              check.stamp(st);
            }) && sink != null) sink.tombstone(ep, ch, su, st);
          }
          case SnapshotFormat.MESSAGE_SUBSCRIPTION -> {
            String ep = in.readUTF();
            byte[] uid = bytes(in, 1, FrameCodec.MAX_UID_BYTES, size, pass.records, "a message subscription's uid");
            long exp = in.readLong();
            if (pass.valid(() -> check.messageSubscription(ep)) && sink != null) sink.messageSubscription(ep, uid, exp);
          }
          case SnapshotFormat.QUEUED -> {
            String ep = in.readUTF();
            int p = in.readByte();
            long at = in.readLong();
            byte[] bytes = bytes(in, 1, SnapshotLimits.MAX_FRAME_BYTES, size, pass.records, "a queued message");
            Frame[] f = {null};
            if (pass.valid(() -> f[0] = check.queued(ep, p, at, bytes)) && sink != null) sink.queued(ep, p, at, f[0]);
          }
          case SnapshotFormat.END -> {
            long count = in.readLong();
            int expected = (int) checked.getChecksum().getValue();
            int crc = in.readInt();
            if (count != pass.records) {
              throw new SnapshotException("its trailer counts " + count + " records but it holds " + pass.records);
            }
            if (crc != expected) throw new SnapshotException("its checksum does not match its contents");
            if (in.read() != -1) throw new SnapshotException("it has bytes after its trailer");
            if (pass.invalid != null) throw pass.invalid;
            return pass.records;
          }
          default -> throw new SnapshotException("record " + (pass.records + 1) + " has an unknown type " + type);
        }
        pass.records++;
      }
    } catch (EOFException e) {
      throw new SnapshotException("it ends early (truncated) after record " + pass.records);
    } catch (java.io.UTFDataFormatException e) {
      throw new SnapshotException("record " + (pass.records + 1) + " holds a malformed string");
    }
  }

  private interface ValueCheck {
    void run() throws SnapshotException;
  }

  /**
   * One read of the file. A value found wrong while verifying is remembered and the structure
   * read on to the end, so that a damaged file is reported as damaged (checksum) rather than
   * by whatever value the damage hit; while feeding a sink, it ends the read at once.
   */
  private static final class Pass {
    final SnapshotChecker check;
    final boolean feeding;
    long records;
    SnapshotException invalid;

    Pass(SnapshotChecker check, boolean feeding) {
      this.check = check;
      this.feeding = feeding;
    }

    boolean valid(ValueCheck c) throws SnapshotException {
      if (invalid != null) return false;
      try {
        c.run();
        return true;
      } catch (SnapshotException e) {
        invalid = new SnapshotException("record " + (records + 1) + ": " + e.getMessage());
        if (feeding) throw invalid;
        return false;
      }
    }
  }

  private static Stamp stamp(DataInputStream in) throws IOException {
    long clock = in.readLong();
    return new Stamp(clock, in.readUTF());
  }

  /** A length-prefixed byte array whose length is checked before anything is allocated. */
  private static byte[] bytes(DataInputStream in, int min, int max, long fileSize, long records, String what)
      throws IOException, SnapshotException {
    int n = in.readInt();
    if (n < min || n > max || n > fileSize) {
      throw new SnapshotException("record " + (records + 1) + ": " + what + " claims a length of " + Integer.toUnsignedString(n)
          + " bytes; it must be " + min + ".." + Math.min(max, fileSize));
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
