package io.wsmsg.persistence;

import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.ProtocolException;
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
 * structure and the checksum without keeping anything; only a file that passes is read again
 * into the {@link Snapshot.Sink}. So a corrupt file restores nothing, and memory stays flat
 * however large the file is.
 */
public final class SnapshotReader {
  private SnapshotReader() {}

  /** Verifies, then feeds the snapshot to the sink; returns the number of records. */
  public static long load(Path file, Snapshot.Sink sink) throws IOException, SnapshotException {
    read(file, null);
    return read(file, sink);
  }

  /** Verifies only. */
  public static long verify(Path file) throws IOException, SnapshotException {
    return read(file, null);
  }

  private static long read(Path file, Snapshot.Sink sink) throws IOException, SnapshotException {
    long size = Files.size(file);
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      CheckedInputStream checked = new CheckedInputStream(raw, new CRC32C());
      DataInputStream in = new DataInputStream(checked);
      byte[] magic = new byte[SnapshotFormat.MAGIC.length];
      in.readFully(magic);
      if (!Arrays.equals(magic, SnapshotFormat.MAGIC)) throw new SnapshotException("it is not a wsmsg snapshot");
      int version = in.readInt();
      if (version != SnapshotFormat.VERSION) {
        throw new SnapshotException("it has format version " + version + "; this server reads version "
            + SnapshotFormat.VERSION);
      }
      in.readLong(); // written-at, informative
      long records = 0;
      while (true) {
        byte type = in.readByte();
        switch (type) {
          case SnapshotFormat.CHANNEL -> {
            String name = in.readUTF();
            int s = in.readInt();
            int p = in.readInt();
            if (sink != null) sink.channel(name, s, p);
          }
          case SnapshotFormat.ENDPOINT -> {
            String name = in.readUTF();
            int s = in.readInt();
            if (sink != null) sink.endpoint(name, s);
          }
          case SnapshotFormat.EPHEMERAL_ENDPOINT -> {
            String name = in.readUTF();
            if (sink != null) sink.ephemeralEndpoint(name);
          }
          case SnapshotFormat.SUBSCRIPTION -> {
            String ep = in.readUTF();
            String ch = in.readUTF();
            String su = in.readUTF();
            if (sink != null) sink.subscription(ep, ch, su);
          }
          case SnapshotFormat.MESSAGE_SUBSCRIPTION -> {
            String ep = in.readUTF();
            byte[] uid = bytes(in, size);
            long exp = in.readLong();
            if (sink != null) sink.messageSubscription(ep, uid, exp);
          }
          case SnapshotFormat.QUEUED -> {
            String ep = in.readUTF();
            int p = in.readByte();
            long at = in.readLong();
            byte[] frame = bytes(in, size);
            if (sink != null) {
              Frame f;
              try {
                f = FrameCodec.decode(frame);
              } catch (ProtocolException e) {
                throw new SnapshotException("a queued message is not a valid frame: " + e.getMessage());
              }
              sink.queued(ep, p, at, f);
            }
          }
          case SnapshotFormat.END -> {
            long count = in.readLong();
            int expected = (int) checked.getChecksum().getValue();
            int crc = in.readInt();
            if (count != records) {
              throw new SnapshotException("its trailer counts " + count + " records but it holds " + records);
            }
            if (crc != expected) throw new SnapshotException("its checksum does not match its contents");
            if (in.read() != -1) throw new SnapshotException("it has bytes after its trailer");
            return records;
          }
          default -> throw new SnapshotException("it has an unknown record type " + type + " after record " + records);
        }
        records++;
      }
    } catch (EOFException e) {
      throw new SnapshotException("it ends early (truncated)");
    } catch (java.io.UTFDataFormatException e) {
      throw new SnapshotException("it holds a malformed string");
    }
  }

  private static byte[] bytes(DataInputStream in, long fileSize) throws IOException, SnapshotException {
    int n = in.readInt();
    if (n < 0 || n > fileSize) throw new SnapshotException("it holds a record with an impossible length " + n);
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
