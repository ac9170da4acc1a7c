package io.wsmsg.protocol;

/**
 * The two element orders of a wsmsg frame. The documented (seed) order is
 * {@code [uid, channel, subject, reference, data]}; the original Python package sends
 * {@code [uid, reference, channel, subject, data]}. They are told apart by element 1's type.
 */
public enum WireOrder {
  SEED,
  LEGACY;

  /** Parses "seed" or "legacy" (any case); null for anything else. */
  public static WireOrder parse(String s) {
    if (s == null) return null;
    switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "seed":
        return SEED;
      case "legacy":
        return LEGACY;
      default:
        return null;
    }
  }

  public String wireName() {
    return this == SEED ? "seed" : "legacy";
  }
}
