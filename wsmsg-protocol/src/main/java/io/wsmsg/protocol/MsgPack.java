package io.wsmsg.protocol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessageSizeException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Plain Java values to and from msgpack, for the few places that must look inside
 * {@code data}: command arguments and server-made events on the server, user payloads in the
 * client. Never used on the publish/deliver path.
 *
 * <p>Mapping: nil = null, boolean, integers = Long (or BigInteger above Long.MAX_VALUE),
 * floats = Double, str = String, bin = byte[], array = List, map = Map (insertion order),
 * ext = {@link Ext}. A {@link Raw} value is written as the msgpack bytes it holds.
 */
public final class MsgPack {
  private MsgPack() {}

  /** An already-encoded msgpack value, written through as is. */
  public record Raw(byte[] bytes) {}

  /** A msgpack extension value; equal when type and data bytes are equal. */
  public record Ext(byte type, byte[] data) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Ext e && e.type == type && java.util.Arrays.equals(e.data, data);
    }

    @Override
    public int hashCode() {
      return 31 * type + java.util.Arrays.hashCode(data);
    }

    @Override
    public String toString() {
      return "Ext(" + type + ", " + java.util.HexFormat.of().formatHex(data) + ")";
    }
  }

  public static byte[] pack(Object value) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      write(p, value);
      p.flush();
      return p.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Packs the values as one msgpack array. */
  public static byte[] packArray(Object... values) {
    return pack(java.util.Arrays.asList(values));
  }

  public static void write(MessagePacker p, Object v) throws IOException {
    if (v == null) {
      p.packNil();
    } else if (v instanceof String s) {
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      p.packRawStringHeader(utf8.length);
      p.writePayload(utf8);
    } else if (v instanceof Boolean b) {
      p.packBoolean(b);
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      p.packLong(((Number) v).longValue());
    } else if (v instanceof BigInteger bi) {
      p.packBigInteger(bi);
    } else if (v instanceof Float f) {
      p.packFloat(f);
    } else if (v instanceof Double d) {
      p.packDouble(d);
    } else if (v instanceof byte[] b) {
      p.packBinaryHeader(b.length);
      p.writePayload(b);
    } else if (v instanceof BinKey k) {
      p.packBinaryHeader(k.bytes().length);
      p.writePayload(k.bytes());
    } else if (v instanceof Raw r) {
      p.writePayload(r.bytes());
    } else if (v instanceof Ext e) {
      p.packExtensionTypeHeader(e.type(), e.data().length);
      p.writePayload(e.data());
    } else if (v instanceof Map<?, ?> m) {
      p.packMapHeader(m.size());
      for (Map.Entry<?, ?> en : m.entrySet()) {
        write(p, en.getKey());
        write(p, en.getValue());
      }
    } else if (v instanceof Collection<?> c) {
      p.packArrayHeader(c.size());
      for (Object o : c) write(p, o);
    } else if (v instanceof Object[] a) {
      p.packArrayHeader(a.length);
      for (Object o : a) write(p, o);
    } else if (v instanceof Character ch) {
      write(p, String.valueOf(ch));
    } else {
      throw new IllegalArgumentException(
          "cannot map " + v.getClass().getName() + " to msgpack: use null, Boolean, Number, String,"
              + " byte[], List, Map or MsgPack.Raw");
    }
  }

  public static Object unpack(byte[] bytes) {
    return unpack(bytes, 0, bytes.length);
  }

  /**
   * Arrays and maps nested deeper than this are refused rather than overflowing the stack
   * (the limit of msgpack-python's C unpacker, which the original client uses).
   */
  public static final int MAX_DEPTH = 1024;

  /** Strict UTF-8: a str that is not valid UTF-8 is refused, not patched with U+FFFD. */
  private static final MessagePack.UnpackerConfig STRICT = new MessagePack.UnpackerConfig()
      .withActionOnMalformedString(CodingErrorAction.REPORT)
      .withActionOnUnmappableString(CodingErrorAction.REPORT);

  /**
   * Decodes exactly one value filling {@code bytes[off, off + len)}; throws
   * IllegalArgumentException when the bytes are not msgpack, are not valid UTF-8 where a str
   * is, nest deeper than {@link #MAX_DEPTH}, or hold more than one value.
   */
  public static Object unpack(byte[] bytes, int off, int len) {
    try (MessageUnpacker u = STRICT.newUnpacker(bytes, off, len)) {
      Object value = read(u, 0);
      if (u.hasNext()) {
        throw new IllegalArgumentException("not a msgpack value: " + (len - u.getTotalReadBytes())
            + " stray bytes after the value");
      }
      return value;
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (MessageInsufficientBufferException e) {
      throw new IllegalArgumentException("not a msgpack value: the bytes end in the middle of a value", e);
    } catch (MessageSizeException e) {
      throw new IllegalArgumentException("not a msgpack value: a length or element count does not fit"
          + " in 31 bits", e);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a msgpack value: " + e.getMessage(), e);
    }
  }

  /** Reads one value; throws IOException for arrays and maps nested deeper than MAX_DEPTH. */
  public static Object read(MessageUnpacker u) throws IOException {
    return read(u, 0);
  }

  private static Object read(MessageUnpacker u, int depth) throws IOException {
    ValueType t = u.getNextFormat().getValueType();
    switch (t) {
      case NIL:
        u.unpackNil();
        return null;
      case BOOLEAN:
        return u.unpackBoolean();
      case INTEGER:
        switch (u.getNextFormat()) {
          case UINT64:
            BigInteger bi = u.unpackBigInteger();
            return bi.bitLength() < 64 ? (Object) bi.longValue() : bi;
          default:
            return u.unpackLong();
        }
      case FLOAT:
        return u.unpackDouble();
      case STRING:
        return u.unpackString();
      case BINARY: {
        int n = u.unpackBinaryHeader();
        return u.readPayload(n);
      }
      case ARRAY: {
        checkDepth(depth);
        int n = u.unpackArrayHeader();
        List<Object> list = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) list.add(read(u, depth + 1));
        return list;
      }
      case MAP: {
        checkDepth(depth);
        int n = u.unpackMapHeader();
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
          Object k = read(u, depth + 1);
          if (k instanceof byte[] kb) k = new BinKey(kb);
          map.put(k, read(u, depth + 1));
        }
        return map;
      }
      case EXTENSION: {
        var h = u.unpackExtensionTypeHeader();
        return new Ext(h.getType(), u.readPayload(h.getLength()));
      }
      default:
        throw new IOException("unknown msgpack type " + t);
    }
  }

  private static void checkDepth(int depth) throws IOException {
    if (depth >= MAX_DEPTH) {
      throw new IOException("arrays and maps are nested more than " + MAX_DEPTH + " deep");
    }
  }

  /** A bin map key (byte arrays have no value equality, so keys are wrapped). */
  public record BinKey(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof BinKey k && java.util.Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }
}
