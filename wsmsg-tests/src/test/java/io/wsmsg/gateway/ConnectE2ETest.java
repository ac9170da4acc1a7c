package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.wsmsg.auth.TokenSigner;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.E2E;
import io.wsmsg.testkit.RawWs;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SPEC section 2 over real connections: the endpoint path, the token (header or query
 * parameter), permissions to attach, per-connection settings, token expiry, auth mode none.
 */
@ExtendWith(VertxExtension.class)
class ConnectE2ETest extends ServerTestBase {
  TestServer server;
  /** Kept referenced: an unreferenced Vert.x client is closed by a cleaner. */
  HttpClient http;


  private int status(String path, String token) {
    return server.upgradeStatus(path, token == null ? null : "Bearer " + token);
  }

  /**
   * The status of an upgrade request written byte for byte on a plain socket: client
   * libraries refuse to send malformed paths such as {@code /%zz}, the server must not.
   */
  private int rawStatus(String path, String token) {
    try (RawWs ws = RawWs.open(server.port(), path, token)) {
      return ws.status;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  /** Signs exactly these claims (no iat added) with the test secret. */
  private static String signRaw(Vertx vertx, String secret, JsonObject claims) {
    JWTAuth jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    return jwt.generateToken(claims, new JWTOptions().setAlgorithm("HS256").setNoTimestamp(true));
  }

  /** A WebSocket upgrade request sent by a plain HTTP client, so the refusal's headers can be read. */
  private Future<HttpClientResponse> rawUpgrade(String uri, String authorization) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(server.port())
        .setURI(uri)
        .putHeader("Upgrade", "websocket")
        .putHeader("Connection", "Upgrade")
        .putHeader("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .putHeader("Sec-WebSocket-Version", "13");
    if (authorization != null) o.putHeader("Authorization", authorization);
    return http.request(o).compose(req -> req.send()).compose(resp -> resp.body().map(body -> resp));
  }

  // ---- 401 ----

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void badOrMissingTokensAreRefusedWith401AndWwwAuthenticateBearer(Vertx vertx, VertxTestContext ctx) {
    server = startServer();
    http = vertx.createHttpClient();
    String header = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
    String good = server.token(null);
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("missing", null);
    cases.put("empty bearer", "Bearer ");
    cases.put("malformed", "Bearer not-a-jwt");
    cases.put("two parts", "Bearer " + header + "." + b64("{\"sub\":\"x\"}"));
    cases.put("not a bearer scheme", "Basic dXNlcjpwYXNz");
    cases.put("expired", "Bearer " + signRaw(vertx, TestServer.SECRET,
        new JsonObject().put("sub", "x").put("exp", now() - 120)));
    cases.put("not valid yet", "Bearer " + signRaw(vertx, TestServer.SECRET,
        new JsonObject().put("sub", "x").put("nbf", now() + 3600).put("exp", now() + 7200)));
    cases.put("wrong signature", "Bearer " + new TokenSigner(vertx, "another-secret-of-at-least-32-bytes-long!!")
        .sign("x", null, 3600));
    String[] parts = good.split("\\.");
    cases.put("tampered payload", "Bearer " + parts[0] + "." + b64("{\"sub\":\"x\",\"wsmsg\":{\"admin\":true}}")
        + "." + parts[2]);
    cases.put("alg none", "Bearer " + b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
        + b64(new JsonObject().put("sub", "x").put("exp", now() + 3600).encode()) + ".");
    cases.put("alg none with a signature", "Bearer " + b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
        + b64(new JsonObject().put("sub", "x").put("exp", now() + 3600).encode()) + "." + parts[2]);

    Checkpoint refused = ctx.checkpoint(cases.size() + 1);
    cases.forEach((what, authorization) -> rawUpgrade("/ep", authorization).onComplete(ctx.succeeding(resp ->
        ctx.verify(() -> {
          assertThat(resp.statusCode()).as(what).isEqualTo(401);
          assertThat(resp.getHeader("WWW-Authenticate")).as(what).startsWith("Bearer");
          assertThat(resp.getHeader("Upgrade")).as(what + ": no upgrade").isNull();
          refused.flag();
        }))));
    // a bad token in the query parameter is refused the same way
    rawUpgrade("/ep?access_token=garbage", null).onComplete(ctx.succeeding(resp -> ctx.verify(() -> {
      assertThat(resp.statusCode()).isEqualTo(401);
      assertThat(resp.getHeader("WWW-Authenticate")).startsWith("Bearer");
      refused.flag();
    })));
  }

  @Test
  void aValidTokenInTheHeaderOrTheAccessTokenParameterIsAccepted() {
    server = startServer();
    String token = server.token(null);
    assertThat(status("/ep", token)).isEqualTo(101);
    assertThat(server.upgradeStatus("/ep?access_token=" + token, null)).isEqualTo(101);
    // the query string is not part of the endpoint
    try (TestNode n = server.node("qp?access_token=" + token + "&window=2", null, WireOrder.SEED)) {
      E2E.assertWorks(n, "qp");
      assertThat(server.server.registry().hasEndpoint("qp")).isTrue();
    }
  }

  // ---- 403 ----

  @Test
  void anEndpointOutsideTheTokensEndpointGlobsIsRefusedWith403() {
    server = startServer();
    String token = server.token(new JsonObject().put("endpoints", new JsonArray().add("team.*")));
    assertThat(status("/other", token)).isEqualTo(403);
    assertThat(status("/team", token)).isEqualTo(403);
    assertThat(status("/team.red", token)).isEqualTo(101);
    assertThat(server.server.registry().hasEndpoint("other")).isFalse();
  }

  // ---- 400 ----

  @Test
  void badPathsAreRefusedWith400() {
    server = startServer();
    String token = server.adminToken();
    List<String> bad = new ArrayList<>(List.of(
        "/",
        "/?window=2",
        "/a/b",
        "/a/",
        "/%zz",
        "/ab%2",
        "/%",
        "/%FF", // not UTF-8 once decoded
        "/" + "a".repeat(256),
        "/" + "%C3%A9".repeat(128))); // 128 x e-acute = 256 bytes of UTF-8
    for (String path : bad) {
      assertThat(rawStatus(path, token)).as(path).isEqualTo(400);
    }
    assertThat(rawStatus("/" + "a".repeat(255), token)).as("255 bytes").isEqualTo(101);
    assertThat(rawStatus("/" + "%C3%A9".repeat(127) + "a", token)).as("255 bytes of UTF-8").isEqualTo(101);
  }

  @Test
  void theEndpointIsTheSegmentAfterTheConfiguredRoot() {
    server = startServer(new JsonObject().put("root", "/ws"));
    String token = server.adminToken();
    assertThat(rawStatus("/ws/ep", token)).isEqualTo(101);
    assertThat(rawStatus("/ws/ep?window=2", token)).isEqualTo(101);
    for (String bad : List.of("/ep", "/ws", "/ws/", "/wsx/ep", "/ws/a/b")) {
      assertThat(rawStatus(bad, token)).as(bad).isEqualTo(400);
    }
    try (TestNode n = server.node("ws/rooted")) {
      E2E.assertWorks(n, "rooted");
    }
  }

  @Test
  void badWindowsAreRefusedWith400() {
    server = startServer();
    String token = server.adminToken();
    for (String w : List.of("0", "-1", "abc", "", "1.5", "1025", "99999999999")) {
      assertThat(status("/ep?window=" + w, token)).as("window=" + w).isEqualTo(400);
    }
    assertThat(status("/ep?window=1024", token)).isEqualTo(101);
  }

  @Test
  void aWindowLetsANodeHoldThatManyUnacknowledgedMessages() {
    server = startServer();
    try (TestNode n = server.node("wide?window=3"); TestNode pub = server.node("wide-pub")) {
      pub.command("subscribe.channel", "wide", "w");
      List<byte[]> sent = new ArrayList<>();
      for (int i = 0; i < 4; i++) sent.add(pub.publish("w", "m", i));
      List<Frame> held = new ArrayList<>();
      for (int i = 0; i < 3; i++) held.add(n.next(E2E.LONG_MS)); // none acked yet
      for (int i = 0; i < 3; i++) assertThat(held.get(i).uid()).isEqualTo(sent.get(i));
      n.expectNothing(E2E.QUIET_MS);
      n.ack(held.get(0));
      assertThat(n.next(E2E.LONG_MS).uid()).as("one slot freed").isEqualTo(sent.get(3));
    }
  }

  @Test
  void percentDecodedEndpointNamesWork() {
    server = startServer();
    try (TestNode spaced = server.node("my%20ep"); TestNode slash = server.node("a%2Fb");
        TestNode pub = server.node("pub")) {
      pub.command("subscribe.channel", "my ep", "spaced");
      pub.command("subscribe.channel", "a/b", "slashed");
      byte[] a = pub.publish("spaced", "s", "to my ep");
      byte[] b = pub.publish("slashed", "s", "to a/b");
      assertThat(E2E.awaitUid(spaced, a).channel()).isEqualTo("spaced");
      assertThat(E2E.awaitUid(slash, b).channel()).isEqualTo("slashed");
      assertThat(server.server.registry().hasEndpoint("my ep")).isTrue();
      assertThat(server.server.registry().hasEndpoint("my%20ep")).isFalse();
    }
  }

  @Test
  void aPlainHttpRequestIsNotUpgraded(Vertx vertx, VertxTestContext ctx) {
    server = startServer();
    http = vertx.createHttpClient();
    http.request(HttpMethod.GET, server.port(), "127.0.0.1", "/ep").compose(req -> req.send())
        .onComplete(ctx.succeeding(resp -> ctx.verify(() -> {
          assertThat(resp.statusCode()).isEqualTo(426);
          ctx.completeNow();
        })));
  }

  // ---- ping / pong ----

  @Test
  void theServerAnswersPingsAndClosesAPeerThatStopsAnsweringItsPings() throws Exception {
    server = startServer(new JsonObject().put("ping",
        new JsonObject().put("intervalSeconds", 0.5).put("timeoutSeconds", 2)));
    try (RawWs mute = RawWs.open(server.port(), "/mute", server.adminToken());
        TestNode polite = server.node("polite")) {
      assertThat(mute.status).isEqualTo(101);

      // a masked ping from the client is answered with a pong carrying the same bytes
      byte[] payload = "hi".getBytes(StandardCharsets.US_ASCII);
      mute.send(0x9, payload, false);

      // then stay silent: the server pings, gets no pong, and closes
      List<Integer> opcodes = new ArrayList<>();
      byte[] pong = null;
      try {
        while (true) {
          Object[] frame = mute.readFrame();
          int opcode = (Integer) frame[0];
          opcodes.add(opcode);
          if (opcode == 0xA && pong == null) pong = (byte[]) frame[1];
          if (opcode == 0x8) break;
        }
      } catch (java.io.EOFException | java.net.SocketException closed) {
        // closed without a close frame also counts as closed
      }
      assertThat(pong).as("pong payload").isEqualTo(payload);
      assertThat(opcodes).as("frames from the server").contains(0x9);

      // a peer that answers pings (the Vert.x client does) stays connected meanwhile
      assertThat(polite.isClosed()).isFalse();
      E2E.assertWorks(polite, "polite");
    }
  }

  // ---- expiry and auth mode none ----

  @Test
  void aConnectionWhoseTokenExpiresIsClosedWith4001() {
    server = startServer();
    // a few seconds of life: enough to connect on a busy machine, short enough to wait for
    String shortLived = new TokenSigner(server.vertx, TestServer.SECRET).sign("x", null, 3);
    try (TestNode n = server.node("brief", shortLived, WireOrder.SEED);
        TestNode longLived = server.node("long")) {
      assertThat(E2E.awaitClose(n)).isEqualTo((short) 4001);
      E2E.assertWorks(longLived, "long");
    }
    assertThat(status("/brief", shortLived)).as("and the token no longer connects").isEqualTo(401);
  }

  @Test
  void authModeNoneAcceptsConnectionsWithoutAToken() {
    server = startServer(new JsonObject().put("auth", new JsonObject().put("mode", "none")));
    assertThat(server.upgradeStatus("/anon", null)).isEqualTo(101);
    assertThat(server.upgradeStatus("/anon", "Bearer whatever")).as("a token is ignored").isEqualTo(101);
    try (TestNode n = server.node("anon", null, WireOrder.LEGACY)) {
      E2E.assertWorks(n, "anon");
      // default permissions: no admin
      byte[] c = n.command("stop");
      E2E.assertError(n, "forbidden", c);
    }
  }
}
