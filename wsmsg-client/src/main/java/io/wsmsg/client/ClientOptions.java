package io.wsmsg.client;

import io.wsmsg.security.Pem;
import io.vertx.core.Future;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * How a {@link WsmsgClient} connects. Fluent setters; every setting has a default except the
 * gateway URL.
 *
 * <pre>{@code
 * ClientOptions o = new ClientOptions()
 *     .urls(List.of("ws://gw1:8765/", "ws://gw2:8765/"))   // picks one, fails over
 *     .endpoint("billing")                                  // default: client-<ulid>
 *     .token(jwt)                                           // or tokenSupplier(...)
 *     .window(4)
 *     .requestTimeout(Duration.ofSeconds(5));
 * }</pre>
 */
public final class ClientOptions {
  private List<String> urls = new ArrayList<>();
  private String endpoint;
  private boolean ephemeral;
  private boolean paused;
  private Supplier<Future<String>> tokenSupplier;
  private Supplier<String> blockingTokenSupplier;
  /** The token given to {@link #token(String)}, for the generated endpoint's name. */
  private String fixedToken;
  private int window = 1;
  private WireOrder order = WireOrder.SEED;
  private Duration connectTimeout = Duration.ofSeconds(10);
  private Duration requestTimeout = Duration.ofSeconds(30);
  private Duration confirmTimeout = Duration.ofSeconds(2);
  private boolean reconnect = true;
  private Duration backoffInitial = Duration.ofMillis(200);
  private Duration backoffMax = Duration.ofSeconds(10);
  private Duration pingInterval = Duration.ofSeconds(20);
  private int maxFrameBytes = 16 << 20;
  private ClientTls tls = ClientTls.DEFAULT;

  public ClientOptions() {}

  public ClientOptions(ClientOptions o) {
    this.urls = new ArrayList<>(o.urls);
    this.endpoint = o.endpoint;
    this.ephemeral = o.ephemeral;
    this.paused = o.paused;
    this.tokenSupplier = o.tokenSupplier;
    this.blockingTokenSupplier = o.blockingTokenSupplier;
    this.fixedToken = o.fixedToken;
    this.window = o.window;
    this.order = o.order;
    this.connectTimeout = o.connectTimeout;
    this.requestTimeout = o.requestTimeout;
    this.confirmTimeout = o.confirmTimeout;
    this.reconnect = o.reconnect;
    this.backoffInitial = o.backoffInitial;
    this.backoffMax = o.backoffMax;
    this.pingInterval = o.pingInterval;
    this.maxFrameBytes = o.maxFrameBytes;
    this.tls = o.tls;
  }

  /**
   * Gateway URLs, {@code ws[s]://host:port<root>} (root defaults to {@code /}; http/https are
   * taken as ws/wss). The client starts with a random one and fails over to the next.
   */
  public ClientOptions urls(List<String> urls) {
    Objects.requireNonNull(urls, "urls");
    for (String u : urls) GatewayUrl.parse(u); // fail now, not when connecting
    this.urls = new ArrayList<>(urls);
    return this;
  }

  /** One gateway URL; see {@link #urls(List)}. */
  public ClientOptions url(String url) {
    return urls(List.of(url));
  }

  /** The endpoint to attach to (one name, up to 255 bytes of UTF-8). Default: {@code client-<ulid>}, private to this client. */
  public ClientOptions endpoint(String endpoint) {
    if (endpoint != null && (endpoint.isEmpty() || endpoint.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255)) {
      throw new IllegalArgumentException("an endpoint name has 1 to 255 bytes of UTF-8");
    }
    this.endpoint = endpoint;
    return this;
  }

  /**
   * Asks the server to make the endpoint ephemeral when this client creates it ({@code
   * ?ephemeral=1}): it is removed, with its subscriptions, once its last node has gone and its
   * queue is empty (after the server's endpoints.ephemeralGraceSeconds). Always on for the
   * generated {@code client-<ulid>} endpoint; off by default for a named one.
   */
  public ClientOptions ephemeral(boolean ephemeral) {
    this.ephemeral = ephemeral;
    return this;
  }

  /** True when the endpoint is asked for as ephemeral (see {@link #ephemeral(boolean)}). */
  public boolean ephemeral() {
    return ephemeral;
  }

  /**
   * Attaches paused ({@code ?paused=1}): the server gives this node no delivery until
   * {@link WsmsgClient#resume()}, from the first moment on. For a node that only publishes or
   * sends commands on an endpoint whose messages are other nodes' work (a shared queue): it
   * never takes one of them. A paused node gets no command echoes, so its command futures
   * complete after a short grace when no error came (see {@link WsmsgClient}), and it cannot
   * receive replies to its own requests. Default false. {@link WsmsgClient#pause()} and
   * {@link WsmsgClient#resume()} change the state later; a reconnection attaches in the state
   * the client is in then.
   */
  public ClientOptions paused(boolean paused) {
    this.paused = paused;
    return this;
  }

  /** True when the client attaches paused (see {@link #paused(boolean)}). */
  public boolean paused() {
    return paused;
  }

  /** A fixed token sent as {@code Authorization: Bearer <token>}; null for none (server auth mode none). */
  public ClientOptions token(String token) {
    this.fixedToken = token;
    this.tokenSupplier = token == null ? null : () -> Future.succeededFuture(token);
    this.blockingTokenSupplier = null;
    return this;
  }

  /** Asked for a token before every connection attempt, reconnections included (refreshes expiring tokens). */
  public ClientOptions tokenSupplier(Supplier<Future<String>> supplier) {
    this.fixedToken = null;
    this.tokenSupplier = supplier;
    this.blockingTokenSupplier = null;
    return this;
  }

  /** Like {@link #tokenSupplier}, for a supplier that may block (it runs on a worker thread). */
  public ClientOptions blockingTokenSupplier(Supplier<String> supplier) {
    this.fixedToken = null;
    this.blockingTokenSupplier = supplier;
    this.tokenSupplier = null;
    return this;
  }

  /** Flow-control window: unacknowledged messages the server may send at once (default 1). */
  public ClientOptions window(int window) {
    if (window < 1) throw new IllegalArgumentException("window must be at least 1");
    this.window = window;
    return this;
  }

  /** The element order this client writes and asks the server to write (default seed order). */
  public ClientOptions order(WireOrder order) {
    this.order = Objects.requireNonNull(order, "order");
    return this;
  }

  /** Time allowed to open the WebSocket, handshake and authentication included (default 10 s). */
  public ClientOptions connectTimeout(Duration d) {
    this.connectTimeout = positive(d, "connectTimeout");
    return this;
  }

  /** Default timeout of {@link WsmsgClient#request} (default 30 s). */
  public ClientOptions requestTimeout(Duration d) {
    this.requestTimeout = positive(d, "requestTimeout");
    return this;
  }

  /**
   * How long a command's future waits for the server's echo before it is taken as applied
   * because no {@code error} came (default 2 s). See {@link WsmsgClient} on commands.
   */
  public ClientOptions confirmTimeout(Duration d) {
    this.confirmTimeout = positive(d, "confirmTimeout");
    return this;
  }

  /** Reconnect after an unexpected close (default true). */
  public ClientOptions reconnect(boolean reconnect) {
    this.reconnect = reconnect;
    return this;
  }

  /** Reconnection delays: exponential from {@code initial} up to {@code max}, with jitter (default 200 ms .. 10 s). */
  public ClientOptions backoff(Duration initial, Duration max) {
    positive(initial, "initial backoff");
    positive(max, "max backoff");
    if (max.compareTo(initial) < 0) throw new IllegalArgumentException("max backoff must be at least the initial one");
    this.backoffInitial = initial;
    this.backoffMax = max;
    return this;
  }

  /** Ping an idle connection this often; a connection silent for twice as long is dropped and reconnected (default 20 s). */
  public ClientOptions pingInterval(Duration d) {
    this.pingInterval = positive(d, "pingInterval");
    return this;
  }

  /** Largest frame the client accepts (default 16 MiB; the server's own default limit is 1 MiB). */
  public ClientOptions maxFrameBytes(int n) {
    if (n < 1024) throw new IllegalArgumentException("maxFrameBytes must be at least 1024");
    this.maxFrameBytes = n;
    return this;
  }

  /**
   * For wss:// URLs: trust servers whose certificate is signed by the CA(s) in this PEM file
   * (a private or development CA, scripts/gen-certs.sh's ca.pem) instead of the JVM's default
   * CAs. Without it, the JVM's CAs are trusted (enough for a certificate from a public CA).
   */
  public ClientOptions trustCa(java.nio.file.Path pemCa) {
    Objects.requireNonNull(pemCa, "pemCa");
    Pem.certificates(pemCa, "the CA file"); // a wrong path fails here, not at each connect
    tls = new ClientTls(pemCa, tls.insecure(), tls.cert(), tls.key());
    return this;
  }

  /**
   * UNSAFE, for development certificates only: accept any server certificate for any host
   * name. The connection is encrypted but not authenticated, so anyone between client and
   * server can read and change the traffic. Default false.
   */
  public ClientOptions insecure(boolean insecure) {
    tls = new ClientTls(tls.ca(), insecure, tls.cert(), tls.key());
    return this;
  }

  /** For servers with mutual TLS (tls.clientCa): this client's PEM certificate and its PKCS#8 key. */
  public ClientOptions clientCertificate(java.nio.file.Path cert, java.nio.file.Path key) {
    Objects.requireNonNull(cert, "cert");
    Objects.requireNonNull(key, "key");
    Pem.certificates(cert, "the client certificate");
    Pem.privateKey(key, "the client key");
    tls = new ClientTls(tls.ca(), tls.insecure(), cert, key);
    return this;
  }

  /** All TLS settings at once (the CLI's --ca, --insecure, --cert, --key). */
  public ClientOptions tls(ClientTls tls) {
    this.tls = Objects.requireNonNull(tls, "tls");
    return this;
  }

  /** The TLS settings: CA, insecure, client certificate. */
  public ClientTls tls() {
    return tls;
  }

  private static Duration positive(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive");
    return d;
  }

  public List<String> urls() {
    return List.copyOf(urls);
  }

  /** The configured endpoint, or null when a fresh one will be made. */
  public String endpoint() {
    return endpoint;
  }

  public int window() {
    return window;
  }

  public WireOrder order() {
    return order;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  public Duration confirmTimeout() {
    return confirmTimeout;
  }

  public boolean reconnect() {
    return reconnect;
  }

  public Duration backoffInitial() {
    return backoffInitial;
  }

  public Duration backoffMax() {
    return backoffMax;
  }

  public Duration pingInterval() {
    return pingInterval;
  }

  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  Supplier<Future<String>> tokenSupplier() {
    return tokenSupplier;
  }

  Supplier<String> blockingTokenSupplier() {
    return blockingTokenSupplier;
  }

  /** True when tokens come from a supplier (that may hand out a new one), not {@link #token(String)}. */
  boolean suppliesTokens() {
    return blockingTokenSupplier != null || (tokenSupplier != null && fixedToken == null);
  }

  static String freshEndpoint() {
    return "client-" + Ulids.nextText().toLowerCase(Locale.ROOT);
  }

  /**
   * A fresh private endpoint name, {@code <prefix>-<ulid>}, under the token's own names
   * ({@code <sub>~<prefix>-<ulid>}) when the token has a subject that can own endpoints.
   */
  public static String privateEndpoint(String jwt, String prefix) {
    String sub = subjectOf(jwt);
    String fresh = prefix + "-" + Ulids.nextText().toLowerCase(Locale.ROOT);
    return sub == null ? fresh : sub + OWN_SEPARATOR + fresh;
  }

  /**
   * The endpoint a client without {@link #endpoint} attaches to: {@code <sub>~client-<ulid>}
   * when a fixed token has a subject that can own endpoints (the server always allows a token
   * its own {@code <sub>} and {@code <sub>~...}, so a narrowly granted token still gets one),
   * else {@code client-<ulid>}.
   */
  String generatedEndpoint() {
    return privateEndpoint(fixedToken, "client");
  }

  /** Separates a token's subject from the rest of its own endpoints' names (as the server). */
  public static final String OWN_SEPARATOR = "~";

  /**
   * The {@code sub} of a JWT, read without checking the signature (the server checks it), when
   * it can name endpoints of its own: non-empty, without '~', at most 200 bytes; else null.
   */
  public static String subjectOf(String jwt) {
    if (jwt == null) return null;
    try {
      String[] parts = jwt.trim().split("\\.");
      if (parts.length != 3) return null;
      Object sub = new io.vertx.core.json.JsonObject(new String(java.util.Base64.getUrlDecoder().decode(parts[1]),
          java.nio.charset.StandardCharsets.UTF_8)).getValue("sub");
      if (!(sub instanceof String s) || s.isEmpty() || s.contains(OWN_SEPARATOR)
          || s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 200) {
        return null;
      }
      return s;
    } catch (RuntimeException e) {
      return null; // not a JWT we can read: the server will say what is wrong with it
    }
  }

  /** A parsed gateway URL. */
  record GatewayUrl(String text, String host, int port, boolean ssl, String root) {
    static GatewayUrl parse(String s) {
      java.net.URI u;
      try {
        u = new java.net.URI(Objects.requireNonNull(s, "url").trim());
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException("not a URL: " + s);
      }
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      boolean ssl;
      switch (scheme) {
        case "ws", "http" -> ssl = false;
        case "wss", "https" -> ssl = true;
        default -> throw new IllegalArgumentException("a gateway URL is ws://host:port/ or wss://host:port/, not " + s);
      }
      if (u.getHost() == null) throw new IllegalArgumentException("the gateway URL has no host: " + s);
      int port = u.getPort() > 0 ? u.getPort() : ssl ? 443 : 80;
      String root = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
      if (!root.endsWith("/")) root = root + "/";
      return new GatewayUrl(s, u.getHost(), port, ssl, root);
    }
  }
}
