package io.wsmsg.protocol;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads and writes the five-element msgpack array of a wsmsg frame. Only the header is
 * decoded; {@code data} is walked once (without building any value) to prove it is one
 * well-formed msgpack value that ends the frame, and is otherwise left as raw bytes.
 *
 * <p>Hand-written rather than built on a generic unpacker: it allocates nothing but the
 * header strings and ids, and records the byte span of every element so a frame can be
 * re-ordered by copying spans. Stateless and thread-safe.
 */
public final class FrameCodec {
  public static final int MAX_UID_BYTES = 64;
  public static final int MAX_NAME_BYTES = 255;

  private FrameCodec() {}

  /** Decodes a frame's header; throws {@link ProtocolException} with code {@code bad_frame}. */
  public static Frame decode(byte[] b) throws ProtocolException {
    Reader r = new Reader(b);
    try {
      int n = r.arrayHeader();
      if (n != 5) {
        // the uid is still readable when element 0 is one: the error then references it
        throw bad("a message is an array of exactly 5 elements, got " + n, n > 0 ? r.uidIfAny() : null);
      }
      int uidStart = r.pos;
      byte[] uid = r.bin("uid");
      if (uid == null || uid.length == 0 || uid.length > MAX_UID_BYTES) {
        throw bad("uid must be bin of 1.." + MAX_UID_BYTES + " bytes", null);
      }
      int uidEnd = r.pos;
      int t = r.peek();
      WireOrder order = isStr(t) ? WireOrder.SEED : WireOrder.LEGACY;
      int cs, ce, ss, se, rs, re;
      String channel, subject;
      byte[] reference;
      if (order == WireOrder.SEED) {
        cs = r.pos;
        channel = r.str("channel", uid);
        ce = ss = r.pos;
        subject = r.str("subject", uid);
        se = rs = r.pos;
        reference = r.reference(uid);
        re = r.pos;
      } else {
        rs = r.pos;
        if (t != 0xc0 && t != 0xc4 && t != 0xc5 && t != 0xc6) {
          throw bad("element 2 must be the channel (str, seed order) or the reference (bin or nil,"
              + " legacy order), got " + describe(t), uid);
        }
        reference = r.reference(uid);
        re = cs = r.pos;
        channel = r.str("channel", uid);
        ce = ss = r.pos;
        subject = r.str("subject", uid);
        se = r.pos;
      }
      if (channel.isEmpty()) throw bad("channel must not be empty", uid);
      int dataStart = r.pos;
      if (dataStart >= b.length) throw bad("data is missing", uid);
      r.skipValue(uid);
      if (r.pos != b.length) {
        throw bad((b.length - r.pos) + " stray bytes after the message array", uid);
      }
      return new Frame(b, order, uidStart, uidEnd, cs, ce, ss, se, rs, re, dataStart, uid, channel,
          subject, reference);
    } catch (ArrayIndexOutOfBoundsException e) {
      throw bad("the frame ends in the middle of a msgpack value", r.uidSeen);
    }
  }

  /**
   * Builds a frame from parts; {@code data} is one already-encoded msgpack value. Used for
   * server-made messages (events, errors) and by the client.
   */
  public static Frame encode(byte[] uid, String channel, String subject, byte[] reference, byte[] data,
      WireOrder order) {
    byte[] ch = channel.getBytes(StandardCharsets.UTF_8);
    byte[] su = subject.getBytes(StandardCharsets.UTF_8);
    if (ch.length > MAX_NAME_BYTES || su.length > MAX_NAME_BYTES) {
      throw new IllegalArgumentException("channel and subject are at most 255 bytes of UTF-8");
    }
    if (ch.length == 0) {
      throw new IllegalArgumentException("channel must not be empty");
    }
    if (uid.length == 0 || uid.length > MAX_UID_BYTES) {
      throw new IllegalArgumentException("uid must have 1..64 bytes");
    }
    // putBin writes a one-byte length: a longer reference would corrupt the frame
    if (reference != null && (reference.length == 0 || reference.length > MAX_UID_BYTES)) {
      throw new IllegalArgumentException("reference must be null or have 1..64 bytes");
    }
    int size = 1 + 2 + uid.length + strLen(ch) + strLen(su) + (reference == null ? 1 : 2 + reference.length)
        + data.length;
    byte[] out = new byte[size];
    int p = 0;
    out[p++] = (byte) 0x95;
    p = putBin(out, p, uid);
    if (order == WireOrder.SEED) {
      p = putStr(out, p, ch);
      p = putStr(out, p, su);
      p = putRef(out, p, reference);
    } else {
      p = putRef(out, p, reference);
      p = putStr(out, p, ch);
      p = putStr(out, p, su);
    }
    System.arraycopy(data, 0, out, p, data.length);
    try {
      return decode(out);
    } catch (ProtocolException e) {
      throw new IllegalArgumentException("data is not one msgpack value: " + e.getMessage());
    }
  }

  private static int strLen(byte[] s) {
    return (s.length < 32 ? 1 : 2) + s.length;
  }

  private static int putBin(byte[] out, int p, byte[] v) {
    out[p++] = (byte) 0xc4;
    out[p++] = (byte) v.length;
    System.arraycopy(v, 0, out, p, v.length);
    return p + v.length;
  }

  private static int putRef(byte[] out, int p, byte[] ref) {
    if (ref == null) {
      out[p] = (byte) 0xc0;
      return p + 1;
    }
    return putBin(out, p, ref);
  }

  private static int putStr(byte[] out, int p, byte[] s) {
    if (s.length < 32) {
      out[p++] = (byte) (0xa0 | s.length);
    } else {
      out[p++] = (byte) 0xd9;
      out[p++] = (byte) s.length;
    }
    System.arraycopy(s, 0, out, p, s.length);
    return p + s.length;
  }

  private static boolean isStr(int t) {
    return (t >= 0xa0 && t <= 0xbf) || t == 0xd9 || t == 0xda || t == 0xdb;
  }

  static ProtocolException bad(String message, byte[] uid) {
    return new ProtocolException(ErrorCodes.BAD_FRAME, message, uid);
  }

  /** A cursor over the frame. Index errors mean truncation and are turned into bad_frame. */
  private static final class Reader {
    final byte[] b;
    int pos;
    byte[] uidSeen;

    Reader(byte[] b) {
      this.b = b;
    }

    int peek() {
      return b[pos] & 0xff;
    }

    int u8() {
      return b[pos++] & 0xff;
    }

    int u16() {
      return (u8() << 8) | u8();
    }

    long u32() {
      return ((long) u8() << 24) | (u8() << 16) | (u8() << 8) | u8();
    }

    int arrayHeader() throws ProtocolException {
      if (b.length == 0) throw bad("the frame is empty", null);
      int t = u8();
      if (t >= 0x90 && t <= 0x9f) return t & 0x0f;
      if (t == 0xdc) return u16();
      if (t == 0xdd) return (int) Math.min(u32(), Integer.MAX_VALUE);
      throw bad("a message must be a msgpack array, got " + describe(t), null);
    }

    byte[] bin(String what) throws ProtocolException {
      int t = u8();
      int len;
      if (t == 0xc4) len = u8();
      else if (t == 0xc5) len = u16();
      else if (t == 0xc6) len = checkLen(u32());
      else throw bad(what + " must be bin, got " + describe(t), uidSeen);
      byte[] v = take(len);
      if (uidSeen == null) uidSeen = v;
      return v;
    }

    /** Element 0 when it is a well-formed uid (bin of 1..64 bytes), else null; never throws. */
    byte[] uidIfAny() {
      try {
        int t = peek();
        if (t != 0xc4 && t != 0xc5 && t != 0xc6) return null;
        byte[] v = bin("uid");
        return v.length > 0 && v.length <= MAX_UID_BYTES ? v : null;
      } catch (ProtocolException | ArrayIndexOutOfBoundsException e) {
        return null;
      }
    }

    byte[] reference(byte[] uid) throws ProtocolException {
      int t = peek();
      if (t == 0xc0) {
        pos++;
        return null;
      }
      if (t != 0xc4 && t != 0xc5 && t != 0xc6) {
        throw bad("reference must be bin or nil, got " + describe(t), uid);
      }
      byte[] ref = bin("reference");
      if (ref.length == 0 || ref.length > MAX_UID_BYTES) {
        throw bad("reference must be bin of 1.." + MAX_UID_BYTES + " bytes or nil", uid);
      }
      return ref;
    }

    String str(String what, byte[] uid) throws ProtocolException {
      int t = u8();
      int len;
      if (t >= 0xa0 && t <= 0xbf) len = t & 0x1f;
      else if (t == 0xd9) len = u8();
      else if (t == 0xda) len = u16();
      else if (t == 0xdb) len = checkLen(u32());
      else throw bad(what + " must be str, got " + describe(t), uid);
      if (len > MAX_NAME_BYTES) throw bad(what + " is longer than 255 bytes", uid);
      if (pos + len > b.length) throw new ArrayIndexOutOfBoundsException();
      String s = utf8(b, pos, len);
      if (s == null) throw bad(what + " is not valid UTF-8", uid);
      pos += len;
      return s;
    }

    byte[] take(int len) {
      if (pos + len > b.length) throw new ArrayIndexOutOfBoundsException();
      byte[] v = new byte[len];
      System.arraycopy(b, pos, v, 0, len);
      pos += len;
      return v;
    }

    int checkLen(long len) {
      if (len > b.length) throw new ArrayIndexOutOfBoundsException();
      return (int) len;
    }

    void skip(long n) {
      if (n > b.length - pos) throw new ArrayIndexOutOfBoundsException();
      pos += (int) n;
    }

    /** Walks one msgpack value without recursion, so deep nesting cannot overflow the stack. */
    void skipValue(byte[] uid) throws ProtocolException {
      long remaining = 1;
      while (remaining > 0) {
        remaining--;
        int t = u8();
        if (t <= 0x7f || t >= 0xe0) continue; // fixints
        if (t <= 0x8f) { remaining += 2L * (t & 0x0f); continue; } // fixmap
        if (t <= 0x9f) { remaining += t & 0x0f; continue; } // fixarray
        if (t <= 0xbf) { skip(t & 0x1f); continue; } // fixstr
        switch (t) {
          case 0xc0: case 0xc2: case 0xc3: break;
          case 0xc4: case 0xd9: skip(u8()); break;
          case 0xc5: case 0xda: skip(u16()); break;
          case 0xc6: case 0xdb: skip(u32()); break;
          case 0xc7: skip(u8() + 1L); break;
          case 0xc8: skip(u16() + 1L); break;
          case 0xc9: skip(u32() + 1); break;
          case 0xca: skip(4); break;
          case 0xcb: skip(8); break;
          case 0xcc: case 0xd0: skip(1); break;
          case 0xcd: case 0xd1: skip(2); break;
          case 0xce: case 0xd2: skip(4); break;
          case 0xcf: case 0xd3: skip(8); break;
          case 0xd4: skip(2); break;
          case 0xd5: skip(3); break;
          case 0xd6: skip(5); break;
          case 0xd7: skip(9); break;
          case 0xd8: skip(17); break;
          case 0xdc: remaining += u16(); break;
          case 0xdd: remaining += u32(); break;
          case 0xde: remaining += 2L * u16(); break;
          case 0xdf: remaining += 2L * u32(); break;
          default: throw bad("data is not valid msgpack (byte 0xc1 is never used)", uid);
        }
        // every element takes at least one byte: more pending elements than bytes is a lie
        if (remaining > b.length - pos) throw new ArrayIndexOutOfBoundsException();
      }
    }
  }

  /** Fast path for ASCII; strict decoding (malformed input is refused) otherwise. */
  static String utf8(byte[] b, int off, int len) {
    boolean ascii = true;
    for (int i = off; i < off + len; i++) {
      if (b[i] < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) return new String(b, off, len, StandardCharsets.US_ASCII);
    try {
      CharBuffer cb = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b, off, len));
      return cb.toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  static String describe(int t) {
    if (t <= 0x7f || t >= 0xe0 || (t >= 0xcc && t <= 0xd3)) return "an integer";
    if (t <= 0x8f || t == 0xde || t == 0xdf) return "a map";
    if (t <= 0x9f || t == 0xdc || t == 0xdd) return "an array";
    if (t <= 0xbf || (t >= 0xd9 && t <= 0xdb)) return "a str";
    switch (t) {
      case 0xc0: return "nil";
      case 0xc2: case 0xc3: return "a boolean";
      case 0xc4: case 0xc5: case 0xc6: return "bin";
      case 0xca: case 0xcb: return "a float";
      case 0xc1: return "the never-used byte 0xc1";
      default: return "an extension value";
    }
  }
}
