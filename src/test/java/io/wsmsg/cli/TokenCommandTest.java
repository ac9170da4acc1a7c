package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.cli.Cli.Result;
import io.wsmsg.testkit.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code wsmsg token}: the claims it signs, and that the server lets its holder do exactly that. */
class TokenCommandTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static JsonObject part(String jwt, int i) {
    String[] parts = jwt.split("\\.");
    assertThat(parts).hasSize(3);
    return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[i]), StandardCharsets.UTF_8));
  }

  @Test
  void theTokenCarriesTheRequestedClaims() {
    Result r = Cli.run("token", "--secret", TestServer.SECRET, "--sub", "billing", "--publish", "invoices.*", "audit",
        "--subscribe", "orders.*", "--endpoints", "billing*", "--ttl", "600");
    assertThat(r.code()).as(r.toString()).isZero();
    String jwt = r.out().strip();
    assertThat(part(jwt, 0).getString("alg")).isEqualTo("HS256");
    JsonObject claims = part(jwt, 1);
    assertThat(claims.getString("sub")).isEqualTo("billing");
    assertThat(claims.getLong("exp") - claims.getLong("iat")).isEqualTo(600L);
    JsonObject wsmsg = claims.getJsonObject("wsmsg");
    assertThat(wsmsg.getJsonArray("publish").getList()).containsExactly("invoices.*", "audit");
    assertThat(wsmsg.getJsonArray("subscribe").getList()).containsExactly("orders.*");
    assertThat(wsmsg.getJsonArray("endpoints").getList()).containsExactly("billing*");
    assertThat(wsmsg.containsKey("admin")).isFalse();

    JsonObject admin = part(Cli.run("token", "--secret", TestServer.SECRET, "--sub", "ops", "--admin").out().strip(), 1);
    assertThat(admin.getJsonObject("wsmsg").getBoolean("admin")).isTrue();
    JsonObject plain = part(Cli.run("token", "--secret", TestServer.SECRET, "--sub", "dev", "--ttl", "0").out().strip(), 1);
    assertThat(plain.containsKey("wsmsg")).isFalse();
    assertThat(plain.containsKey("exp")).isFalse();
  }

  @Test
  void theServerGrantsExactlyWhatTheTokenSays() {
    String jwt = Cli.run("token", "--secret", TestServer.SECRET, "--sub", "billing", "--publish", "invoices.*",
        "--endpoints", "billing*").out().strip();
    Result ok = Cli.run(Cli.client(server, jwt, "pub", "--endpoint", "billing-1", "invoices.new", "x", "1"));
    assertThat(ok.code()).as(ok.toString()).isZero();
    Result refused = Cli.run(Cli.client(server, jwt, "pub", "--endpoint", "billing-1", "orders", "x", "1"));
    assertThat(refused.code()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.err()).contains("forbidden: your token does not allow publishing to channel orders");
    Result otherEndpoint = Cli.run(Cli.client(server, jwt, "pub", "--endpoint", "shipping", "invoices.new", "x"));
    assertThat(otherEndpoint.code()).as(otherEndpoint.toString()).isEqualTo(3);
    assertThat(otherEndpoint.err()).contains("HTTP 403");

    String wrong = Cli.run("token", "--secret", "some-other-secret-of-at-least-32-bytes!", "--sub", "x").out().strip();
    Result bad = Cli.run(Cli.client(server, wrong, "pub", "invoices.new", "x"));
    assertThat(bad.code()).as(bad.toString()).isEqualTo(3);
    assertThat(bad.err()).contains("HTTP 401");
  }

  @Test
  void anAdminTokenMayUseAdminCommands() {
    String admin = Cli.run("token", "--secret", TestServer.SECRET, "--sub", "ops", "--admin").out().strip();
    String user = Cli.run("token", "--secret", TestServer.SECRET, "--sub", "dev").out().strip();
    String sizeArgs = "[\"somechannel\", 5]";
    assertThat(Cli.run(Cli.client(server, admin, "pub", "system", "channel.size", sizeArgs)).code()).isZero();
    Result r = Cli.run(Cli.client(server, user, "pub", "system", "channel.size", sizeArgs));
    assertThat(r.code()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("forbidden: channel.size needs an admin token");
  }

  @Test
  void noSecretIsAUsageError() {
    Assumptions.assumeTrue(System.getenv("WSMSG_JWT_SECRET") == null);
    Result r = Cli.run("token", "--sub", "x");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("wsmsg token: no secret");
    assertThat(Cli.run("token", "--secret", TestServer.SECRET).code()).isEqualTo(2); // --sub is required
  }
}
