package io.wsmsg.client;

import com.github.f4b6a3.ulid.Ulid;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A received wsmsg message: uid, channel, subject, reference and data. {@code data} is kept
 * as the raw msgpack bytes the server forwarded and decoded only when {@link #data()} is
 * first called (then cached).
 *
 * <p>Immutable value with record-style accessors ({@code m.uid()}, {@code m.channel()}...).
 * It is a class rather than a record because uids are bytes on the wire: a 16-byte uid (what
 * the server and this client make) is exposed as a {@link Ulid}, but other clients may use
 * 1..64-byte uids, which {@link #uidBytes()} keeps exactly (replies and acks need them).
 *
 * <pre>{@code
 * Message(uid=01J0ZQ3M8R6C1V2XKQ1T9W4B7E, channel='orders', subject='order.new', reference=None, data={'id': 42})
 * }</pre>
 */
public final class Message {
  private final byte[] uid;
  private final String channel;
  private final String subject;
  private final byte[] reference;
  private final byte[] rawData;
  private volatile Object decoded;
  private volatile boolean isDecoded;

  /** @param rawData one msgpack value, as encoded bytes */
  public Message(byte[] uid, String channel, String subject, byte[] reference, byte[] rawData) {
    this.uid = Objects.requireNonNull(uid, "uid");
    this.channel = Objects.requireNonNull(channel, "channel");
    this.subject = Objects.requireNonNull(subject, "subject");
    this.reference = reference;
    this.rawData = Objects.requireNonNull(rawData, "rawData");
  }

  static Message of(Frame f) {
    return new Message(f.uid(), f.channel(), f.subject(), f.reference(), f.dataBytes());
  }

  /** The uid as a ULID; null when the sender used a uid that is not 16 bytes (see {@link #uidBytes()}). */
  public Ulid uid() {
    return uid.length == 16 ? Ulid.from(uid) : null;
  }

  /** The uid exactly as on the wire (1..64 bytes). Do not modify. */
  public byte[] uidBytes() {
    return uid;
  }

  /** The uid as text: the 26-character ULID, or hex for other sizes. */
  public String uidText() {
    return Ulids.toText(uid);
  }

  public String channel() {
    return channel;
  }

  public String subject() {
    return subject;
  }

  /** The referenced uid as a ULID; null when there is none (or it is not 16 bytes). */
  public Ulid reference() {
    return reference != null && reference.length == 16 ? Ulid.from(reference) : null;
  }

  /** The referenced uid exactly as on the wire, or null. Do not modify. */
  public byte[] referenceBytes() {
    return reference;
  }

  /** The msgpack encoding of {@code data}, as forwarded by the server. Do not modify. */
  public byte[] rawData() {
    return rawData;
  }

  /**
   * {@code data} decoded: null, Boolean, Long (BigInteger above Long.MAX_VALUE), Double,
   * String, byte[], List, Map (insertion order; bin keys as {@link MsgPack.BinKey}) or
   * {@link MsgPack.Ext}. Decoded on first call.
   *
   * @throws IllegalArgumentException when the bytes are not msgpack (the server checks, so
   *     only for messages built by hand)
   */
  public Object data() {
    if (!isDecoded) {
      decoded = MsgPack.unpack(rawData);
      isDecoded = true;
    }
    return decoded;
  }

  /**
   * {@code data} converted to {@code type}: the decoded value when it already is one, numbers
   * converted between Long/Integer/Short/Byte/Double/Float/BigInteger, a str or bin as String
   * or byte[], a map as {@link JsonObject}, an array as {@link JsonArray}.
   *
   * @throws ClassCastException when the value does not convert
   */
  @SuppressWarnings("unchecked")
  public <T> T dataAs(Class<T> type) {
    Object v = data();
    if (v == null) {
      if (type.isPrimitive()) throw new ClassCastException("data is nil, not " + type.getName());
      return null;
    }
    Class<?> t = box(type);
    if (t.isInstance(v)) return (T) v;
    if (v instanceof Number n) {
      if (t == Long.class) return (T) (Long) n.longValue();
      if (t == Integer.class) return (T) (Integer) Math.toIntExact(n.longValue());
      if (t == Short.class) return (T) (Short) (short) n.longValue();
      if (t == Byte.class) return (T) (Byte) (byte) n.longValue();
      if (t == Double.class) return (T) (Double) n.doubleValue();
      if (t == Float.class) return (T) (Float) n.floatValue();
      if (t == BigInteger.class) return (T) BigInteger.valueOf(n.longValue());
      if (t == Number.class) return (T) n;
    }
    if (t == String.class && v instanceof byte[] b) return (T) new String(b, StandardCharsets.UTF_8);
    if (t == byte[].class && v instanceof String s) return (T) s.getBytes(StandardCharsets.UTF_8);
    if (t == JsonObject.class && v instanceof Map<?, ?> m) return (T) new JsonObject(jsonMap(m));
    if (t == JsonArray.class && v instanceof List<?> l) return (T) new JsonArray(jsonList(l));
    throw new ClassCastException("data is " + v.getClass().getSimpleName() + ", not " + type.getName());
  }

  private static Class<?> box(Class<?> c) {
    if (!c.isPrimitive()) return c;
    if (c == long.class) return Long.class;
    if (c == int.class) return Integer.class;
    if (c == double.class) return Double.class;
    if (c == boolean.class) return Boolean.class;
    if (c == float.class) return Float.class;
    if (c == short.class) return Short.class;
    if (c == byte.class) return Byte.class;
    return c;
  }

  private static Map<String, Object> jsonMap(Map<?, ?> m) {
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(String.valueOf(k), json(v)));
    return out;
  }

  private static List<Object> jsonList(List<?> l) {
    return l.stream().map(Message::json).collect(java.util.stream.Collectors.toList());
  }

  private static Object json(Object v) {
    if (v instanceof Map<?, ?> m) return new JsonObject(jsonMap(m));
    if (v instanceof List<?> l) return new JsonArray(jsonList(l));
    if (v instanceof BigInteger b) return b.toString();
    if (v instanceof MsgPack.Ext e) return e.data();
    return v;
  }

  /** True for a reply carrying a replier's failure (subject ending in {@code .exception}). */
  public boolean isException() {
    return subject.endsWith(".exception");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Message m && Arrays.equals(uid, m.uid) && channel.equals(m.channel)
        && subject.equals(m.subject) && Arrays.equals(reference, m.reference) && Arrays.equals(rawData, m.rawData);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(uid);
  }

  /** Like the original design: {@code Message(uid=..., channel='...', subject='...', reference=..., data=...)}. */
  @Override
  public String toString() {
    String d;
    try {
      d = Repr.of(data());
    } catch (IllegalArgumentException e) {
      d = "<" + rawData.length + " bytes that are not msgpack>";
    }
    return "Message(uid=" + uidText() + ", channel=" + Repr.of(channel) + ", subject=" + Repr.of(subject)
        + ", reference=" + (reference == null ? "None" : Ulids.toText(reference)) + ", data=" + d + ")";
  }
}
