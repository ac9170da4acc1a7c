package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.cli.Cli.Background;
import io.wsmsg.cli.Cli.Result;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestServer;
import org.junit.jupiter.api.Test;

/**
 * A long-running sub or reply whose token dies under it (a dev server restarted with a new
 * secret) says so and exits 3 instead of retrying silently for ever.
 */
class DeadTokenCommandTest extends ServerTestBase {
  static final String OTHER_SECRET = "another-secret-of-at-least-32-bytes-long!!";
  TestServer server;


  void restartWithANewSecret(Background running) {
    int port = server.port();
    server.close();
    server = null;
    running.awaitErr(s -> s.contains("the connection was lost; reconnecting"));
    // while the server is down, the failed attempts are said (once per reason), not hidden
    running.awaitErr(s -> s.contains("reconnecting failed: ") && s.contains("; still trying"));
    server = startServerOnPort(port, new JsonObject().put("auth", new JsonObject().put("hs256Secret", OTHER_SECRET)));
  }

  @Test
  void subExits3WithTheServersReasonWhenTheRestartedServerRefusesItsToken() {
    server = startServer();
    Background sub = new Background(Cli.client(server, server.adminToken(), "sub", "anything")).awaitListening();
    restartWithANewSecret(sub);
    Result r = sub.join();
    assertThat(r.code()).as(r.toString()).isEqualTo(3);
    String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
    assertThat(last).startsWith("wsmsg sub: stopped: reconnecting, ws://127.0.0.1:")
        .contains("refused the connection with HTTP 401: ")
        .contains("the token from --token is not accepted any more")
        .contains("restarted with a new secret");
  }

  @Test
  void replyExits3Too() {
    server = startServer();
    Background reply = new Background(Cli.client(server, server.adminToken(), "reply", "calc", "*.request", "--echo"))
        .awaitListening();
    restartWithANewSecret(reply);
    Result r = reply.join();
    assertThat(r.code()).as(r.toString()).isEqualTo(3);
    assertThat(r.err()).contains("wsmsg reply: stopped: reconnecting, ").contains("HTTP 401");
  }
}
