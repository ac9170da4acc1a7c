package io.wsmsg.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Real keys and real JWTs for the tests: nothing here is mocked. */
final class TestTokens {
  private TestTokens() {}

  static long now() {
    return System.currentTimeMillis() / 1000;
  }

  static KeyPair rsa() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  static KeyPair ec256() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  static String publicPem(KeyPair kp) {
    return pem("PUBLIC KEY", kp.getPublic().getEncoded()); // X.509 SubjectPublicKeyInfo
  }

  static String privatePem(KeyPair kp) {
    return pem("PRIVATE KEY", kp.getPrivate().getEncoded()); // PKCS#8
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  /** A Vert.x signer holding one private key (or HS256 secret) for {@code alg}. */
  static JWTAuth signer(Vertx vertx, String alg, String pemOrSecret) {
    return JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm(alg).setBuffer(pemOrSecret)));
  }

  /** Signs {@code claims} exactly as given (no iat added), so tests control every time claim. */
  static String sign(JWTAuth signer, String alg, JsonObject claims) {
    return signer.generateToken(claims, new JWTOptions().setAlgorithm(alg).setNoTimestamp(true));
  }

  static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  static JsonObject payloadOf(String token) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8));
  }

  static JsonObject headerOf(String token) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[0]), StandardCharsets.UTF_8));
  }

  static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception) throw (Exception) e.getCause();
      throw e;
    }
  }

  /** The refusal message; fails the test if the token was accepted or failed otherwise. */
  static String refusal(Future<?> f) throws Exception {
    try {
      Object accepted = await(f);
      throw new AssertionError("expected a refusal, got " + accepted);
    } catch (AuthException e) {
      assertThat(e.getStackTrace()).as("refusals carry no stack trace").isEmpty();
      return e.getMessage();
    }
  }
}
