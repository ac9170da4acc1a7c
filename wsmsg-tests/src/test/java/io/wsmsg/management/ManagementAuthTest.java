package io.wsmsg.management;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.wsmsg.auth.Permissions;
import io.wsmsg.auth.TokenSigner;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestServer;
import io.wsmsg.testkit.TestServer.HttpReply;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Who may read what on the management port, over real HTTP with real JWTs signed with the
 * server's secret (and with others): probes open, 401 with WWW-Authenticate and the reason,
 * 403 for a token without admin, the scrape token for /metrics and /status only,
 * management.openMetrics, auth mode none, and every refusal counted.
 */
class ManagementAuthTest extends ServerTestBase {
  static final String SCRAPE = "scrape-token-0123456789abcdef";
  static final List<String> GUARDED = List.of("/status", "/metrics", "/v1/status", "/v1/endpoints", "/v1/channels");

  TestServer ts;


  private String nonAdmin() {
    return ts.token("alice", Permissions.ALL.toJson().put("admin", false));
  }

  private static void assertRefused(HttpReply r, int status, String reason, String why) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    assertThat(r.json().getString("reason")).isEqualTo(reason);
    assertThat(r.json().getString("error")).contains(why);
  }

  @Test
  void probesAreOpenAndEverythingElseNeedsAnAdminToken() {
    ts = startServer();
    assertThat(ts.management("/health", null).status()).isEqualTo(200);
    assertThat(ts.management("/ready", null).status()).isEqualTo(200);
    for (String path : GUARDED) {
      HttpReply none = ts.management(path, null);
      assertRefused(none, 401, "no_token", "no token");
      assertThat(none.header("WWW-Authenticate")).as(path).isEqualTo("Bearer realm=\"wsmsg\"");
      assertThat(none.body()).as(path + " reveals no names").doesNotContain("endpoints\"");

      String otherSecret = new TokenSigner(ts.vertx, "another-secret-of-at-least-32-bytes!!")
          .sign("mallory", Permissions.ALL.toJson(), 3600);
      HttpReply forged = ts.management(path, "Bearer " + otherSecret);
      assertRefused(forged, 401, "bad_signature", "signature is not valid");
      assertThat(forged.header("WWW-Authenticate")).startsWith("Bearer realm=\"wsmsg\"").contains("invalid_token");

      assertRefused(ts.management(path, "Bearer not-a-jwt"), 401, "invalid_token", "malformed");

      HttpReply notAdmin = ts.management(path, "Bearer " + nonAdmin());
      assertRefused(notAdmin, 403, "not_admin", "alice is not an admin token");

      HttpReply admin = ts.management(path);
      assertThat(admin.status()).as(path + ": " + admin.body()).isEqualTo(200);
    }
  }

  @Test
  void anExpiredTokenIsRefusedAsExpired() {
    ts = startServer();
    JWTAuth signer = JWTAuth.create(ts.vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestServer.SECRET)));
    long now = System.currentTimeMillis() / 1000;
    String expired = signer.generateToken(new JsonObject().put("sub", "ops").put("iat", now - 120).put("exp", now - 60)
        .put("wsmsg", Permissions.ALL.toJson()), new JWTOptions().setAlgorithm("HS256").setNoTimestamp(true));
    HttpReply r = ts.management("/status", "Bearer " + expired);
    assertRefused(r, 401, "expired", "expired");
    assertThat(r.header("WWW-Authenticate")).startsWith("Bearer realm=\"wsmsg\"");
  }

  @Test
  void theScrapeTokenReadsMetricsAndStatusButNoAdminRoute() {
    ts = startServer(new JsonObject().put("management", new JsonObject().put("scrapeToken", SCRAPE)));
    assertThat(ts.management("/metrics", "Bearer " + SCRAPE).body()).contains("wsmsg_messages_in_total");
    assertThat(ts.management("/status", "Bearer " + SCRAPE).json().getJsonObject("node")).isNotNull();
    for (String path : List.of("/v1/status", "/v1/endpoints", "/v1/channels")) {
      assertRefused(ts.management(path, "Bearer " + SCRAPE), 403, "not_admin", "scrape token reads /metrics and /status only");
    }
    // one character off, or a prefix: not the scrape token, and not a JWT either
    assertRefused(ts.management("/metrics", "Bearer " + SCRAPE.substring(0, SCRAPE.length() - 1) + "X"), 401,
        "invalid_token", "neither the scrape token");
    assertRefused(ts.management("/metrics", "Bearer " + SCRAPE.substring(0, 16)), 401, "invalid_token",
        "neither the scrape token");
    // the admin token still reads everything
    assertThat(ts.management("/v1/status").status()).isEqualTo(200);
  }

  @Test
  void openMetricsLeavesOnlyMetricsOpen() {
    ts = startServer(new JsonObject().put("management", new JsonObject().put("openMetrics", true)));
    HttpReply metrics = ts.management("/metrics", null);
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).contains("wsmsg_management_refused_total");
    assertRefused(ts.management("/status", null), 401, "no_token", "no token");
    assertRefused(ts.management("/v1/endpoints", null), 401, "no_token", "no token");
  }

  @Test
  void everyRefusalIsCountedByReason() {
    ts = startServer();
    ts.management("/status", null);
    ts.management("/metrics", null);
    ts.management("/v1/channels", "Bearer " + nonAdmin());
    ts.management("/status", "Bearer x.y.z");
    ts.management("/health", null); // open: not a refusal
    String metrics = ts.management("/metrics").body();
    assertThat(metrics).contains("wsmsg_management_refused_total{reason=\"no_token\"} 2.0")
        .contains("wsmsg_management_refused_total{reason=\"not_admin\"} 1.0")
        .contains("wsmsg_management_refused_total{reason=\"invalid_token\"} 1.0")
        .contains("wsmsg_management_refused_total{reason=\"expired\"} 0.0")
        .contains("wsmsg_management_refused_total{reason=\"bad_signature\"} 0.0");
  }

  @Test
  void refusalsAreLoggedOncePerReasonAndIntervalWithoutTheToken() {
    ts = startServer();
    java.util.List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler capture = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        if (r.getMessage() != null && r.getMessage().startsWith("management port: refused")) records.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    java.util.logging.Logger log = java.util.logging.Logger.getLogger(ManagementVerticle.class.getName());
    log.addHandler(capture);
    try {
      String forged = new TokenSigner(ts.vertx, "another-secret-of-at-least-32-bytes!!").sign("mallory", null, 3600);
      for (int i = 0; i < 3; i++) ts.management("/status", "Bearer " + forged);
      ts.management("/v1/endpoints", "Bearer " + nonAdmin());
      assertThat(records).extracting(java.util.logging.LogRecord::getMessage).as("one line per reason in 10 s")
          .containsExactly("management port: refused GET /status from 127.0.0.1 (401): the token signature is not valid",
              "management port: refused GET /v1/endpoints from 127.0.0.1 (403): the token of alice is not an admin"
                  + " token (it needs admin: true, e.g. wsmsg token --sub NAME --admin)");
      assertThat(records).noneMatch(r -> r.getMessage().contains(forged));
    } finally {
      log.removeHandler(capture);
    }
  }

  @Test
  void authModeNoneGivesTheDefaultPermissionsAndNeedsAdminThereToo() {
    ts = startServer(new JsonObject().put("auth", new JsonObject().put("mode", "none")));
    HttpReply r = ts.management("/status", null);
    assertRefused(r, 403, "not_admin", "auth.defaultPermissions");
    // any token is ignored in mode none, as on the WebSocket port
    assertThat(ts.management("/status").status()).isEqualTo(403);
    assertThat(ts.management("/health", null).status()).isEqualTo(200);
    ts.close();

    ts = startServer(new JsonObject().put("auth", new JsonObject().put("mode", "none")
        .put("defaultPermissions", Permissions.ALL.toJson())));
    for (String path : GUARDED) assertThat(ts.management(path, null).status()).as(path).isEqualTo(200);
  }

  @Test
  void aShortScrapeTokenIsRefusedAndTheEnvironmentSetsBoth() throws Exception {
    assertThatThrownBy(() -> ServerConfig.of(new JsonObject().put("management",
        new JsonObject().put("scrapeToken", "too-short-123"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 16");
    assertThatThrownBy(() -> ServerConfig.of(new JsonObject().put("management",
        new JsonObject().put("scrapeToken", "sixteen chars with spaces"))))
        .hasMessageContaining("without spaces");
    assertThat(ServerConfig.of(new JsonObject().put("management", new JsonObject().put("scrapeToken", SCRAPE)))
        .scrapeToken).isEqualTo(SCRAPE);
    ServerConfig fromEnv = ServerConfig.load(null,
        java.util.Map.of("WSMSG_SCRAPE_TOKEN", SCRAPE, "WSMSG_MANAGEMENT_OPEN_METRICS", "true"));
    assertThat(fromEnv.scrapeToken).isEqualTo(SCRAPE);
    assertThat(fromEnv.openMetrics).isTrue();
  }
}
