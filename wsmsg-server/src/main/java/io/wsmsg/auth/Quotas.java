package io.wsmsg.auth;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * How many resources one identity (a token's {@code sub}) may hold at once on a member:
 * channels and endpoints it created, subscriptions, message subscriptions, and wildcard
 * subscriptions (a channel or subject pattern with glob characters, the costly kind to
 * match). The server's defaults are {@code limits.perIdentity}; a token may carry its own
 * values in {@code wsmsg.quotas}, and a value it does not give ({@link #UNSET}) is the
 * default. Immutable.
 */
public record Quotas(int channels, int endpoints, int subscriptions, int messageSubscriptions,
    int wildcardSubscriptions) {
  /** A value not given: the configured default applies. */
  public static final int UNSET = -1;
  /** Nothing given: every value is the configured default. */
  public static final Quotas DEFAULTS = new Quotas(UNSET, UNSET, UNSET, UNSET, UNSET);
  /** The keys, in the order of the components. */
  public static final List<String> KEYS = List.of("channels", "endpoints", "subscriptions", "messageSubscriptions",
      "wildcardSubscriptions");

  /** The value of one quota by its index in {@link #KEYS}. */
  public int get(int i) {
    return switch (i) {
      case 0 -> channels;
      case 1 -> endpoints;
      case 2 -> subscriptions;
      case 3 -> messageSubscriptions;
      case 4 -> wildcardSubscriptions;
      default -> throw new IndexOutOfBoundsException(i);
    };
  }

  /** These values where given, else those of {@code defaults}. */
  public Quotas or(Quotas defaults) {
    int[] v = new int[5];
    for (int i = 0; i < 5; i++) v[i] = get(i) != UNSET ? get(i) : defaults.get(i);
    return new Quotas(v[0], v[1], v[2], v[3], v[4]);
  }

  /**
   * Reads a quotas object ({@code {"subscriptions": 500, ...}}); missing keys are
   * {@link #UNSET} unless {@code complete}, when every key is required.
   *
   * @throws IllegalArgumentException naming {@code where} for an unknown key or a value that
   *     is not a whole number from 0 to 2^31-1
   */
  public static Quotas fromJson(JsonObject json, String where, boolean complete) {
    if (json == null) return DEFAULTS;
    for (String k : json.fieldNames()) {
      if (!KEYS.contains(k)) {
        throw new IllegalArgumentException(where + " has an unknown key \"" + k + "\" (known: "
            + String.join(", ", KEYS) + ")");
      }
    }
    int[] v = new int[5];
    for (int i = 0; i < 5; i++) {
      String k = KEYS.get(i);
      Object o = json.getValue(k);
      if (o == null) {
        if (complete) throw new IllegalArgumentException(where + "." + k + " is missing");
        v[i] = UNSET;
        continue;
      }
      if (!(o instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < 0
          || n.doubleValue() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(where + "." + k + " must be a whole number from 0 to " + Integer.MAX_VALUE
            + ", not " + o);
      }
      v[i] = n.intValue();
    }
    return new Quotas(v[0], v[1], v[2], v[3], v[4]);
  }
}
