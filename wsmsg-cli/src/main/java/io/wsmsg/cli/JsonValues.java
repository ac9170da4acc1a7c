package io.wsmsg.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.MsgPack;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON text to the plain Java values the client packs as msgpack, and decoded msgpack values
 * back to JSON text.
 *
 * <ul>
 *   <li>object → Map (key order kept), array → List, integer → Long (BigInteger beyond
 *       64 bits), fraction → Double, string, true/false, null;
 *   <li>binary (msgpack bin) is written {@code {"$bin": "<base64>"}}, and such an object
 *       (exactly one key {@code $bin} with a string) is read back as bin;
 *   <li>an extension value is written {@code {"$ext": <type>, "data": "<base64>"}} and read
 *       back the same way;
 *   <li>map keys that are not strings are written as their text (bin keys in base64);
 *       doubles that JSON cannot hold (NaN, infinities) as the strings {@code "NaN"},
 *       {@code "Infinity"}, {@code "-Infinity"}.
 * </ul>
 */
final class JsonValues {
  private JsonValues() {}

  static final String BIN = "$bin";
  static final String EXT = "$ext";

  /** Parses JSON text. @throws IllegalArgumentException with a readable reason when it is not JSON */
  static Object parse(String text) {
    Object v;
    try {
      v = Json.decodeValue(text);
    } catch (DecodeException e) {
      String why = e.getMessage() == null ? "" : e.getMessage().replaceAll("\\s+", " ");
      int cut = why.indexOf(" at [Source");
      if (cut > 0) why = why.substring(0, cut);
      throw new IllegalArgumentException("not JSON (" + why + ")");
    }
    return fromJson(v);
  }

  /** Vert.x JSON values (JsonObject, JsonArray, numbers...) to plain values for msgpack. */
  static Object fromJson(Object v) {
    if (v == null || v instanceof String || v instanceof Boolean) return v;
    if (v instanceof JsonObject o) return fromMap(o.getMap());
    if (v instanceof Map<?, ?> m) return fromMap(m);
    if (v instanceof JsonArray a) return fromList(a.getList());
    if (v instanceof List<?> l) return fromList(l);
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof BigInteger b) return b.bitLength() < 64 ? (Object) b.longValue() : b;
    if (v instanceof BigDecimal d) return d.doubleValue();
    if (v instanceof Number n) return n.doubleValue();
    return v.toString();
  }

  private static Object fromMap(Map<?, ?> m) {
    if (m.size() == 1 && m.get(BIN) instanceof String s) {
      try {
        return Base64.getDecoder().decode(s);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("{\"$bin\": ...} needs base64 text: " + e.getMessage());
      }
    }
    if (m.size() == 2 && m.get(EXT) instanceof Number t && m.get("data") instanceof String s) {
      return new MsgPack.Ext(t.byteValue(), Base64.getDecoder().decode(s));
    }
    Map<Object, Object> out = new LinkedHashMap<>();
    m.forEach((k, val) -> out.put(k, fromJson(val)));
    return out;
  }

  private static List<Object> fromList(List<?> l) {
    List<Object> out = new ArrayList<>(l.size());
    for (Object o : l) out.add(fromJson(o));
    return out;
  }

  /** A decoded msgpack value (see {@code Message.data()}) as one line of JSON. */
  static String toJson(Object msgpackValue) {
    return Json.encode(toJsonValue(msgpackValue));
  }

  /** A decoded msgpack value as values Vert.x encodes as JSON (Map, List, String, numbers...). */
  static Object toJsonValue(Object v) {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof BigInteger) {
      return v;
    }
    if (v instanceof Double d) return d.isNaN() || d.isInfinite() ? d.toString() : d;
    if (v instanceof Float f) return toJsonValue(f.doubleValue());
    if (v instanceof Number n) return n;
    if (v instanceof byte[] b) return binObject(b);
    if (v instanceof MsgPack.BinKey k) return binObject(k.bytes());
    if (v instanceof MsgPack.Ext e) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put(EXT, (int) e.type());
      m.put("data", Base64.getEncoder().encodeToString(e.data()));
      return m;
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, val) -> out.put(key(k), toJsonValue(val)));
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object o : l) out.add(toJsonValue(o));
      return out;
    }
    return v.toString();
  }

  private static Map<String, Object> binObject(byte[] b) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(BIN, Base64.getEncoder().encodeToString(b));
    return m;
  }

  private static String key(Object k) {
    if (k instanceof String s) return s;
    if (k instanceof MsgPack.BinKey b) return Base64.getEncoder().encodeToString(b.bytes());
    if (k instanceof byte[] b) return Base64.getEncoder().encodeToString(b);
    return String.valueOf(k);
  }
}
