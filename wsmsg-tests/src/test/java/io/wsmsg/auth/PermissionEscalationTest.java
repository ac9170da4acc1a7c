package io.wsmsg.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 9 item 7: a token gets no more than its claim. Subscribe patterns wider than the
 * grant (read as names, not as the literal pattern string) are refused, and a claim that
 * names some keys gets nothing for the others, except its own endpoints ({@code <sub>},
 * {@code <sub>~...}).
 */
class PermissionEscalationTest extends ServerTestBase {
  TestServer server;

  @BeforeEach
  void start() {
    server = startServer();
  }


  private String token(String sub, JsonObject claim) {
    return server.token(sub, claim);
  }

  private static JsonObject claim(List<String> endpoints, List<String> publish, List<String> subscribe) {
    return new JsonObject().put("endpoints", new JsonArray(endpoints)).put("publish", new JsonArray(publish))
        .put("subscribe", new JsonArray(subscribe));
  }

  /** The code of the error that answers {@code uid}, or null when the command was accepted. */
  private static String outcome(TestNode n, String endpoint, byte[] uid) {
    // a probe after the command: its own error notice comes back once the command was handled
    byte[] probe = n.command("subscribe.channel", endpoint, "");
    while (true) {
      Frame f = n.nextSystem("error");
      List<?> data = (List<?>) TestNode.data(f);
      if (Arrays.equals(f.reference(), uid)) return (String) data.get(0);
      if (Arrays.equals(f.reference(), probe)) return null;
    }
  }

  private String subscribe(TestNode n, String endpoint, String pattern) {
    return outcome(n, endpoint, n.command("subscribe.channel", endpoint, pattern));
  }

  @Test
  void aQuestionMarkGrantDoesNotAdmitStar() {
    try (TestNode n = server.node("q", token("q", claim(List.of("q"), List.of(), List.of("orders.?"))),
        WireOrder.SEED).autoAck(true)) {
      assertThat(subscribe(n, "q", "orders.*")).as("orders.* matches orders.eu").isEqualTo("forbidden");
      assertThat(subscribe(n, "q", "orders.??")).isEqualTo("forbidden");
      assertThat(subscribe(n, "q", "orders.[!x]")).as("one character: within orders.?").isNull();
      assertThat(subscribe(n, "q", "orders.x")).isNull();
      assertThat(server.server.registry().subscriptions().of("q"))
          .extracting(s -> s.channel().pattern()).containsExactlyInAnyOrder("orders.[!x]", "orders.x");
    }
  }

  @Test
  void aNegatedClassGrantDoesNotAdmitStarNorSystem() {
    try (TestNode n = server.node("n", token("n", claim(List.of("n"), List.of(), List.of("[!x]*"))),
        WireOrder.SEED).autoAck(true)) {
      assertThat(subscribe(n, "n", "*")).isEqualTo("forbidden");
      assertThat(subscribe(n, "n", "system")).isEqualTo("forbidden");
      assertThat(subscribe(n, "n", "s*")).isEqualTo("forbidden");
      assertThat(subscribe(n, "n", "a*")).isNull();
      assertThat(server.server.registry().subscriptions().of("n"))
          .extracting(s -> s.channel().pattern()).containsExactly("a*");
    }
  }

  @Test
  void aClaimNamingOnlyPublishGetsNoEndpointsNorSubscriptionsButItsOwn() {
    // what `wsmsg token --sub narrow --publish x` signs
    String t = token("narrow", new JsonObject().put("publish", new JsonArray().add("x")));
    assertThat(server.upgradeStatus("/elsewhere", "Bearer " + t)).as("another endpoint").isEqualTo(403);
    assertThat(server.upgradeStatus("/narrowly", "Bearer " + t)).as("not its own: no separator").isEqualTo(403);
    // nor the bare sub: a shared endpoint may carry that name
    assertThat(server.upgradeStatus("/narrow", "Bearer " + t)).as("the bare sub").isEqualTo(403);
    try (TestNode own = server.node("narrow~own", t, WireOrder.SEED).autoAck(true);
        TestNode sub = server.node("narrow~cli-1", t, WireOrder.SEED).autoAck(true)) {
      assertThat(subscribe(own, "narrow~own", "x")).as("no subscribe key: nothing").isEqualTo("forbidden");
      assertThat(outcome(own, "narrow~own", own.command("subscribe.channel", "victim", "x")))
          .as("acting on another endpoint").isEqualTo("forbidden");
      assertThat(outcome(own, "narrow~own", own.command("channel.size", "x", 5))).as("not admin").isEqualTo("forbidden");
      byte[] bad = own.publish("y", "s", 1);
      assertThat(outcome(own, "narrow~own", bad)).isEqualTo("forbidden");
      byte[] ok = own.publish("x", "s", 1);
      assertThat(outcome(own, "narrow~own", ok)).as("publish x is granted").isNull();
      assertThat(outcome(sub, "narrow~cli-1", sub.command("subscribe.message", "narrow~own", new byte[] {1}, 5)))
          .as("acting on its own endpoint").isNull();
    }
    assertThat(server.server.registry().subscriptions().of("narrow~own")).isEmpty();
  }

  @Test
  void theJavaClientOfANarrowTokenAttachesToAnEndpointOfItsOwn() {
    String t = token("narrow2", new JsonObject().put("publish", new JsonArray().add("x")));
    io.wsmsg.client.WsmsgClient c = TestNode.await(io.wsmsg.client.WsmsgClient.connect(server.vertx,
        new io.wsmsg.client.ClientOptions().url("ws://127.0.0.1:" + server.port() + "/").token(t)));
    try {
      assertThat(c.endpoint()).startsWith("narrow2~client-");
      TestNode.await(c.publish("x", "s", 1));
      TestNode.await(c.sync()); // endpoint.create on its own endpoint: allowed, and any refusal came first
    } finally {
      TestNode.await(c.close());
    }
  }

  @Test
  void aSubjectWithTheSeparatorOwnsNothing() {
    // "narrow~x" would otherwise own what "narrow" owns
    String t = token("narrow~x", new JsonObject().put("publish", new JsonArray().add("x")));
    assertThat(server.upgradeStatus("/narrow~x", "Bearer " + t)).isEqualTo(403);
  }
}
