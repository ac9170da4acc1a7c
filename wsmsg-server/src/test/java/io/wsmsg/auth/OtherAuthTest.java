package io.wsmsg.auth;

import static io.wsmsg.auth.TestTokens.await;
import static io.wsmsg.auth.TestTokens.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.wsmsg.config.ServerConfig;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** NoAuthenticator, TokenSigner, DevSecret, AuthException. */
@ExtendWith(VertxExtension.class)
class OtherAuthTest {
  static final String SECRET = "signer-secret-0123456789-abcdefghijklm";

  @Test
  void noAuthenticatorGivesEveryoneTheDefaults() throws Exception {
    ServerConfig config = ServerConfig.of(new JsonObject().put("auth", new JsonObject().put("mode", "none")
        .put("defaultPermissions", new JsonObject().put("publish", new JsonArray().add("chat.*")))));
    NoAuthenticator a = NoAuthenticator.create(config);
    assertThat(a.required()).isFalse();
    for (String token : new String[] {null, "", "garbage", "a.b.c"}) {
      Identity id = await(a.authenticate(token));
      assertThat(id.subject()).isEqualTo("anonymous");
      assertThat(id.expiresAtMillis()).isZero();
      assertThat(id.permissions().mayPublish("chat.room")).isTrue();
      assertThat(id.permissions().mayPublish("orders")).isFalse();
      assertThat(id.permissions().admin()).isFalse();
    }
  }

  @Test
  void signerAddsExpOnlyWithATtl(Vertx vertx) {
    TokenSigner s = new TokenSigner(vertx, SECRET);
    JsonObject forever = TestTokens.payloadOf(s.sign("alice", null, 0));
    assertThat(forever.getString("sub")).isEqualTo("alice");
    assertThat(forever.containsKey("exp")).isFalse();
    assertThat(forever.containsKey("wsmsg")).isFalse();
    assertThat(forever.containsKey("iss")).isFalse();
    assertThat(TestTokens.headerOf(s.sign("alice", null, 0)).getString("alg")).isEqualTo("HS256");

    JsonObject hour = TestTokens.payloadOf(s.sign("alice", null, 3600));
    assertThat(hour.getLong("exp")).isBetween(now() + 3590, now() + 3610);
  }

  @Test
  void signedTokensAreAcceptedWithTheirClaim(Vertx vertx) throws Exception {
    ServerConfig config = ServerConfig.of(new JsonObject().put("auth", new JsonObject()
        .put("hs256Secret", SECRET).put("issuer", "wsmsg-dev").put("audience", "wsmsg")));
    TokenSigner s = new TokenSigner(vertx, SECRET, config.issuer, config.audience);
    JsonObject claim = new JsonObject().put("endpoints", new JsonArray().add("me")).put("admin", true);
    String token = s.sign("ops", claim, 60);
    JsonObject payload = TestTokens.payloadOf(token);
    assertThat(payload.getString("iss")).isEqualTo("wsmsg-dev");
    assertThat(payload.getString("aud")).isEqualTo("wsmsg");

    Identity id = await(JwtAuthenticator.create(vertx, config).authenticate(token));
    assertThat(id.subject()).isEqualTo("ops");
    assertThat(id.permissions().mayAttach("me")).isTrue();
    assertThat(id.permissions().mayAttach("you")).isFalse();
    assertThat(id.permissions().admin()).isTrue();
    assertThat(id.expiresAtMillis()).isEqualTo(payload.getLong("exp") * 1000);

    // Without iss/aud the same server refuses it.
    String plain = new TokenSigner(vertx, SECRET).sign("ops", claim, 60);
    assertThat(TestTokens.refusal(JwtAuthenticator.create(vertx, config).authenticate(plain)))
        .isEqualTo("the token issuer (iss) is not \"wsmsg-dev\"");
  }

  @Test
  void signerRefusesBadInput(Vertx vertx) {
    TokenSigner s = new TokenSigner(vertx, SECRET);
    assertThatThrownBy(() -> s.sign("a", new JsonObject().put("admin", "yes"), 60))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"admin\" must be true or false");
    assertThatThrownBy(() -> s.sign("a", null, -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lifetime");
    assertThatThrownBy(() -> new TokenSigner(vertx, ""))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void devSecretIs256RandomBits() {
    String a = DevSecret.random();
    String b = DevSecret.random();
    assertThat(a).hasSize(43).matches("[A-Za-z0-9_-]+");
    assertThat(Base64.getUrlDecoder().decode(a)).hasSize(32);
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void authExceptionHasNoStackTrace() {
    AuthException e = new AuthException("the token has expired");
    assertThat(e.getMessage()).isEqualTo("the token has expired");
    assertThat(e.getStackTrace()).isEmpty();
    assertThat(e.getCause()).isNull();
  }
}
