package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.cli.Cli.Result;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code wsmsg token}: the claims it signs, and that the server lets its holder do exactly that. */
class TokenCommandTest extends ServerTestBase {
  TestServer server;

  @BeforeEach
  void start() {
    server = startServer();
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

    // what the token grants goes to stderr, so stdout stays the token alone
    assertThat(r.err()).contains("the token grants:", "publish:   invoices.* audit", "subscribe: orders.*",
        "endpoints: billing* (and always its own: billing~*)", "admin:     no");

    Result adminRun = Cli.run("token", "--secret", TestServer.SECRET, "--sub", "ops", "--admin");
    JsonObject admin = part(adminRun.out().strip(), 1);
    assertThat(admin.getJsonObject("wsmsg").getBoolean("admin")).isTrue();
    // a claim is complete: --admin alone names every list as "*"
    assertThat(admin.getJsonObject("wsmsg").getJsonArray("publish").getList()).containsExactly("*");
    assertThat(admin.getJsonObject("wsmsg").getJsonArray("endpoints").getList()).containsExactly("*");
    assertThat(adminRun.err()).contains("admin:     yes");
    Result narrow = Cli.run("token", "--secret", TestServer.SECRET, "--sub", "n", "--publish", "x");
    assertThat(narrow.err()).contains("subscribe: none", "endpoints: none (and always its own: n~*)");
    assertThat(part(narrow.out().strip(), 1).getJsonObject("wsmsg").containsKey("subscribe")).isFalse();
    Result plainRun = Cli.run("token", "--secret", TestServer.SECRET, "--sub", "dev", "--ttl", "0");
    assertThat(plainRun.err()).contains("no wsmsg claim: the server's default permissions apply");
    JsonObject plain = part(plainRun.out().strip(), 1);
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
  void aNarrowTokenStillHasAnEndpointOfItsOwn() {
    // `wsmsg token --publish x` grants nothing else: the CLI's private endpoint is <sub>~cli-...
    String jwt = Cli.run("token", "--secret", TestServer.SECRET, "--sub", "narrow", "--publish", "x").out().strip();
    Result ok = Cli.run(Cli.client(server, jwt, "pub", "x", "s", "1"));
    assertThat(ok.code()).as(ok.toString()).isZero();
    Result elsewhere = Cli.run(Cli.client(server, jwt, "pub", "--endpoint", "shared", "x", "s", "1"));
    assertThat(elsewhere.code()).as(elsewhere.toString()).isEqualTo(3);
    assertThat(elsewhere.err()).contains("HTTP 403");
    Result sub = Cli.run(Cli.client(server, jwt, "pub", "y", "s", "1"));
    assertThat(sub.code()).as(sub.toString()).isEqualTo(1);
    assertThat(sub.err()).contains("forbidden");
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

  @Test
  void quotasOfItsOwnAreSignedAndTheServerAppliesThem() {
    Result r = Cli.run("token", "--secret", TestServer.SECRET, "--sub", "loader", "--quota", "endpoints=5000",
        "--quota", "wildcardSubscriptions=0");
    assertThat(r.code()).as(r.toString()).isZero();
    JsonObject wsmsg = part(r.out().strip(), 1).getJsonObject("wsmsg");
    assertThat(wsmsg.getJsonObject("quotas").getLong("endpoints")).isEqualTo(5000L);
    assertThat(wsmsg.fieldNames()).as("quotas are not permissions: the defaults apply").containsExactly("quotas");
    assertThat(r.err()).contains("default permissions apply", "quotas of its own", "\"endpoints\":5000");
    // the server reads them: no wildcard subscription for this token, a literal one is fine
    try (io.wsmsg.testkit.TestNode n = server.node("loader~a", r.out().strip(), io.wsmsg.protocol.WireOrder.SEED)) {
      n.command("subscribe.channel", "loader~a", "plain");
      n.sync("loader~a");
      byte[] wild = n.command("subscribe.channel", "loader~a", "plain.*");
      io.wsmsg.protocol.Frame err = n.nextSystem("error");
      assertThat(err.reference()).isEqualTo(wild);
      assertThat(io.wsmsg.testkit.TestNode.data(err).toString()).contains("limit", "wildcard");
    }
    Result bad = Cli.run("token", "--secret", TestServer.SECRET, "--sub", "x", "--quota", "sockets=3");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("unknown key \"sockets\"");
  }
}
