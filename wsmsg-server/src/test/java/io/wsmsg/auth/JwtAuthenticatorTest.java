package io.wsmsg.auth;

import static io.wsmsg.auth.TestTokens.await;
import static io.wsmsg.auth.TestTokens.b64;
import static io.wsmsg.auth.TestTokens.now;
import static io.wsmsg.auth.TestTokens.refusal;
import static io.wsmsg.auth.TestTokens.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.junit5.VertxExtension;
import io.wsmsg.config.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class JwtAuthenticatorTest {
  static final String SECRET = "test-secret-0123456789-abcdefghijklmnop";

  static Vertx vertx;
  static KeyPair rsa;
  static KeyPair otherRsa;
  static KeyPair ec;
  static JWTAuth hs;
  static JwtAuthenticator auth;

  @BeforeAll
  static void setUp(Vertx v) throws Exception {
    vertx = v;
    rsa = TestTokens.rsa();
    otherRsa = TestTokens.rsa();
    ec = TestTokens.ec256();
    hs = TestTokens.signer(vertx, "HS256", SECRET);
    auth = JwtAuthenticator.create(vertx, config(new JsonObject()));
  }

  /** auth settings laid over the defaults, with the HS256 secret unless overridden. */
  static ServerConfig config(JsonObject auth) {
    JsonObject a = new JsonObject().put("hs256Secret", SECRET).mergeIn(auth);
    return ServerConfig.of(new JsonObject().put("auth", a));
  }

  static String hs256(JsonObject claims) {
    return sign(hs, "HS256", claims);
  }

  static JsonObject claims(String sub) {
    return new JsonObject().put("sub", sub).put("exp", now() + 300);
  }

  // ---- HS256 ----------------------------------------------------------------------------

  @Test
  void validTokenCarriesItsClaimPermissions() throws Exception {
    long exp = now() + 300;
    JsonObject wsmsg = new JsonObject()
        .put("endpoints", new JsonArray().add("svc-*"))
        .put("publish", new JsonArray().add("orders.*"))
        .put("subscribe", new JsonArray().add("orders.eu"))
        .put("admin", true);
    Identity id = await(auth.authenticate(hs256(new JsonObject().put("sub", "alice").put("exp", exp).put("wsmsg", wsmsg))));
    assertThat(id.subject()).isEqualTo("alice");
    assertThat(id.expiresAtMillis()).isEqualTo(exp * 1000);
    assertThat(id.permissions().mayAttach("svc-a")).isTrue();
    assertThat(id.permissions().mayAttach("other")).isFalse();
    assertThat(id.permissions().mayPublish("orders.new")).isTrue();
    assertThat(id.permissions().mayPublish("invoices")).isFalse();
    assertThat(id.permissions().maySubscribe("orders.eu")).isTrue();
    assertThat(id.permissions().maySubscribe("orders.*")).isFalse();
    assertThat(id.permissions().admin()).isTrue();
    assertThat(auth.required()).isTrue();
    assertThat(auth.algorithms()).containsExactly("HS256");
  }

  @Test
  void withoutClaimTheConfiguredDefaultsApply() throws Exception {
    JwtAuthenticator a = JwtAuthenticator.create(vertx, config(new JsonObject().put("defaultPermissions",
        new JsonObject().put("endpoints", new JsonArray().add("web-*")).put("publish", new JsonArray())
            .put("subscribe", new JsonArray().add("news.*")).put("admin", false))));
    Identity id = await(a.authenticate(hs256(claims("bob"))));
    assertThat(id.permissions().endpoints()).containsExactly("web-*");
    assertThat(id.permissions().publish()).isEmpty();
    assertThat(id.permissions().subscribe()).containsExactly("news.*");
    assertThat(id.permissions().admin()).isFalse();

    // A claim grants nothing for the keys it omits (SPEC section 2), not the defaults; the
    // subject still owns its own endpoints.
    Identity partial = await(a.authenticate(hs256(claims("bob").put("wsmsg", new JsonObject().put("admin", true)))));
    assertThat(partial.permissions().endpoints()).isEmpty();
    assertThat(partial.permissions().subscribe()).isEmpty();
    assertThat(partial.permissions().admin()).isTrue();
    assertThat(partial.permissions().mayAttach("web-1")).isFalse();
    assertThat(partial.permissions().mayAttach("bob")).isFalse();
    assertThat(partial.permissions().mayAttach("bob~worker")).isTrue();
    assertThat(id.permissions().mayAttach("bob~x")).as("with the defaults too").isTrue();
  }

  @Test
  void tokenWithoutExpOrSubject() throws Exception {
    Identity id = await(auth.authenticate(hs256(new JsonObject())));
    assertThat(id.subject()).isEqualTo("anonymous");
    assertThat(id.expiresAtMillis()).isZero();
    assertThat(id.expires()).isFalse();
    assertThat(id.permissions()).isEqualTo(Permissions.fromJson(config(new JsonObject()).defaultPermissions));
  }

  @Test
  void expiredTokenIsRefused() throws Exception {
    assertThat(refusal(auth.authenticate(hs256(new JsonObject().put("sub", "a").put("exp", now() - 10)))))
        .isEqualTo("the token has expired");
  }

  @Test
  void leewayForgivesSmallClockSkew() throws Exception {
    JwtAuthenticator lenient = JwtAuthenticator.create(vertx, config(new JsonObject().put("leewaySeconds", 60)));
    String justExpired = hs256(new JsonObject().put("exp", now() - 10));
    assertThat(await(lenient.authenticate(justExpired)).expiresAtMillis()).isPositive();
    assertThat(refusal(lenient.authenticate(hs256(new JsonObject().put("exp", now() - 120)))))
        .isEqualTo("the token has expired");
    assertThat(await(lenient.authenticate(hs256(new JsonObject().put("nbf", now() + 10))))).isNotNull();
  }

  @Test
  void notBeforeInTheFutureIsRefused() throws Exception {
    assertThat(refusal(auth.authenticate(hs256(claims("a").put("nbf", now() + 120)))))
        .isEqualTo("the token is not valid yet (nbf is in the future)");
    assertThat(await(auth.authenticate(hs256(claims("a").put("nbf", now() - 5)))).subject()).isEqualTo("a");
  }

  @Test
  void issuedInTheFutureIsRefused() throws Exception {
    // Vert.x refuses an iat beyond the leeway; we only make the reason readable.
    assertThat(refusal(auth.authenticate(hs256(claims("a").put("iat", now() + 3600)))))
        .isEqualTo("the token was issued in the future (iat): check the clocks");
  }

  @Test
  void wrongSignatureIsRefused() throws Exception {
    JWTAuth other = TestTokens.signer(vertx, "HS256", "another-secret-0123456789-abcdefghijkl");
    assertThat(refusal(auth.authenticate(sign(other, "HS256", claims("a")))))
        .isEqualTo("the token signature is not valid");
  }

  @Test
  void tamperedPayloadIsRefused() throws Exception {
    String[] p = hs256(claims("mallory")).split("\\.");
    String forged = p[0] + "." + b64(claims("mallory").put("wsmsg", new JsonObject().put("admin", true)).encode()) + "." + p[2];
    assertThat(refusal(auth.authenticate(forged))).isEqualTo("the token signature is not valid");
  }

  @Test
  void signatureIsCheckedBeforeExpiry() throws Exception {
    // A forged token must not learn anything from the reason: it is refused for its signature.
    JWTAuth other = TestTokens.signer(vertx, "HS256", "another-secret-0123456789-abcdefghijkl");
    assertThat(refusal(auth.authenticate(sign(other, "HS256", new JsonObject().put("exp", now() - 100)))))
        .isEqualTo("the token signature is not valid");
  }

  @Test
  void algNoneIsNeverAccepted() throws Exception {
    String payload = b64(claims("eve").put("wsmsg", new JsonObject().put("admin", true)).encode());
    String unsigned = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + payload + ".";
    assertThat(refusal(auth.authenticate(unsigned))).isEqualTo("the token algorithm \"none\" is never accepted");
    String upper = b64("{\"alg\":\"None\",\"typ\":\"JWT\"}") + "." + payload + ".";
    assertThat(refusal(auth.authenticate(upper))).isEqualTo("the token algorithm \"none\" is never accepted");
    // Even with a (meaningless) signature part attached.
    String withSig = b64("{\"alg\":\"none\"}") + "." + payload + "." + b64("x");
    assertThat(refusal(auth.authenticate(withSig))).isEqualTo("the token algorithm \"none\" is never accepted");
  }

  @Test
  void malformedTokensAreRefused() throws Exception {
    String malformed = "the token is malformed: a JWT is three base64url parts separated by dots";
    assertThat(refusal(auth.authenticate("abc"))).isEqualTo(malformed);
    assertThat(refusal(auth.authenticate("a.b"))).isEqualTo(malformed);
    assertThat(refusal(auth.authenticate("a.b.c.d"))).isEqualTo(malformed);
    assertThat(refusal(auth.authenticate("!!!.***.$$$")))
        .isEqualTo("the token is malformed: its header is not base64url");
    assertThat(refusal(auth.authenticate(b64("not json") + "." + b64("{}") + ".c2ln")))
        .isEqualTo("the token is malformed: its header is not a JSON object");
    assertThat(refusal(auth.authenticate(b64("[1,2]") + "." + b64("{}") + ".c2ln")))
        .isEqualTo("the token is malformed: its header is not a JSON object");
    assertThat(refusal(auth.authenticate(b64("{\"alg\":\"HS256\"}") + ".%%%.c2ln")))
        .isEqualTo("the token is malformed: its payload is not base64url");
    assertThat(refusal(auth.authenticate(b64("{\"typ\":\"JWT\"}") + "." + b64("{}") + ".c2ln")))
        .isEqualTo("the token header has no algorithm (alg)");
    String[] valid = hs256(claims("a")).split("\\.");
    assertThat(refusal(auth.authenticate(valid[0] + "." + valid[1] + ".")))
        .isEqualTo("the token has no signature");
    assertThat(refusal(auth.authenticate("x".repeat(JwtAuthenticator.MAX_TOKEN_CHARS + 1))))
        .startsWith("the token is too long");
  }

  @Test
  void missingTokenIsRefused() throws Exception {
    String none = "no token: send Authorization: Bearer <token> or ?access_token=";
    assertThat(refusal(auth.authenticate(null))).isEqualTo(none);
    assertThat(refusal(auth.authenticate(""))).isEqualTo(none);
    assertThat(refusal(auth.authenticate("   "))).isEqualTo(none);
  }

  @Test
  void badClaimTypesAreRefused() throws Exception {
    assertThat(refusal(auth.authenticate(hs256(claims("a").put("wsmsg", "admin")))))
        .startsWith("the token claim wsmsg must be an object");
    assertThat(refusal(auth.authenticate(hs256(claims("a").put("wsmsg", new JsonObject().put("publish", "x"))))))
        .isEqualTo("the token has a bad wsmsg claim: the wsmsg claim: \"publish\" must be a list of glob strings, not the string \"x\"");
    assertThat(refusal(auth.authenticate(hs256(new JsonObject().put("exp", "tomorrow")))))
        .isEqualTo("the token claim exp must be a number of seconds since 1970");
    assertThat(refusal(auth.authenticate(hs256(new JsonObject().put("sub", 42)))))
        .isEqualTo("the token claim sub must be a string");
  }

  @Test
  void unconfiguredAlgorithmIsRefused() throws Exception {
    String hs512 = sign(TestTokens.signer(vertx, "HS512", SECRET), "HS512", claims("a"));
    assertThat(refusal(auth.authenticate(hs512)))
        .isEqualTo("the token algorithm \"HS512\" is not accepted here (accepted: HS256)");
  }

  @Test
  void criticalHeaderExtensionsAreRefused() throws Exception {
    String token = hs.generateToken(claims("a"), new JWTOptions().setAlgorithm("HS256")
        .setHeader(new JsonObject().put("crit", new JsonArray().add("exp")).put("exp", 1)));
    assertThat(refusal(auth.authenticate(token))).contains("critical extensions (crit)");
  }

  // ---- issuer and audience ----------------------------------------------------------------

  @Test
  void issuerIsCheckedWhenConfigured() throws Exception {
    JwtAuthenticator a = JwtAuthenticator.create(vertx, config(new JsonObject().put("issuer", "https://idp.example")));
    assertThat(await(a.authenticate(hs256(claims("a").put("iss", "https://idp.example")))).subject()).isEqualTo("a");
    assertThat(refusal(a.authenticate(hs256(claims("a").put("iss", "https://evil.example")))))
        .isEqualTo("the token issuer (iss) is not \"https://idp.example\"");
    assertThat(refusal(a.authenticate(hs256(claims("a")))))
        .isEqualTo("the token issuer (iss) is not \"https://idp.example\"");
    // Not configured: any issuer passes.
    assertThat(await(auth.authenticate(hs256(claims("a").put("iss", "whoever"))))).isNotNull();
  }

  @Test
  void audienceIsCheckedWhenConfigured() throws Exception {
    JwtAuthenticator a = JwtAuthenticator.create(vertx, config(new JsonObject().put("audience", "wsmsg")));
    assertThat(await(a.authenticate(hs256(claims("a").put("aud", "wsmsg"))))).isNotNull();
    assertThat(await(a.authenticate(hs256(claims("a").put("aud", new JsonArray().add("other").add("wsmsg")))))).isNotNull();
    assertThat(refusal(a.authenticate(hs256(claims("a").put("aud", "other")))))
        .isEqualTo("the token audience (aud) does not include \"wsmsg\"");
    assertThat(refusal(a.authenticate(hs256(claims("a")))))
        .isEqualTo("the token audience (aud) does not include \"wsmsg\"");
  }

  // ---- RS256 and ES256 ----------------------------------------------------------------------

  static ServerConfig publicKeyOnly(JsonObject... keys) {
    return ServerConfig.of(new JsonObject().put("auth", new JsonObject().put("publicKeys", new JsonArray(java.util.List.of((Object[]) keys)))));
  }

  @Test
  void rs256VerifiedWithThePublicKeyOnly() throws Exception {
    JwtAuthenticator a = JwtAuthenticator.create(vertx,
        publicKeyOnly(new JsonObject().put("algorithm", "RS256").put("pem", TestTokens.publicPem(rsa))));
    assertThat(a.algorithms()).containsExactly("RS256");
    String token = sign(TestTokens.signer(vertx, "RS256", TestTokens.privatePem(rsa)), "RS256",
        claims("svc").put("wsmsg", new JsonObject().put("publish", new JsonArray().add("x"))));
    assertThat(TestTokens.headerOf(token).getString("alg")).isEqualTo("RS256");
    Identity id = await(a.authenticate(token));
    assertThat(id.subject()).isEqualTo("svc");
    assertThat(id.permissions().publish()).containsExactly("x");

    String foreign = sign(TestTokens.signer(vertx, "RS256", TestTokens.privatePem(otherRsa)), "RS256", claims("svc"));
    assertThat(refusal(a.authenticate(foreign))).isEqualTo("the token signature is not valid");

    // An HS256 token is not checked against the RSA key (algorithm confusion).
    String confused = sign(TestTokens.signer(vertx, "HS256", TestTokens.publicPem(rsa)), "HS256", claims("svc"));
    assertThat(refusal(a.authenticate(confused)))
        .isEqualTo("the token algorithm \"HS256\" is not accepted here (accepted: RS256)");
  }

  @Test
  void es256VerifiedWithThePublicKeyFromAFile(@TempDir Path dir) throws Exception {
    Path pem = dir.resolve("ec.pem");
    Files.writeString(pem, TestTokens.publicPem(ec));
    JwtAuthenticator a = JwtAuthenticator.create(vertx,
        publicKeyOnly(new JsonObject().put("algorithm", "ES256").put("file", pem.toString())));
    JWTAuth signer = TestTokens.signer(vertx, "ES256", TestTokens.privatePem(ec));
    Identity id = await(a.authenticate(sign(signer, "ES256", claims("edge"))));
    assertThat(id.subject()).isEqualTo("edge");

    KeyPair otherEc = TestTokens.ec256();
    String foreign = sign(TestTokens.signer(vertx, "ES256", TestTokens.privatePem(otherEc)), "ES256", claims("edge"));
    assertThat(refusal(a.authenticate(foreign))).isEqualTo("the token signature is not valid");
    assertThat(refusal(a.authenticate(sign(signer, "ES256", new JsonObject().put("exp", now() - 5)))))
        .isEqualTo("the token has expired");
  }

  @Test
  void secretAndSeveralPublicKeysTogether() throws Exception {
    JwtAuthenticator a = JwtAuthenticator.create(vertx, config(new JsonObject().put("publicKeys", new JsonArray()
        .add(new JsonObject().put("algorithm", "RS256").put("pem", TestTokens.publicPem(rsa)))
        .add(new JsonObject().put("algorithm", "RS256").put("pem", TestTokens.publicPem(otherRsa)))
        .add(new JsonObject().put("algorithm", "ES256").put("pem", TestTokens.publicPem(ec))))));
    assertThat(a.algorithms()).containsExactly("HS256", "RS256", "ES256");
    assertThat(await(a.authenticate(hs256(claims("h")))).subject()).isEqualTo("h");
    for (KeyPair kp : new KeyPair[] {rsa, otherRsa}) {
      String t = sign(TestTokens.signer(vertx, "RS256", TestTokens.privatePem(kp)), "RS256", claims("r"));
      assertThat(await(a.authenticate(t)).subject()).isEqualTo("r");
    }
    String e = sign(TestTokens.signer(vertx, "ES256", TestTokens.privatePem(ec)), "ES256", claims("e"));
    assertThat(await(a.authenticate(e)).subject()).isEqualTo("e");
  }

  // ---- configuration ----------------------------------------------------------------------

  @Test
  void noKeyAtAllNeedsADevSecret() throws Exception {
    ServerConfig bare = ServerConfig.of(new JsonObject());
    assertThatThrownBy(() -> JwtAuthenticator.create(vertx, bare))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs auth.hs256Secret or auth.publicKeys");
    String dev = DevSecret.random();
    JwtAuthenticator a = JwtAuthenticator.create(vertx, bare, dev);
    String token = new TokenSigner(vertx, dev).sign("dev", null, 60);
    assertThat(await(a.authenticate(token)).subject()).isEqualTo("dev");
    // Unsigned tokens stay refused even though the secret was generated.
    String unsigned = b64("{\"alg\":\"none\"}") + "." + b64("{\"sub\":\"x\"}") + ".";
    assertThat(refusal(a.authenticate(unsigned))).isEqualTo("the token algorithm \"none\" is never accepted");
  }

  @Test
  void badKeyConfigurationIsRefusedAtStart() {
    assertThatThrownBy(() -> JwtAuthenticator.create(vertx,
        publicKeyOnly(new JsonObject().put("algorithm", "HS512").put("pem", TestTokens.publicPem(rsa)))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("auth.publicKeys[0].algorithm must be \"RS256\" or \"ES256\", not \"HS512\"");
    assertThatThrownBy(() -> JwtAuthenticator.create(vertx,
        publicKeyOnly(new JsonObject().put("algorithm", "RS256"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs exactly one of \"pem\"");
    assertThatThrownBy(() -> JwtAuthenticator.create(vertx,
        publicKeyOnly(new JsonObject().put("algorithm", "RS256").put("pem", TestTokens.privatePem(rsa)))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a PEM public key");
    assertThatThrownBy(() -> JwtAuthenticator.create(vertx,
        publicKeyOnly(new JsonObject().put("algorithm", "RS256").put("file", "/nonexistent/key.pem"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot be read");
    assertThatThrownBy(() -> JwtAuthenticator.create(vertx, publicKeyOnly(new JsonObject().put("algorithm", "RS256")
        .put("pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("could not be loaded");
    // An RSA key declared as ES256 is refused when loading, not on the first token.
    assertThatThrownBy(() -> JwtAuthenticator.create(vertx,
        publicKeyOnly(new JsonObject().put("algorithm", "ES256").put("pem", TestTokens.publicPem(rsa)))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("could not be loaded");
  }
}
