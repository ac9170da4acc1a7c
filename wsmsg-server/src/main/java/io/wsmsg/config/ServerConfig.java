package io.wsmsg.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.WireOrder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The settings of one wsmsg instance. Built-in defaults are {@code conf/standalone.json}
 * (bundled on the class path); a configuration file or JSON object is laid over them key by
 * key, then a few environment variables override what differs per instance. Unknown keys
 * are refused, so a typo never silently falls back to a default.
 */
public final class ServerConfig {
  public final JsonObject json;

  public final String host;
  public final int port;
  /**
   * Gateway verticle instances sharing the port, each on its own event loop (gateway.instances;
   * 0 in the file means one per core). A clustered member runs one.
   */
  public final int gatewayInstances;
  /** Path prefix before the endpoint segment, always starting and ending with '/'. */
  public final String root;
  public final Path dataDir;

  /** log.level: error, warn, info, debug or trace (what {@code wsmsg server} logs). */
  public final String logLevel;
  /** log.format: text (one line per record) or json (one JSON object per line). */
  public final String logFormat;

  public final boolean managementEnabled;
  public final String managementHost;
  public final int managementPort;
  // ---- management access (MGMT helper, issue 11) ----
  /**
   * management.scrapeToken: a shared secret (16+ printable characters) that reads /metrics and
   * /status, never more; null when unset. Compared in constant time by the management port.
   */
  public final String scrapeToken;
  /** management.openMetrics: /metrics answers without a token (scrapers on a private network). */
  public final boolean openMetrics;
  // ---- end management access ----
  /** How many of the deepest endpoint queues and channel queues /metrics lists by name (0 = none). */
  public final int metricsTopN;

  public final String authMode; // "jwt" or "none"
  public final String hs256Secret;
  public final List<JsonObject> publicKeys;
  public final String issuer;
  public final String audience;
  public final int leewaySeconds;
  public final long devTokenTtlSeconds;
  public final JsonObject defaultPermissions;

  public final int maxFrameBytes;
  public final int maxChannels;
  public final int maxEndpoints;
  public final int maxMessageSubscriptions;
  public final int maxSubscriptions;
  public final long maxQueuedBytes;
  /** Bytes delivered and not yet acked that one identity's nodes may hold on a gateway. */
  public final long maxInFlightBytesPerIdentity;
  /** What one identity (token sub) may hold on this member unless its token says otherwise. */
  public final io.wsmsg.auth.Quotas perIdentity;
  public final int errorBurst;
  public final long errorWindowMillis;
  /** Offer permessage-deflate / deflate-frame; inflation is then bounded by maxFrameBytes per frame. */
  public final boolean compression;
  public final int maxConnections;
  public final int maxConnectionsPerIp;
  /** Connections accepted whose WebSocket upgrade has not completed yet. */
  public final int maxPendingUpgrades;
  /** A connection not upgraded within this is closed (slow or stalled requests, slow tokens). */
  public final long handshakeTimeoutMillis;

  public final int channelSize;
  public final int channelPriority;
  /** A channel unused this long (no router busy, no matching subscription) is reclaimed; 0 = never. */
  public final long channelIdleMillis;

  public final int endpointSize;
  public final long endpointTtlMillis;
  public final List<String> requeueUnacked;
  /** An endpoint with no node, no subscription and an empty queue this long is reclaimed; 0 = never. */
  public final long endpointIdleMillis;
  /** An ephemeral endpoint goes this long after its last node left (queue empty or expired). */
  public final long ephemeralGraceMillis;

  public final int window;
  public final int maxWindow;
  public final long ackTimeoutMillis;
  public final WireOrder defaultOrder;
  public final long orderGraceMillis;

  public final long messageSubscriptionDefaultMillis;
  public final long messageSubscriptionMaxMillis;

  public final long pingIntervalMillis;
  public final long pingTimeoutMillis;

  public final long stopGraceMillis;

  public final boolean clusterEnabled;
  public final String clusterName;
  /**
   * How long a removal is remembered (cluster.tombstoneSeconds, default 24 h): a stale copy of
   * a removed subscription (a snapshot, a healed partition) older than this is no longer refused.
   */
  public final long tombstoneMillis;
  /** Hazelcast XML; when the file does not exist, the copy bundled in the jar is used. */
  public final String clusterConfigFile;
  /** Interface Hazelcast and the event bus bind to; 0.0.0.0 binds all (then publicHost is required). */
  public final String clusterHost;
  /** Address other members reach this one at (containers); null = clusterHost. */
  public final String clusterPublicHost;
  public final int clusterPort;
  public final List<String> clusterMembers;
  public final int clusterEventBusPort;
  public final long handoffTimeoutMillis;
  // --- hung member (HANG helper, issue 12) ---
  /**
   * cluster.failureDetectionSeconds: how long a member may stay silent before Hazelcast removes
   * it and the others take over its endpoints (hazelcast.max.no.heartbeat.seconds).
   */
  public final int clusterFailureDetectionSeconds;
  /** cluster.peerBudgetKiB: bytes of messages that may be unconfirmed on their way to one member. */
  public final long clusterPeerBudgetBytes;

  // --- cluster TLS (CLUSTER helper, issue 11): the event bus with mutual TLS from a cluster CA ---
  /** This member's certificate (PEM), signed by {@link #clusterTlsCa}; null = event bus in clear text. */
  public final String clusterTlsCert;
  public final String clusterTlsKey;
  /** The cluster CA (PEM): the only issuer whose members this one talks to. */
  public final String clusterTlsCa;

  // ---- TLS (tls.*, management.tls; issue 11, TLS helper) ----
  /** PEM certificate chain served on wss:// (and https:// on the management port); null = plain ws://. */
  public final Path tlsCert;
  /** PEM private key (PKCS#8) of {@link #tlsCert}. */
  public final Path tlsKey;
  /** PEM CA(s) a client certificate must chain to (mutual TLS); null = no client certificate asked. */
  public final Path tlsClientCa;
  /** How often the certificate files are checked for a change; 0 = only on SIGHUP. */
  public final int tlsReloadSeconds;
  /** The management port uses the same certificate when tls.cert is set (management.tls). */
  public final boolean managementTls;

  /** The accepted values of log.level, least verbose first. */
  public static final List<String> LOG_LEVELS = List.of("error", "warn", "info", "debug", "trace");

  private ServerConfig(JsonObject j) {
    this.json = j;
    host = string(j, "", "host", false);
    port = intIn(j, "", "port", 0, 65535);
    String r = string(j, "", "root", false);
    if (!r.startsWith("/")) r = "/" + r;
    if (!r.endsWith("/")) r = r + "/";
    root = r;
    dataDir = Path.of(string(j, "", "dataDir", false));
    int gi = intIn(j.getJsonObject("gateway"), "gateway.", "instances", 0, 1024);
    gatewayInstances = gi == 0 ? Runtime.getRuntime().availableProcessors() : gi;

    JsonObject lg = j.getJsonObject("log");
    logLevel = string(lg, "log.", "level", false).trim().toLowerCase(java.util.Locale.ROOT);
    if (!LOG_LEVELS.contains(logLevel)) {
      throw new IllegalArgumentException("log.level must be one of " + String.join(", ", LOG_LEVELS) + ", not \""
          + lg.getValue("level") + "\"");
    }
    logFormat = string(lg, "log.", "format", false).trim().toLowerCase(java.util.Locale.ROOT);
    if (!logFormat.equals("text") && !logFormat.equals("json")) {
      throw new IllegalArgumentException("log.format must be text or json, not \"" + lg.getValue("format") + "\"");
    }

    JsonObject mg = j.getJsonObject("management");
    Object en = mg.getValue("enabled");
    if (!(en instanceof Boolean)) throw new IllegalArgumentException("management.enabled must be true or false");
    managementEnabled = (Boolean) en;
    managementHost = string(mg, "management.", "host", false);
    managementPort = intIn(mg, "management.", "port", 0, 65535);
    // ---- management access (MGMT helper, issue 11) ----
    scrapeToken = string(mg, "management.", "scrapeToken", true);
    if (scrapeToken != null && (scrapeToken.length() < 16 || !scrapeToken.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
      // short secrets are guessed; spaces and control characters do not survive an HTTP header
      throw new IllegalArgumentException("management.scrapeToken (WSMSG_SCRAPE_TOKEN) must be at least 16 printable"
          + " characters without spaces, e.g. from: head -c 24 /dev/urandom | base64");
    }
    Object om = mg.getValue("openMetrics");
    if (!(om instanceof Boolean)) throw new IllegalArgumentException("management.openMetrics must be true or false, not " + om);
    openMetrics = (Boolean) om;
    // ---- end management access ----

    // each listed queue is a labelled series: bounded, so names cannot flood Prometheus
    metricsTopN = intIn(j.getJsonObject("metrics"), "metrics.", "topN", 0, 1000);

    JsonObject a = j.getJsonObject("auth");
    authMode = string(a, "auth.", "mode", false);
    if (!"jwt".equals(authMode) && !"none".equals(authMode)) {
      throw new IllegalArgumentException("auth.mode must be \"jwt\" or \"none\", not \"" + authMode + "\"");
    }
    hs256Secret = string(a, "auth.", "hs256Secret", true);
    List<JsonObject> keys = new ArrayList<>();
    for (Object o : a.getJsonArray("publicKeys", new JsonArray())) {
      if (!(o instanceof JsonObject)) {
        throw new IllegalArgumentException("auth.publicKeys entries are objects {\"algorithm\", \"pem\" or \"file\"}");
      }
      keys.add((JsonObject) o);
    }
    publicKeys = List.copyOf(keys);
    issuer = string(a, "auth.", "issuer", true);
    audience = string(a, "auth.", "audience", true);
    leewaySeconds = intIn(a, "auth.", "leewaySeconds", 0, 3600);
    devTokenTtlSeconds = intIn(a, "auth.", "devTokenTtlSeconds", 0, Integer.MAX_VALUE);
    defaultPermissions = permissions(a.getJsonObject("defaultPermissions"), "auth.defaultPermissions");

    JsonObject l = j.getJsonObject("limits");
    maxFrameBytes = intIn(l, "limits.", "maxFrameBytes", 64, 64 * 1024 * 1024);
    maxChannels = intIn(l, "limits.", "maxChannels", 1, Integer.MAX_VALUE);
    maxEndpoints = intIn(l, "limits.", "maxEndpoints", 1, Integer.MAX_VALUE);
    maxMessageSubscriptions = intIn(l, "limits.", "maxMessageSubscriptions", 1, Integer.MAX_VALUE);
    maxSubscriptions = intIn(l, "limits.", "maxSubscriptions", 1, Integer.MAX_VALUE);
    maxQueuedBytes = (long) intIn(l, "limits.", "maxQueuedMiB", 1, 1 << 20) << 20;
    maxInFlightBytesPerIdentity = (long) intIn(l, "limits.", "maxInFlightMiBPerIdentity", 1, 1 << 20) << 20;
    perIdentity = io.wsmsg.auth.Quotas.fromJson(l.getJsonObject("perIdentity"), "limits.perIdentity", true);
    // each node keeps the times of its last errorBurst refusals: bounded, so a large value
    // meant to "turn closing off" cannot cost megabytes per connection
    errorBurst = intIn(l, "limits.", "errorBurst", 1, 10_000);
    errorWindowMillis = millis(l, "limits.", "errorWindowSeconds");
    Object comp = l.getValue("compression");
    if (!(comp instanceof Boolean)) throw new IllegalArgumentException("limits.compression must be true or false, not " + comp);
    compression = (Boolean) comp;
    maxConnections = intIn(l, "limits.", "maxConnections", 1, Integer.MAX_VALUE);
    maxConnectionsPerIp = intIn(l, "limits.", "maxConnectionsPerIp", 1, Integer.MAX_VALUE);
    maxPendingUpgrades = intIn(l, "limits.", "maxPendingUpgrades", 1, Integer.MAX_VALUE);
    handshakeTimeoutMillis = millis(l, "limits.", "handshakeTimeoutSeconds");
    if (handshakeTimeoutMillis <= 0) throw new IllegalArgumentException("limits.handshakeTimeoutSeconds must be > 0");

    JsonObject c = j.getJsonObject("channels");
    channelSize = intIn(c, "channels.", "size", 1, Integer.MAX_VALUE);
    channelPriority = intIn(c, "channels.", "priority", 0, 99);
    channelIdleMillis = millis(c, "channels.", "idleSeconds");

    JsonObject e = j.getJsonObject("endpoints");
    endpointSize = intIn(e, "endpoints.", "size", 1, Integer.MAX_VALUE);
    endpointTtlMillis = millis(e, "endpoints.", "ttlSeconds");
    requeueUnacked = strings(e.getJsonArray("requeueUnacked", new JsonArray()), "endpoints.requeueUnacked");
    endpointIdleMillis = millis(e, "endpoints.", "idleSeconds");
    ephemeralGraceMillis = millis(e, "endpoints.", "ephemeralGraceSeconds");

    JsonObject d = j.getJsonObject("delivery");
    maxWindow = intIn(d, "delivery.", "maxWindow", 1, 1 << 20);
    window = intIn(d, "delivery.", "window", 1, maxWindow);
    ackTimeoutMillis = millis(d, "delivery.", "ackTimeoutSeconds");
    if (ackTimeoutMillis <= 0) throw new IllegalArgumentException("delivery.ackTimeoutSeconds must be > 0");
    defaultOrder = WireOrder.parse(string(d, "delivery.", "order", false));
    orderGraceMillis = millis(d, "delivery.", "orderGraceSeconds");
    if (defaultOrder == null) {
      throw new IllegalArgumentException("delivery.order must be \"seed\" or \"legacy\", not \"" + d.getValue("order") + "\"");
    }

    JsonObject m = j.getJsonObject("messageSubscriptions");
    messageSubscriptionDefaultMillis = millis(m, "messageSubscriptions.", "defaultExpirySeconds");
    messageSubscriptionMaxMillis = millis(m, "messageSubscriptions.", "maxExpirySeconds");
    if (messageSubscriptionDefaultMillis > messageSubscriptionMaxMillis) {
      throw new IllegalArgumentException("messageSubscriptions.defaultExpirySeconds must not exceed"
          + " messageSubscriptions.maxExpirySeconds");
    }

    JsonObject p = j.getJsonObject("ping");
    pingIntervalMillis = millis(p, "ping.", "intervalSeconds");
    pingTimeoutMillis = millis(p, "ping.", "timeoutSeconds");

    stopGraceMillis = intIn(j.getJsonObject("stop"), "stop.", "graceMillis", 0, Integer.MAX_VALUE);

    JsonObject cl = j.getJsonObject("cluster");
    Object ce = cl.getValue("enabled");
    if (!(ce instanceof Boolean)) throw new IllegalArgumentException("cluster.enabled must be true or false");
    clusterEnabled = (Boolean) ce;
    clusterName = string(cl, "cluster.", "name", false);
    clusterConfigFile = string(cl, "cluster.", "configFile", false);
    clusterHost = string(cl, "cluster.", "host", false);
    clusterPublicHost = string(cl, "cluster.", "publicHost", true);
    clusterPort = intIn(cl, "cluster.", "port", 1, 65535);
    clusterMembers = strings(cl.getJsonArray("members"), "cluster.members");
    for (String member : clusterMembers) {
      if (member.isBlank() || member.matches(".*:\\d+-\\d+")) {
        throw new IllegalArgumentException("cluster.members entries are host or host:port, one per member, not \"" + member + "\"");
      }
    }
    if (clusterEnabled && clusterMembers.isEmpty()) throw new IllegalArgumentException("cluster.members must list at least one member");
    if (clusterEnabled && ("0.0.0.0".equals(clusterHost) || "::".equals(clusterHost)) && clusterPublicHost == null) {
      throw new IllegalArgumentException("cluster.host " + clusterHost + " binds every interface: set cluster.publicHost"
          + " (WSMSG_CLUSTER_PUBLIC_HOST) to the address the other members reach this one at");
    }
    clusterEventBusPort = intIn(cl, "cluster.", "eventBusPort", 0, 65535);
    handoffTimeoutMillis = millis(cl, "cluster.", "handoffTimeoutSeconds");
    // --- hung member (HANG helper): below 3 s a GC pause or a busy machine gets members removed ---
    clusterFailureDetectionSeconds = intIn(cl, "cluster.", "failureDetectionSeconds", 3, 600);
    clusterPeerBudgetBytes = (long) intIn(cl, "cluster.", "peerBudgetKiB", 16, 4 << 20) << 10;
    tombstoneMillis = cl.containsKey("tombstoneSeconds") ? millis(cl, "cluster.", "tombstoneSeconds") : 86_400_000L;
    if (tombstoneMillis <= 0) throw new IllegalArgumentException("cluster.tombstoneSeconds must be > 0");

    // --- cluster TLS (CLUSTER helper) ---
    if (clusterEnabled && (clusterName.isBlank() || "dev".equals(clusterName))) {
      // "dev" is Hazelcast's default: any stray Hazelcast on the network would share it
      throw new IllegalArgumentException("cluster.name (WSMSG_CLUSTER_NAME) must be set to a name of your own, not \""
          + clusterName + "\" (Hazelcast's default, which any other Hazelcast on the network uses too)");
    }
    JsonObject ct = cl.getJsonObject("tls");
    clusterTlsCert = string(ct, "cluster.tls.", "cert", true);
    clusterTlsKey = string(ct, "cluster.tls.", "key", true);
    clusterTlsCa = string(ct, "cluster.tls.", "ca", true);
    int set = (clusterTlsCert != null ? 1 : 0) + (clusterTlsKey != null ? 1 : 0) + (clusterTlsCa != null ? 1 : 0);
    if (set != 0 && set != 3) {
      throw new IllegalArgumentException("cluster.tls needs all three of cert, key and ca (WSMSG_CLUSTER_TLS_CERT, _KEY, _CA)"
          + " or none; got cert=" + clusterTlsCert + " key=" + clusterTlsKey + " ca=" + clusterTlsCa);
    }
    if (clusterEnabled && set == 3) {
      for (String[] f : new String[][] {{"cert", clusterTlsCert}, {"key", clusterTlsKey}, {"ca", clusterTlsCa}}) {
        if (!java.nio.file.Files.isReadable(java.nio.file.Path.of(f[1]))) {
          throw new IllegalArgumentException("cluster.tls." + f[0] + " " + f[1] + " is not a readable file");
        }
      }
    }
    // ---- TLS (issue 11, TLS helper) ----
    JsonObject t = j.getJsonObject("tls");
    String cert = blankToNull(string(t, "tls.", "cert", true));
    String key = blankToNull(string(t, "tls.", "key", true));
    String ca = blankToNull(string(t, "tls.", "clientCa", true));
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException("tls.cert and tls.key go together (WSMSG_TLS_CERT, WSMSG_TLS_KEY): "
          + (cert == null ? "tls.key is set but tls.cert is not" : "tls.cert is set but tls.key is not"));
    }
    if (ca != null && cert == null) {
      throw new IllegalArgumentException("tls.clientCa (mutual TLS) needs tls.cert and tls.key: the server must speak"
          + " TLS before it can ask for a client certificate");
    }
    tlsCert = cert == null ? null : Path.of(cert);
    tlsKey = key == null ? null : Path.of(key);
    tlsClientCa = ca == null ? null : Path.of(ca);
    tlsReloadSeconds = intIn(t, "tls.", "reloadSeconds", 0, 86_400);
    Object mt = mg.getValue("tls");
    if (!(mt instanceof Boolean)) throw new IllegalArgumentException("management.tls must be true or false, not " + mt);
    managementTls = (Boolean) mt;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();

  }

  /** True when the event bus runs over mutual TLS. */
  public boolean clusterTls() {
    return clusterTlsCert != null;
  }

  /** The built-in defaults (identical to conf/standalone.json). */
  public static JsonObject defaults() {
    try (InputStream in = ServerConfig.class.getResourceAsStream("/conf/standalone.json")) {
      if (in == null) throw new IllegalStateException("conf/standalone.json is missing from the jar");
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException ex) {
      throw new IllegalStateException("cannot read built-in defaults", ex);
    }
  }

  /** Defaults overlaid with {@code overrides} (no environment variables): what tests use. */
  public static ServerConfig of(JsonObject overrides) {
    JsonObject merged = defaults();
    overlay(merged, overrides == null ? new JsonObject() : overrides, "");
    return new ServerConfig(merged);
  }

  /** Defaults, then the file (if any), then environment variables: what the server uses. */
  public static ServerConfig load(Path file, Map<String, String> env) throws IOException {
    JsonObject merged = defaults();
    if (file != null) {
      String text = Files.readString(file);
      JsonObject fromFile;
      try {
        fromFile = new JsonObject(text);
      } catch (RuntimeException ex) {
        throw new IllegalArgumentException(file + " is not valid JSON: " + ex.getMessage());
      }
      overlay(merged, fromFile, "");
    }
    applyEnv(merged, env);
    return new ServerConfig(merged);
  }

  /** Environment variables that may differ per instance. */
  static void applyEnv(JsonObject j, Map<String, String> env) {
    if (env.containsKey("WSMSG_HOST")) j.put("host", env.get("WSMSG_HOST"));
    if (env.containsKey("WSMSG_PORT")) j.put("port", parseInt("WSMSG_PORT", env.get("WSMSG_PORT")));
    if (env.containsKey("WSMSG_DATA_DIR")) j.put("dataDir", env.get("WSMSG_DATA_DIR"));
    if (env.containsKey("WSMSG_GATEWAY_INSTANCES")) {
      j.getJsonObject("gateway").put("instances", parseInt("WSMSG_GATEWAY_INSTANCES", env.get("WSMSG_GATEWAY_INSTANCES")));
    }
    if (env.containsKey("WSMSG_LOG_LEVEL")) j.getJsonObject("log").put("level", env.get("WSMSG_LOG_LEVEL"));
    if (env.containsKey("WSMSG_LOG_FORMAT")) j.getJsonObject("log").put("format", env.get("WSMSG_LOG_FORMAT"));
    if (env.containsKey("WSMSG_MANAGEMENT_HOST")) j.getJsonObject("management").put("host", env.get("WSMSG_MANAGEMENT_HOST"));
    if (env.containsKey("WSMSG_MANAGEMENT_PORT")) {
      j.getJsonObject("management").put("port", parseInt("WSMSG_MANAGEMENT_PORT", env.get("WSMSG_MANAGEMENT_PORT")));
    }
    // ---- management access (MGMT helper, issue 11); an empty variable counts as unset (compose's ${X:-}) ----
    if (env.containsKey("WSMSG_SCRAPE_TOKEN") && !env.get("WSMSG_SCRAPE_TOKEN").isEmpty()) {
      j.getJsonObject("management").put("scrapeToken", env.get("WSMSG_SCRAPE_TOKEN"));
    }
    if (env.containsKey("WSMSG_MANAGEMENT_OPEN_METRICS")) {
      String v = env.get("WSMSG_MANAGEMENT_OPEN_METRICS").trim().toLowerCase(java.util.Locale.ROOT);
      if (!v.equals("true") && !v.equals("false")) {
        throw new IllegalArgumentException("WSMSG_MANAGEMENT_OPEN_METRICS must be true or false, not \""
            + env.get("WSMSG_MANAGEMENT_OPEN_METRICS") + "\"");
      }
      j.getJsonObject("management").put("openMetrics", Boolean.parseBoolean(v));
    }
    // ---- end management access ----
    if (env.containsKey("WSMSG_AUTH_MODE")) j.getJsonObject("auth").put("mode", env.get("WSMSG_AUTH_MODE"));
    if (env.containsKey("WSMSG_JWT_SECRET")) j.getJsonObject("auth").put("hs256Secret", env.get("WSMSG_JWT_SECRET"));
    applyTlsEnv(j, env);
    JsonObject cl = j.getJsonObject("cluster");
    if (env.containsKey("WSMSG_CLUSTER")) {
      String v = env.get("WSMSG_CLUSTER").trim().toLowerCase(java.util.Locale.ROOT);
      if (!v.equals("true") && !v.equals("false")) {
        throw new IllegalArgumentException("WSMSG_CLUSTER must be true or false, not \"" + env.get("WSMSG_CLUSTER") + "\"");
      }
      cl.put("enabled", Boolean.parseBoolean(v));
    }
    if (env.containsKey("WSMSG_CLUSTER_NAME")) cl.put("name", env.get("WSMSG_CLUSTER_NAME"));
    if (env.containsKey("WSMSG_CLUSTER_HOST")) cl.put("host", env.get("WSMSG_CLUSTER_HOST"));
    if (env.containsKey("WSMSG_CLUSTER_PUBLIC_HOST")) cl.put("publicHost", env.get("WSMSG_CLUSTER_PUBLIC_HOST"));
    if (env.containsKey("WSMSG_CLUSTER_PORT")) cl.put("port", parseInt("WSMSG_CLUSTER_PORT", env.get("WSMSG_CLUSTER_PORT")));
    if (env.containsKey("WSMSG_CLUSTER_MEMBERS")) {
      JsonArray members = new JsonArray();
      for (String m : env.get("WSMSG_CLUSTER_MEMBERS").split("[,\\s]+")) if (!m.isBlank()) members.add(m.trim());
      cl.put("members", members);
    }
    if (env.containsKey("WSMSG_CLUSTER_EVENT_BUS_PORT")) {
      cl.put("eventBusPort", parseInt("WSMSG_CLUSTER_EVENT_BUS_PORT", env.get("WSMSG_CLUSTER_EVENT_BUS_PORT")));
    }
    // --- hung member (HANG helper) ---
    if (env.containsKey("WSMSG_CLUSTER_FAILURE_DETECTION_SECONDS")) {
      cl.put("failureDetectionSeconds", parseInt("WSMSG_CLUSTER_FAILURE_DETECTION_SECONDS",
          env.get("WSMSG_CLUSTER_FAILURE_DETECTION_SECONDS")));
    }
    if (env.containsKey("WSMSG_CLUSTER_PEER_BUDGET_KIB")) {
      cl.put("peerBudgetKiB", parseInt("WSMSG_CLUSTER_PEER_BUDGET_KIB", env.get("WSMSG_CLUSTER_PEER_BUDGET_KIB")));
    }
    // --- cluster TLS (CLUSTER helper) ---
    if (env.containsKey("WSMSG_CLUSTER_TLS_CERT")) cl.getJsonObject("tls").put("cert", env.get("WSMSG_CLUSTER_TLS_CERT"));
    if (env.containsKey("WSMSG_CLUSTER_TLS_KEY")) cl.getJsonObject("tls").put("key", env.get("WSMSG_CLUSTER_TLS_KEY"));
    if (env.containsKey("WSMSG_CLUSTER_TLS_CA")) cl.getJsonObject("tls").put("ca", env.get("WSMSG_CLUSTER_TLS_CA"));
  }

  /** TLS environment variables (issue 11, TLS helper); an empty value unsets a path. */
  private static void applyTlsEnv(JsonObject j, Map<String, String> env) {
    JsonObject t = j.getJsonObject("tls");
    if (env.containsKey("WSMSG_TLS_CERT")) t.put("cert", env.get("WSMSG_TLS_CERT"));
    if (env.containsKey("WSMSG_TLS_KEY")) t.put("key", env.get("WSMSG_TLS_KEY"));
    if (env.containsKey("WSMSG_TLS_CLIENT_CA")) t.put("clientCa", env.get("WSMSG_TLS_CLIENT_CA"));
    if (env.containsKey("WSMSG_TLS_RELOAD_SECONDS")) {
      t.put("reloadSeconds", parseInt("WSMSG_TLS_RELOAD_SECONDS", env.get("WSMSG_TLS_RELOAD_SECONDS")));
    }
    if (env.containsKey("WSMSG_MANAGEMENT_TLS")) {
      String v = env.get("WSMSG_MANAGEMENT_TLS").trim().toLowerCase(java.util.Locale.ROOT);
      if (!v.equals("true") && !v.equals("false")) {
        throw new IllegalArgumentException("WSMSG_MANAGEMENT_TLS must be true or false, not \"" + env.get("WSMSG_MANAGEMENT_TLS") + "\"");
      }
      j.getJsonObject("management").put("tls", Boolean.parseBoolean(v));
    }
  }

  private static int parseInt(String name, String v) {
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number, not \"" + v + "\"");
    }
  }

  /** Lays {@code over} onto {@code base}: objects merge, everything else replaces. */
  static void overlay(JsonObject base, JsonObject over, String path) {
    for (Map.Entry<String, Object> en : over) {
      String key = en.getKey();
      String where = path + key;
      if (!base.containsKey(key)) {
        throw new IllegalArgumentException("unknown setting \"" + where + "\" (see the configuration table in README.md)");
      }
      Object cur = base.getValue(key);
      Object val = en.getValue();
      if (cur instanceof JsonObject && !(val instanceof JsonObject)) {
        throw new IllegalArgumentException("setting \"" + where + "\" must be a JSON object, not " + val);
      }
      if (cur instanceof JsonArray && !(val instanceof JsonArray)) {
        throw new IllegalArgumentException("setting \"" + where + "\" must be a JSON array, not " + val);
      }
      if (cur instanceof JsonObject && !where.equals("auth.defaultPermissions")) {
        overlay((JsonObject) cur, (JsonObject) val, where + ".");
      } else {
        base.put(key, val);
      }
    }
  }

  /** An integer setting; {@code path} is the section prefix used in messages ("delivery."). */
  private static int intIn(JsonObject j, String path, String key, int min, int max) {
    Object v = j.getValue(key);
    if (!(v instanceof Number)) throw new IllegalArgumentException(path + key + " must be a number, not " + v);
    double d = ((Number) v).doubleValue();
    if (d != Math.rint(d)) throw new IllegalArgumentException(path + key + " must be a whole number, not " + v);
    if (d < min || d > max) {
      throw new IllegalArgumentException(path + key + " must be between " + min + " and " + max + ", not " + v);
    }
    return (int) d;
  }

  private static long millis(JsonObject j, String path, String key) {
    Object v = j.getValue(key);
    if (!(v instanceof Number)) {
      throw new IllegalArgumentException(path + key + " must be a number of seconds, not " + v);
    }
    double s = ((Number) v).doubleValue();
    if (s < 0) throw new IllegalArgumentException(path + key + " must not be negative");
    return Math.round(s * 1000);
  }

  private static String string(JsonObject j, String path, String key, boolean nullable) {
    Object v = j.getValue(key);
    if (v == null && nullable) return null;
    if (!(v instanceof String)) throw new IllegalArgumentException(path + key + " must be a string, not " + v);
    return (String) v;
  }

  private static List<String> strings(JsonArray a, String what) {
    List<String> out = new ArrayList<>();
    for (Object o : a) {
      if (!(o instanceof String)) throw new IllegalArgumentException(what + " must hold strings, not " + o);
      out.add((String) o);
    }
    return List.copyOf(out);
  }

  /**
   * The default permissions replace the built-in ones as a whole, so a misspelt key would
   * silently deny (or never grant) something: only the claim's own keys are accepted.
   */
  private static JsonObject permissions(JsonObject p, String what) {
    for (Map.Entry<String, Object> en : p) {
      switch (en.getKey()) {
        case "endpoints":
        case "publish":
        case "subscribe":
          if (!(en.getValue() instanceof JsonArray)) {
            throw new IllegalArgumentException(what + "." + en.getKey() + " must be a list of globs");
          }
          strings((JsonArray) en.getValue(), what + "." + en.getKey());
          break;
        case "admin":
          if (!(en.getValue() instanceof Boolean)) {
            throw new IllegalArgumentException(what + ".admin must be true or false");
          }
          break;
        default:
          throw new IllegalArgumentException("unknown setting \"" + what + "." + en.getKey()
              + "\" (permissions are endpoints, publish, subscribe and admin)");
      }
    }
    return p;
  }
}
