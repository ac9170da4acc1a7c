package io.wsmsg.cli;

import com.github.f4b6a3.ulid.Ulid;
import io.wsmsg.protocol.WireOrder;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli converters for the client commands' options. */
final class Converters {
  private Converters() {}

  /**
   * A duration: {@code 500ms}, {@code 5s}, {@code 1.5s}, {@code 2m}, {@code 1h}, a bare
   * number of seconds ({@code 5}, {@code 0.5}), or ISO-8601 ({@code PT5S}). Positive.
   */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String s) {
      Duration d = parse(s);
      if (d.isZero() || d.isNegative()) throw new TypeConversionException("'" + s + "' is not a positive duration");
      return d;
    }

    static Duration parse(String raw) {
      String s = raw.trim().toLowerCase(Locale.ROOT);
      try {
        if (s.startsWith("p")) return Duration.parse(s.toUpperCase(Locale.ROOT));
        String num = s;
        double unitMillis = 1000;
        if (s.endsWith("ms")) {
          num = s.substring(0, s.length() - 2);
          unitMillis = 1;
        } else if (s.endsWith("s")) {
          num = s.substring(0, s.length() - 1);
        } else if (s.endsWith("m")) {
          num = s.substring(0, s.length() - 1);
          unitMillis = 60_000;
        } else if (s.endsWith("h")) {
          num = s.substring(0, s.length() - 1);
          unitMillis = 3_600_000;
        }
        double v = Double.parseDouble(num.trim());
        if (Double.isNaN(v) || Double.isInfinite(v)) throw new NumberFormatException();
        return Duration.ofNanos(Math.round(v * unitMillis * 1_000_000));
      } catch (RuntimeException e) {
        throw new TypeConversionException("'" + raw + "' is not a duration (examples: 500ms, 5s, 1.5s, 2m, 1h)");
      }
    }
  }

  /** {@code seed} or {@code legacy}, any case. */
  static final class OrderConverter implements ITypeConverter<WireOrder> {
    @Override
    public WireOrder convert(String s) {
      WireOrder o = WireOrder.parse(s);
      if (o == null) throw new TypeConversionException("'" + s + "' is not an element order: use seed or legacy");
      return o;
    }
  }

  /** A uid: the 26-character text of a ULID, or hex for uids of other lengths (1..64 bytes). */
  static final class UidConverter implements ITypeConverter<UidArg> {
    @Override
    public UidArg convert(String s) {
      String t = s.trim();
      if (t.length() == 26 && Ulid.isValid(t)) return new UidArg(Ulid.from(t).toBytes());
      try {
        byte[] b = HexFormat.of().parseHex(t);
        if (b.length >= 1 && b.length <= 64) return new UidArg(b);
      } catch (IllegalArgumentException e) {
        // reported below
      }
      throw new TypeConversionException("'" + s + "' is not a uid: give a ULID (26 characters) or 2 to 128 hex digits");
    }
  }

  /** A uid given on the command line (a wrapper: picocli takes a byte[] option for a multi-value one). */
  record UidArg(byte[] bytes) {}

  /** Human text for a duration: {@code 5 s}, {@code 1.5 s}, {@code 500 ms}. */
  static String text(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) return ms + " ms";
    if (ms % 1000 == 0) return (ms / 1000) + " s";
    return (ms / 1000.0) + " s";
  }
}
