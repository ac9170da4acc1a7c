package io.wsmsg.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.TokenSigner;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.server.WsmsgServer;

/**
 * A real server on 127.0.0.1 and a free port, on its own Vert.x instance, with a known HS256
 * secret so tests can sign tokens. Tests start it through {@link ServerTestBase}, which closes it.
 */
public final class TestServer implements AutoCloseable {
  public static final String SECRET = "test-secret-of-at-least-32-bytes-length!!";

  public final Vertx vertx;
  public final WsmsgServer server;
  private final Vertx clientVertx;
  /** Set by the first stop or close: a test may stop its server and the base still closes it after the test. */
  private final java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();

  private TestServer(Vertx vertx, WsmsgServer server) {
    this.vertx = vertx;
    this.server = server;
    this.clientVertx = Vertx.vertx();
  }

  /**
   * Gateway instances of every server the tests start (-Dwsmsg.test.gatewayInstances, default 4):
   * the suite runs with several, so an endpoint's nodes land on instances other than the one
   * holding its queue, and again with 1 (see .ci/run). A clustered member runs one regardless.
   */
  public static final int GATEWAY_INSTANCES = Integer.getInteger("wsmsg.test.gatewayInstances", 4);

  /** Starts with the given settings laid over the defaults (host 127.0.0.1, port 0, the test secret). */
  public static TestServer start(JsonObject overrides) {
    JsonObject j = new JsonObject().put("host", "127.0.0.1").put("port", 0)
        .put("dataDir", tempDir())
        .put("management", new JsonObject().put("port", 0))
        .put("auth", new JsonObject().put("hs256Secret", SECRET))
        .put("gateway", new JsonObject().put("instances", GATEWAY_INSTANCES));
    if (overrides != null) j = deepMerge(j, overrides);
    Vertx vertx = Vertx.vertx();
    WsmsgServer s;
    try {
      s = TestNode.await(WsmsgServer.start(vertx, ServerConfig.of(j)));
    } catch (RuntimeException e) {
      vertx.close(); // e.g. the port is still taken: do not leak the event loops
      throw e;
    }
    return new TestServer(vertx, s);
  }

  public static TestServer start() {
    return start(null);
  }

  /**
   * Starts with wss:// (and https:// on the management port) using TestCerts' server
   * certificate, then {@code overrides}.
   */
  public static TestServer startTls(JsonObject overrides) {
    JsonObject tls = new JsonObject().put("tls", new JsonObject()
        .put("cert", TestCerts.serverCert().toString()).put("key", TestCerts.serverKey().toString()));
    return start(overrides == null ? tls : deepMerge(tls, overrides));
  }

  /** The WebSocket URL, wss:// when the server speaks TLS. */
  public String url() {
    return (server.tls() ? "wss" : "ws") + "://127.0.0.1:" + port() + "/";
  }

  /** The management port's base URL, https:// when it speaks TLS. */
  public String managementUrl() {
    return (server.managementTls() ? "https" : "http") + "://127.0.0.1:" + server.managementPort();
  }

  /** Each server gets its own data directory, so snapshots never leak between tests. */
  static String tempDir() {
    try {
      java.nio.file.Path d = java.nio.file.Files.createTempDirectory("wsmsg-test-");
      d.toFile().deleteOnExit();
      return d.toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public java.nio.file.Path dataDir() {
    return server.config().dataDir;
  }

  /**
   * Starts on a fixed port (to restart a server where clients expect it), retrying for a few
   * seconds while the port is still held by a server that is closing.
   */
  public static TestServer startOnPort(int port, JsonObject overrides) {
    JsonObject o = overrides == null ? new JsonObject() : overrides.copy();
    o.put("port", port);
    return Await.until("a server listening on port " + port, () -> start(o), started -> true,
        java.time.Duration.ofSeconds(10));
  }

  static JsonObject deepMerge(JsonObject a, JsonObject b) {
    JsonObject out = a.copy();
    for (String k : b.fieldNames()) {
      Object v = b.getValue(k);
      if (v instanceof JsonObject bo && out.getValue(k) instanceof JsonObject ao) out.put(k, deepMerge(ao, bo));
      else out.put(k, v);
    }
    return out;
  }

  public int port() {
    return server.port();
  }

  /** Messages waiting in the endpoint's queue on this server's gateway (0 for an unknown endpoint). */
  public int queueDepth(String endpoint) {
    return TestNode.await(server.gateway().queueDepths()).getOrDefault(endpoint, 0);
  }

  /** An HS256 token with the given {@code wsmsg} claim (null = none) valid for an hour. */
  public String token(JsonObject claim) {
    return token("test", claim);
  }

  /** A token for {@code sub} (an identity of its own: its own quotas and endpoints {@code sub~*}). */
  public String token(String sub, JsonObject claim) {
    return new TokenSigner(vertx, SECRET).sign(sub, claim, 3600);
  }

  public String adminToken() {
    return token(io.wsmsg.auth.Permissions.ALL.toJson()); // a claim is complete: every key
  }

  /** A node on the endpoint with an admin token, seed order. */
  public TestNode node(String endpointAndQuery) {
    return TestNode.connect(clientVertx, port(), endpointAndQuery, adminToken(), WireOrder.SEED);
  }

  public TestNode node(String endpointAndQuery, String token, WireOrder order) {
    return TestNode.connect(clientVertx, port(), endpointAndQuery, token, order);
  }

  /** A management port answer: status, body and headers. */
  public record HttpReply(int status, String body, java.net.http.HttpHeaders headers) {
    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** GET {@code path} on the management port with an admin token, as the CLI sends it. */
  public HttpReply management(String path) {
    return management(path, "Bearer " + adminToken());
  }

  /** GET {@code path} on the management port with this Authorization header (null: none). */
  public HttpReply management(String path, String authorization) {
    return management(server.managementPort(), path, authorization);
  }

  /** GET on the management port of any server (another process, too) with this Authorization header (null: none). */
  public static HttpReply management(int managementPort, String path, String authorization) {
    java.net.http.HttpRequest.Builder req = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + managementPort + path)).timeout(java.time.Duration.ofSeconds(10));
    if (authorization != null) req.header("Authorization", authorization);
    try {
      java.net.http.HttpResponse<String> r = HTTP.send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      return new HttpReply(r.statusCode(), r.body(), r.headers());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
      .connectTimeout(java.time.Duration.ofSeconds(5)).build();

  public int upgradeStatus(String path, String authorizationHeader) {
    return TestNode.upgradeStatus(clientVertx, port(), path, authorizationHeader);
  }

  /** The graceful stop (stopping, drain, snapshot, 1001), then the Vert.x instances close. */
  public void stopGracefully() {
    if (!stopped.compareAndSet(false, true)) return;
    try {
      TestNode.await(server.stop());
    } finally {
      TestNode.await(clientVertx.close());
      TestNode.await(vertx.close());
    }
  }

  @Override
  public void close() {
    if (!stopped.compareAndSet(false, true)) return;
    try {
      TestNode.await(server.close());
    } catch (RuntimeException ignored) {
      // closing anyway
    }
    TestNode.await(clientVertx.close());
    TestNode.await(vertx.close());
  }
}
