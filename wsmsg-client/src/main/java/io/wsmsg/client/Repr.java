package io.wsmsg.client;

import io.wsmsg.protocol.MsgPack;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/** Renders decoded msgpack values the way the original Python package printed them (repr). */
final class Repr {
  private static final int MAX = 2000;

  private Repr() {}

  static String of(Object v) {
    StringBuilder sb = new StringBuilder();
    write(sb, v);
    if (sb.length() > MAX) {
      sb.setLength(MAX);
      sb.append("...");
    }
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v) {
    if (sb.length() > MAX) return;
    if (v == null) {
      sb.append("None");
    } else if (v instanceof Boolean b) {
      sb.append(b ? "True" : "False");
    } else if (v instanceof String s) {
      str(sb, s);
    } else if (v instanceof byte[] b) {
      bytes(sb, b);
    } else if (v instanceof MsgPack.BinKey k) {
      bytes(sb, k.bytes());
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d)) sb.append("nan");
      else if (Double.isInfinite(d)) sb.append(d > 0 ? "inf" : "-inf");
      else sb.append(d);
    } else if (v instanceof Long || v instanceof Integer || v instanceof BigInteger || v instanceof Short
        || v instanceof Byte) {
      sb.append(v);
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<?, ?> e = it.next();
        write(sb, e.getKey());
        sb.append(": ");
        write(sb, e.getValue());
        if (it.hasNext()) sb.append(", ");
        if (sb.length() > MAX) return;
      }
      sb.append('}');
    } else if (v instanceof Collection<?> c) {
      sb.append('[');
      Iterator<?> it = c.iterator();
      while (it.hasNext()) {
        write(sb, it.next());
        if (it.hasNext()) sb.append(", ");
        if (sb.length() > MAX) return;
      }
      sb.append(']');
    } else if (v instanceof MsgPack.Ext e) {
      sb.append("ExtType(code=").append(e.type()).append(", data=");
      bytes(sb, e.data());
      sb.append(')');
    } else {
      sb.append(v);
    }
  }

  private static void str(StringBuilder sb, String s) {
    sb.append('\'');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\'' -> sb.append("\\'");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
          else sb.append(c);
        }
      }
    }
    sb.append('\'');
  }

  private static void bytes(StringBuilder sb, byte[] b) {
    sb.append("b'");
    for (byte x : b) {
      int c = x & 0xff;
      if (c == '\'' || c == '\\') sb.append('\\').append((char) c);
      else if (c == '\n') sb.append("\\n");
      else if (c == '\r') sb.append("\\r");
      else if (c == '\t') sb.append("\\t");
      else if (c >= 0x20 && c < 0x7f) sb.append((char) c);
      else sb.append(String.format("\\x%02x", c));
    }
    sb.append('\'');
  }
}
