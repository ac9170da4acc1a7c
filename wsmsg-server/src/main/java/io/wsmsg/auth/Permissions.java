package io.wsmsg.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.glob.Glob;
import io.wsmsg.glob.GlobContainment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a connection may do: the {@code wsmsg} JWT claim, or the configured default permissions.
 * Each list holds shell globs (see {@link Glob}). A final class rather than a record so the
 * globs are compiled once per token instead of once per check.
 *
 * <p>Rules (docs/protocol.md, "Permissions"):
 * <ul>
 *   <li>A {@code wsmsg} claim is complete: a key it omits grants nothing (empty list, not
 *       admin). Only a token without the claim gets the configured defaults.
 *   <li>A subscribe pattern is allowed only when every channel it can match is matched by a
 *       granted glob ({@link GlobContainment}; refused when that is too costly to decide).
 *   <li>A pattern that can match {@code system} also needs an explicit grant: an admin token,
 *       or a subscribe glob that starts with the six literal characters {@code system}
 *       ({@code "system"}, {@code "system*"}). A bare {@code "*"} does not count.
 *   <li>A token with a subject ({@code sub}) may always attach to and act on its own
 *       endpoints: exactly {@code <sub>}, and {@code <sub>~<anything>} (see {@link #owner}).
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class Permissions {
  private static final List<String> EVERYTHING = List.of("*");
  private static final Set<String> KEYS = Set.of("endpoints", "publish", "subscribe", "admin", "quotas");
  private static final List<String> PERMISSION_KEYS = List.of("endpoints", "publish", "subscribe", "admin");
  /** Separates a subject from the rest of the names of its own endpoints: {@code alice~cli}. */
  public static final String OWN_SEPARATOR = "~";

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
  /** The token's subject whose own endpoints are always allowed, or null. */
  private final String owner;
  /** May subscribe to patterns that can match system: admin or a grant naming system. */
  private final boolean systemGranted;
  private final Matcher endpointGlobs;
  private final Matcher publishGlobs;
  private final Matcher subscribeGlobs;

  public Permissions(List<String> endpoints, List<String> publish, List<String> subscribe, boolean admin) {
    this(endpoints, publish, subscribe, admin, null);
  }

  private Permissions(List<String> endpoints, List<String> publish, List<String> subscribe, boolean admin,
      String owner) {
    this.endpoints = List.copyOf(endpoints); // List.copyOf also refuses null elements
    this.publish = List.copyOf(publish);
    this.subscribe = List.copyOf(subscribe);
    this.admin = admin;
    // a subject containing the separator would own names another subject owns: it owns none
    this.owner = owner == null || owner.isEmpty() || owner.contains(OWN_SEPARATOR) ? null : owner;
    boolean named = admin;
    for (String g : this.subscribe) named |= namesSystem(g);
    this.systemGranted = named;
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

  /**
   * These permissions for a token whose subject is {@code subject}: the same grants plus the
   * subject's own endpoints ({@code <sub>} and {@code <sub>~...}). A subject that is empty or
   * contains {@code ~} owns no endpoints (so no subject's own names are another's).
   */
  public Permissions withOwner(String subject) {
    return new Permissions(endpoints, publish, subscribe, admin, subject);
  }

  /** The subject whose own endpoints are allowed whatever the grants say, or null. */
  public String owner() {
    return owner;
  }

  /**
   * True for {@code endpoint} = the owner followed by {@code ~} and anything. Not the bare
   * subject: a token whose sub happened to equal a shared endpoint's name (worker, billing)
   * would otherwise take that endpoint's messages whatever its grants say.
   */
  public boolean owns(String endpoint) {
    return owner != null && endpoint != null && endpoint.length() > owner.length() + 1 && endpoint.startsWith(owner)
        && endpoint.startsWith(OWN_SEPARATOR, owner.length());
  }

  /** May attach to {@code endpoint}, or name it in a subscribe command. */
  public boolean mayAttach(String endpoint) {
    return owns(endpoint) || endpointGlobs.matches(endpoint);
  }

  public boolean mayPublish(String channel) {
    return publishGlobs.matches(channel);
  }

  /**
   * Allowed only when every channel the pattern can match is matched by a granted glob: with
   * subscribe ["orders.*"], "orders.*" and "orders.eu" are allowed but "*" is not; with
   * ["orders.?"], "orders.*" is not either. A pattern that can match {@code system} needs an
   * admin token (which is granted system on top of its list) or a grant naming system.
   */
  public boolean maySubscribe(String channelPattern) {
    if (channelPattern == null) return false;
    boolean reachesSystem = Glob.compile(channelPattern).matches(SYSTEM);
    if (reachesSystem && !systemGranted) return false;
    if (subscribeGlobs.all && !reachesSystem) return true;
    if (subscribeGlobs.matches(channelPattern) && Glob.compile(channelPattern).isLiteral()) return true;
    List<String> grants = subscribe;
    if (admin) {
      grants = new ArrayList<>(subscribe);
      grants.add(SYSTEM);
    }
    return GlobContainment.contains(grants, channelPattern);
  }

  /** True when a may-subscribe-to-system decision may hang on subscribe glob {@code g}. */
  private static boolean namesSystem(String g) {
    return g.startsWith(SYSTEM) && Glob.matches(g, SYSTEM);
  }

  /** True when subscriptions made with these permissions may see other nodes' commands on system. */
  public boolean seesCommands() {
    return admin;
  }

  private static final String SYSTEM = "system";

  /** The configured defaults (auth.defaultPermissions); missing keys take built-in values. */
  public static Permissions fromJson(JsonObject defaults) {
    return parse(defaults, BUILT_IN_DEFAULTS, "auth.defaultPermissions");
  }

  /**
   * The {@code wsmsg} claim of a token: a null claim takes {@code defaults}; a claim is
   * complete, so a key it omits grants nothing (SPEC section 2).
   *
   * @throws IllegalArgumentException when a key has the wrong type or is unknown
   */
  public static Permissions fromJson(JsonObject claim, Permissions defaults) {
    if (claim == null) return Objects.requireNonNull(defaults, "defaults");
    // "quotas" is not a grant: a claim that only sets quotas keeps the default permissions
    // (an empty claim grants nothing: it names no key, but it was written to restrict)
    boolean grants = claim.isEmpty();
    for (String key : PERMISSION_KEYS) grants |= claim.containsKey(key);
    return parse(claim, grants ? NOTHING : defaults, "the wsmsg claim");
  }

  /** What a claim grants for the keys it omits: nothing. */
  static final Permissions NOTHING = new Permissions(List.of(), List.of(), List.of(), false);

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

  /**
   * What these permissions allow, in words, one line per key (what {@code wsmsg token} prints).
   */
  public String explain() {
    String own = owner == null ? "" : " (and always its own: " + owner + OWN_SEPARATOR + "*)";
    return "endpoints: " + words(endpoints) + own + "\n"
        + "publish:   " + words(publish) + "\n"
        + "subscribe: " + words(subscribe) + (systemGranted ? "" : " (system: no; needs admin or a grant \"system\")")
        + "\n"
        + "admin:     " + (admin ? "yes (stop, channel.size, channel.priority, endpoint.size; sees commands on system)"
            : "no");
  }

  private static String words(List<String> globs) {
    return globs.isEmpty() ? "none" : String.join(" ", globs);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Permissions)) return false;
    Permissions p = (Permissions) o;
    return admin == p.admin && endpoints.equals(p.endpoints) && publish.equals(p.publish)
        && subscribe.equals(p.subscribe) && Objects.equals(owner, p.owner);
  }

  @Override
  public int hashCode() {
    return Objects.hash(endpoints, publish, subscribe, admin, owner);
  }

  @Override
  public String toString() {
    return "Permissions[endpoints=" + endpoints + ", publish=" + publish + ", subscribe=" + subscribe
        + ", admin=" + admin + (owner == null ? "" : ", owner=" + owner) + "]";
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
