package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.cli.Cli.Background;
import io.wsmsg.cli.Cli.Result;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestCerts;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CLI over wss:// and https:// against a real TLS server: --ca, its absence, --insecure, bench. */
class TlsCommandTest extends ServerTestBase {
  TestServer server;
  String admin;
  String ca;

  @BeforeEach
  void start() {
    server = startTlsServer(null);
    admin = server.adminToken();
    ca = TestCerts.ca().toString();
  }

  /** {@code command --url wss://... --token admin args...}. */
  String[] cli(String command, String... args) {
    List<String> a = new ArrayList<>(List.of(command, "--url", server.url(), "--token", admin));
    a.addAll(Arrays.asList(args));
    return a.toArray(String[]::new);
  }

  static String fresh(String prefix) {
    return CliServerTestBase.fresh(prefix);
  }

  @Test
  void pubAndSubOverWssWithCa() {
    String ch = fresh("tls-news");
    Background sub = new Background(cli("sub", ch, "--count", "1", "--ca", ca)).awaitListening();
    Result p = Cli.run(cli("pub", ch, "hello", "\"over tls\"", "--ca", ca));
    assertThat(p.code()).as(p.toString()).isZero();
    Result s = sub.join();
    assertThat(s.code()).as(s.toString()).isZero();
    assertThat(s.lines()).singleElement().asString().contains(" " + ch + " hello ").endsWith(" \"over tls\"");
  }

  @Test
  void reqAndReplyOverWssWithCa() {
    String ch = fresh("tls-echo");
    Background reply = new Background(cli("reply", ch, "*.request", "--echo", "--count", "1", "--ca", ca))
        .awaitListening();
    Result r = Cli.run(cli("req", ch, "ping.request", "[1, 2]", "--timeout", "20s", "--ca", ca));
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out().strip()).isEqualTo("[1,2]");
    assertThat(reply.join().code()).isZero();
  }

  @Test
  void withoutCaTheCertificateIsNotTrustedAndTheExitIsNonZero() {
    Result p = Cli.run(cli("pub", fresh("tls-no-ca"), "x"));
    assertThat(p.code()).as(p.toString()).isEqualTo(Exit.CONNECT);
    assertThat(p.err()).startsWith("wsmsg pub: cannot connect: ")
        .contains("certificate was not trusted").contains("--ca FILE");
  }

  @Test
  void insecureConnectsAndWarnsOnStderr() {
    Result p = Cli.run(cli("pub", fresh("tls-insecure"), "x", "--insecure"));
    assertThat(p.code()).as(p.toString()).isZero();
    assertThat(p.err()).contains("warning: --insecure").contains("development only");
    assertThat(p.err().lines().count()).isEqualTo(1);
  }

  @Test
  void aMissingCaFileIsAUsageError() {
    Result p = Cli.run(cli("pub", fresh("tls-bad"), "x", "--ca", "/nonexistent/ca.pem"));
    assertThat(p.code()).as(p.toString()).isEqualTo(2);
    assertThat(p.err()).contains("--ca /nonexistent/ca.pem: no such file");
  }

  @Test
  void statusTalksHttpsToTheManagementPort() {
    String url = server.managementUrl();
    assertThat(url).startsWith("https://");
    Result ok = Cli.run("status", "--management-url", url, "--token", admin, "--ca", ca, "--json");
    assertThat(ok.code()).as(ok.toString()).isZero();
    assertThat(new JsonObject(ok.out()).getMap()).isNotEmpty();
    Result noCa = Cli.run("endpoints", "--management-url", url, "--token", admin);
    assertThat(noCa.code()).as(noCa.toString()).isEqualTo(Exit.CONNECT);
    assertThat(noCa.err()).contains("not trusted").contains("--ca");
    Result wrongScheme = Cli.run("status", "--management-url", url.replace("https://", "http://"), "--token", admin);
    assertThat(wrongScheme.code()).as(wrongScheme.toString()).isEqualTo(Exit.CONNECT);
    assertThat(wrongScheme.err()).contains("if the management port uses TLS, give --management-url https://");
    Result insecure = Cli.run("channels", "--management-url", url, "--token", admin, "--insecure");
    assertThat(insecure.code()).as(insecure.toString()).isZero();
    assertThat(insecure.err()).contains("warning: --insecure");
  }

  @Test
  void theServerBannerPrintsWssHttpsAndHowToConnectWithCa(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.util.Map<String, String> env = java.util.Map.of("WSMSG_HOST", "127.0.0.1", "WSMSG_JWT_SECRET", TestServer.SECRET,
        "WSMSG_TLS_CERT", TestCerts.serverCert().toString(), "WSMSG_TLS_KEY", TestCerts.serverKey().toString());
    try (ServerProcess p = ServerProcess.start(dir, env, "--port", "0", "--management-port", "0", "--data-dir",
        dir.resolve("data").toString()).awaitListening()) {
      String out = p.output();
      assertThat(out).containsPattern("wsmsg is listening on wss://127\\.0\\.0\\.1:\\d+/<endpoint>")
          .containsPattern("management: https://127\\.0\\.0\\.1:\\d+/status")
          .contains("--ca CA.pem").contains("wsmsg status --management-url https://")
          .contains("TLS: CN=wsmsg server");
    }
  }

  @Test
  void aMissingCertificateFileStopsTheServerWithOneSentence(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.util.Map<String, String> env = java.util.Map.of("WSMSG_HOST", "127.0.0.1", "WSMSG_JWT_SECRET", TestServer.SECRET,
        "WSMSG_TLS_CERT", dir.resolve("missing.pem").toString(), "WSMSG_TLS_KEY", TestCerts.serverKey().toString());
    try (ServerProcess p = ServerProcess.start(dir, env, "--port", "0", "--management-port", "0", "--data-dir",
        dir.resolve("data").toString())) {
      assertThat(p.awaitExit()).as(p.output()).isEqualTo(1);
      assertThat(p.output()).contains("cannot use the TLS certificate: tls.cert " + dir.resolve("missing.pem")
          + ": no such file").doesNotContain("\tat ").doesNotContain("wsmsg is listening");
    }
  }

  @Test
  void benchLoadsTheServerOverWss() {
    for (String driver : List.of("client", "raw")) {
      Result r = Cli.run("bench", "rpc", "--url", server.url(), "--token", admin, "--ca", ca, "--driver", driver,
          "--json", "--duration", "1s", "--warmup", "300ms", "--drain", "3s", "--progress", "none");
      assertThat(r.code()).as(r.toString()).isZero();
      JsonObject j = new JsonObject(r.out().strip());
      assertThat(j.getLong("received")).as(driver).isPositive();
    }
    Result refused = Cli.run("bench", "rpc", "--url", server.url(), "--token", admin, "--driver", "raw",
        "--duration", "1s", "--warmup", "0s", "--progress", "none");
    assertThat(refused.code()).as(refused.toString()).isNotZero();
    assertThat(refused.err()).contains("not trusted");
  }
}
