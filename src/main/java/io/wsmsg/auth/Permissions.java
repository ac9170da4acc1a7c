package io.wsmsg.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.glob.Glob;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a connection may do: the {@code wsmsg} JWT claim, or the configured default permissions.
 * Each list holds shell globs (see {@link Glob}). A final class rather than a record so the
 * globs are compiled once per token instead of once per check.
 *
 * <p>Immutable and thread-safe.
 */
public final class Permissions {
  private static final List<String> EVERYTHING = List.of("*");
  private static final Set<String> KEYS = Set.of("endpoints", "publish", "subscribe", "admin", "quotas");

  /** Everything, including admin commands. */
  public static final Permissions ALL = new Permissions(EVERYTHING, EVERYTHING, EVERYTHING, true);

  /**
   * What a key missing from auth.defaultPermissions falls back to: the values of the
   * built-in conf/standalone.json, so a partial defaults object means the same as the
   * built-in one with those keys replaced.
   */
  static final Permissions BUILT_IN_DEFAULTS = new Permissions(EVERYTHING, EVERYTHING, EVERYTHING, false);

  private final List<String> endpoints;
  private final List<String> publish;
  private final List<String> subscribe;
  private final boolean admin;
  private final Matcher endpointGlobs;
  private final Matcher publishGlobs;
  private final Matcher subscribeGlobs;

  public Permissions(List<String> endpoints, List<String> publish, List<String> subscribe, boolean admin) {
    this.endpoints = List.copyOf(endpoints); // List.copyOf also refuses null elements
    this.publish = List.copyOf(publish);
    this.subscribe = List.copyOf(subscribe);
    this.admin = admin;
    this.endpointGlobs = new Matcher(this.endpoints);
    this.publishGlobs = new Matcher(this.publish);
    this.subscribeGlobs = new Matcher(this.subscribe);
  }

  public List<String> endpoints() {
    return endpoints;
  }

  public List<String> publish() {
    return publish;
  }

  public List<String> subscribe() {
    return subscribe;
  }

  /** Needed for stop, channel.size, channel.priority and endpoint.size. */
  public boolean admin() {
    return admin;
  }

  /** May attach to {@code endpoint}, or name it in a subscribe command. */
  public boolean mayAttach(String endpoint) {
    return endpointGlobs.matches(endpoint);
  }

  public boolean mayPublish(String channel) {
    return publishGlobs.matches(channel);
  }

  /**
   * The channel pattern is taken literally: with subscribe ["orders.*"], "orders.*" and
   * "orders.eu" are allowed but "*" is not, because a wider pattern than granted would
   * deliver channels the token was never given.
   */
  public boolean maySubscribe(String channelPattern) {
    return subscribeGlobs.matches(channelPattern);
  }

  /** The configured defaults (auth.defaultPermissions); missing keys take built-in values. */
  public static Permissions fromJson(JsonObject defaults) {
    return parse(defaults, BUILT_IN_DEFAULTS, "auth.defaultPermissions");
  }

  /**
   * The {@code wsmsg} claim of a token; a missing key (or a null claim) takes the value of
   * {@code defaults}.
   *
   * @throws IllegalArgumentException when a key has the wrong type or is unknown
   */
  public static Permissions fromJson(JsonObject claim, Permissions defaults) {
    return parse(claim, defaults, "the wsmsg claim");
  }

  private static Permissions parse(JsonObject json, Permissions defaults, String where) {
    Objects.requireNonNull(defaults, "defaults");
    if (json == null) return defaults;
    for (String key : json.fieldNames()) {
      // Refused rather than ignored: a typo such as "publsh" would otherwise silently
      // grant the defaults instead of the narrower list that was meant.
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(where + " has an unknown key \"" + key
            + "\" (known: endpoints, publish, subscribe, admin, quotas)");
      }
    }
    List<String> endpoints = globs(json, "endpoints", defaults.endpoints, where);
    List<String> publish = globs(json, "publish", defaults.publish, where);
    List<String> subscribe = globs(json, "subscribe", defaults.subscribe, where);
    boolean admin = defaults.admin;
    if (json.containsKey("admin")) {
      Object v = json.getValue("admin");
      if (!(v instanceof Boolean)) {
        throw new IllegalArgumentException(where + ": \"admin\" must be true or false, not " + describe(v));
      }
      admin = (Boolean) v;
    }
    return new Permissions(endpoints, publish, subscribe, admin);
  }

  private static List<String> globs(JsonObject json, String key, List<String> fallback, String where) {
    if (!json.containsKey(key)) return fallback;
    Object v = json.getValue(key);
    if (!(v instanceof JsonArray)) {
      throw new IllegalArgumentException(where + ": \"" + key + "\" must be a list of glob strings, not " + describe(v));
    }
    List<String> out = new ArrayList<>();
    for (Object o : (JsonArray) v) {
      if (!(o instanceof String)) {
        throw new IllegalArgumentException(where + ": \"" + key + "\" must hold only glob strings, not " + describe(o));
      }
      out.add((String) o);
    }
    return out;
  }

  private static String describe(Object v) {
    if (v == null) return "null";
    if (v instanceof String) return "the string \"" + v + "\"";
    if (v instanceof JsonObject) return "an object";
    if (v instanceof JsonArray) return "a list";
    return v.toString();
  }

  /** The wsmsg claim that grants exactly these permissions (what a token signer embeds). */
  public JsonObject toJson() {
    return new JsonObject()
        .put("endpoints", new JsonArray(new ArrayList<>(endpoints)))
        .put("publish", new JsonArray(new ArrayList<>(publish)))
        .put("subscribe", new JsonArray(new ArrayList<>(subscribe)))
        .put("admin", admin);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Permissions)) return false;
    Permissions p = (Permissions) o;
    return admin == p.admin && endpoints.equals(p.endpoints) && publish.equals(p.publish)
        && subscribe.equals(p.subscribe);
  }

  @Override
  public int hashCode() {
    return Objects.hash(endpoints, publish, subscribe, admin);
  }

  @Override
  public String toString() {
    return "Permissions[endpoints=" + endpoints + ", publish=" + publish + ", subscribe=" + subscribe
        + ", admin=" + admin + "]";
  }

  /** Compiled globs with the common cases ("*" and exact names) kept off the glob loop. */
  private static final class Matcher {
    private final boolean all;
    private final Set<String> exact;
    private final Glob[] wild;

    Matcher(List<String> patterns) {
      boolean a = false;
      List<String> ex = new ArrayList<>();
      List<Glob> w = new ArrayList<>();
      for (String p : patterns) {
        Glob g = Glob.compile(p);
        if (p.equals("*")) a = true;
        else if (g.isLiteral()) ex.add(p);
        else w.add(g);
      }
      all = a;
      exact = Set.copyOf(ex);
      wild = w.toArray(new Glob[0]);
    }

    boolean matches(String text) {
      if (text == null) return false;
      if (all || exact.contains(text)) return true;
      for (Glob g : wild) {
        if (g.matches(text)) return true;
      }
      return false;
    }
  }
}
