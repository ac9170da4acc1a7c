package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hostile or unlucky input found in review: each gets a clear answer, nothing hangs. */
class HardeningTest extends ServerTestBase {
  TestServer ts;


  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aTokenWithControlCharactersIsRefusedWith401InsteadOfHanging() {
    ts = startServer();
    String token = b64("{\"alg\":\"HS256\\r\\nX-Injected: 1\",\"typ\":\"JWT\"}") + "." + b64("{\"sub\":\"x\"}") + ".c2ln";
    assertThat(ts.upgradeStatus("/ep", "Bearer " + token)).isEqualTo(401);
    // and the server still serves others
    try (TestNode n = ts.node("ep")) {
      n.command("subscribe.channel", "ep", "c");
      n.sync("ep");
      n.publish("c", "s", 1);
      assertThat(n.nextMessage().subject()).isEqualTo("s");
    }
  }

  @Test
  void aConnectionLastsAsLongAsItsTokenIsAcceptedIncludingTheLeeway() {
    ts = startServer(new JsonObject().put("auth", new JsonObject().put("leewaySeconds", 60)));
    long now = System.currentTimeMillis() / 1000;
    // signed by hand: exp 10 s in the past, inside the 60 s leeway
    String token = io.wsmsg.auth.TokenSignerTestAccess.signWithExp(ts.vertx, TestServer.SECRET, "late", now - 10);
    try (TestNode n = ts.node("ep", token, null)) {
      n.expectNothing(1500);
      assertThat(n.isClosed()).as("not closed with 4001 right after the upgrade").isFalse();
    }
  }

  @Test
  void oversizedCommandDataIsRefusedWithoutDecodingIt() {
    ts = startServer();
    try (TestNode n = ts.node("ep")) {
      byte[] uid = n.command("endpoint.create", "x".repeat(70_000));
      Frame err = n.nextSystem("error");
      assertThat(err.reference()).isEqualTo(uid);
      List<?> data = (List<?>) TestNode.data(err);
      assertThat(data.get(0)).isEqualTo("bad_arguments");
      assertThat((String) data.get(1)).contains("at most");
    }
  }
}
