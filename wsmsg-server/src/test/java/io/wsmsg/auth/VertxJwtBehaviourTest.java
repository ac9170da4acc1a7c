package io.wsmsg.auth;

import static io.wsmsg.auth.TestTokens.b64;
import static io.wsmsg.auth.TestTokens.now;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Facts about Vert.x Auth JWT 5.1.1 that JwtAuthenticator is built around. If an upgrade
 * changes one of these, revisit the pre-checks and message mapping there.
 */
@ExtendWith(VertxExtension.class)
class VertxJwtBehaviourTest {

  @Test
  void withoutKeysVertxAcceptsUnsignedTokens(Vertx vertx) throws Exception {
    // The reason JwtAuthenticator refuses to start without a key and checks alg itself.
    JWTAuth keyless = JWTAuth.create(vertx, new JWTAuthOptions());
    String unsigned = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64("{\"sub\":\"eve\"}") + ".";
    Future<User> f = keyless.authenticate(new TokenCredentials(unsigned));
    User u = TestTokens.await(f);
    assertThat(u.principal().getString("sub")).isEqualTo("eve");
  }

  @Test
  void vertxReportsAFutureNbfAsExpired(Vertx vertx) {
    // The reason JwtAuthenticator explains refusals from the claims rather than the message.
    JWTAuth a = TestTokens.signer(vertx, "HS256", "s3cret-s3cret-s3cret-s3cret-s3cret-xx");
    String token = TestTokens.sign(a, "HS256", new JsonObject().put("nbf", now() + 600));
    Future<User> f = a.authenticate(new TokenCredentials(token));
    assertThat(f.failed()).isTrue();
    assertThat(f.cause().getMessage()).isEqualTo("Invalid JWT token: token expired.");
  }
}
