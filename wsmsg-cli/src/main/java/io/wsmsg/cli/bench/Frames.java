package io.wsmsg.cli.bench;

import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.WireOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hand-built wsmsg frames for the load generator's hot loops. A publish is made by copying a
 * template built once with {@link FrameCodec} and patching its uid (and reference) and the
 * first bytes of its payload: no msgpack packer, no validation pass, one array per message.
 *
 * <p>Payload layout (the {@code data} element is a msgpack bin of {@code --payload} bytes):
 * bytes 0..7 hold {@link System#nanoTime()} at send, bytes 8..11 the sender's index, the
 * rest are zeros. Sender and receivers run in one JVM, so the clocks compare.
 */
final class Frames {
  static final int MIN_PAYLOAD = 12;
  static final int UID_OFFSET = 3; // 0x95, 0xc4, 0x10, then the 16 uid bytes

  private Frames() {}

  /**
   * Fresh 16-byte uids: a random 8-byte prefix per generator and 8 fresh random bytes per uid
   * (not a counter: a request uid must not be guessable from the previous one).
   */
  static final class Uids {
    private final long prefix = ThreadLocalRandom.current().nextLong();

    byte[] next() {
      byte[] b = new byte[16];
      write(b, 0);
      return b;
    }

    void write(byte[] b, int off) {
      putLong(b, off, prefix);
      putLong(b, off + 8, ThreadLocalRandom.current().nextLong());
    }
  }

  /** A publish template: [uid, channel, subject, reference, bin(payload)] in seed order. */
  static final class Template {
    final byte[] bytes;
    final int refOffset; // -1 when the reference is nil
    final int payloadOffset;
    final int payloadLength;

    Template(String channel, String subject, boolean withReference, int payload) {
      byte[] data = bin(new byte[payload]);
      Frame f = FrameCodec.encode(new byte[16], channel, subject, withReference ? new byte[16] : null, data,
          WireOrder.SEED);
      bytes = f.rawBytes();
      payloadLength = payload;
      payloadOffset = f.dataOffset() + (data.length - payload);
      // seed order: the reference sits right before data: 0xc4 0x10 <16 bytes>
      refOffset = withReference ? f.dataOffset() - 16 : -1;
    }

    /** A new frame with a fresh uid, the time and the sender's index in the payload. */
    byte[] make(Uids uids, int sender) {
      byte[] b = bytes.clone();
      uids.write(b, UID_OFFSET);
      putInt(b, payloadOffset + 8, sender);
      putLong(b, payloadOffset, System.nanoTime());
      return b;
    }
  }

  /** msgpack bin of the given bytes. */
  static byte[] bin(byte[] v) {
    int n = v.length;
    byte[] out;
    int p;
    if (n < 256) {
      out = new byte[2 + n];
      out[0] = (byte) 0xc4;
      out[1] = (byte) n;
      p = 2;
    } else if (n < 65536) {
      out = new byte[3 + n];
      out[0] = (byte) 0xc5;
      out[1] = (byte) (n >>> 8);
      out[2] = (byte) n;
      p = 3;
    } else {
      out = new byte[5 + n];
      out[0] = (byte) 0xc6;
      putInt(out, 1, n);
      p = 5;
    }
    System.arraycopy(v, 0, out, p, n);
    return out;
  }

  /**
   * Where the bytes of a bin {@code data} element start in a received frame, or -1 when data
   * is not a bin of at least {@link #MIN_PAYLOAD} bytes (not one of ours).
   */
  static int payloadStart(Frame f) {
    byte[] b = f.rawBytes();
    int off = f.dataOffset();
    int t = b[off] & 0xff;
    int start;
    int len;
    if (t == 0xc4) {
      len = b[off + 1] & 0xff;
      start = off + 2;
    } else if (t == 0xc5) {
      len = ((b[off + 1] & 0xff) << 8) | (b[off + 2] & 0xff);
      start = off + 3;
    } else if (t == 0xc6) {
      len = getInt(b, off + 1);
      start = off + 5;
    } else {
      return -1;
    }
    return len >= MIN_PAYLOAD ? start : -1;
  }

  /** {@code [uid, "system", "ack", reference, nil]}. */
  static byte[] ack(Uids uids, byte[] reference) {
    int n = reference.length;
    byte[] b = new byte[1 + 18 + 7 + 4 + 2 + n + 1];
    int p = 0;
    b[p++] = (byte) 0x95;
    b[p++] = (byte) 0xc4;
    b[p++] = 16;
    uids.write(b, p);
    p += 16;
    b[p++] = (byte) 0xa6;
    for (byte c : SYSTEM) b[p++] = c;
    b[p++] = (byte) 0xa3;
    b[p++] = 'a';
    b[p++] = 'c';
    b[p++] = 'k';
    b[p++] = (byte) 0xc4;
    b[p++] = (byte) n;
    System.arraycopy(reference, 0, b, p, n);
    p += n;
    b[p] = (byte) 0xc0;
    return b;
  }

  private static final byte[] SYSTEM = "system".getBytes(StandardCharsets.US_ASCII);

  static void putLong(byte[] b, int off, long v) {
    for (int i = 7; i >= 0; i--) {
      b[off + i] = (byte) v;
      v >>>= 8;
    }
  }

  static long getLong(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | (b[off + i] & 0xff);
    return v;
  }

  static void putInt(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }

  static int getInt(byte[] b, int off) {
    return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
  }
}
