package io.wsmsg.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, items 3 and 8: server-wide limits alone let one token use up every channel,
 * endpoint and subscription for everyone, and make every message test its wildcard patterns.
 * Per-identity quotas (token {@code sub}) stop the hoarder at its own share; others go on.
 */
class IdentityQuotaTest extends ServerTestBase {
  TestServer server;


  private void start(double idleSeconds) {
    server = startServer(new JsonObject()
        .put("limits", new JsonObject().put("errorBurst", 10_000).put("perIdentity", new JsonObject()
            .put("channels", 3).put("endpoints", 3).put("subscriptions", 4).put("messageSubscriptions", 3)
            .put("wildcardSubscriptions", 2)))
        .put("endpoints", new JsonObject().put("idleSeconds", idleSeconds).put("ephemeralGraceSeconds", 0))
        .put("channels", new JsonObject().put("idleSeconds", idleSeconds)));
  }

  private String token(String sub, JsonObject claim) {
    return server.token(sub, claim);
  }

  private TestNode node(String endpoint, String token) {
    return server.node(endpoint, token, WireOrder.SEED);
  }

  /**
   * Sends a command and returns its refusal ("code: text"), or null when it was carried out:
   * a probe command sent right after is answered in order, after the command was applied.
   */
  private static String send(TestNode n, String subject, Object... args) {
    byte[] uid = n.command(subject, args);
    return outcome(n, uid);
  }

  private static String outcome(TestNode n, byte[] uid) {
    byte[] probe = n.command("wsmsg.test.probe");
    while (true) {
      Frame f = n.nextSystem("error");
      List<?> d = (List<?>) TestNode.data(f);
      if (Arrays.equals(f.reference(), uid)) return d.get(0) + ": " + d.get(1);
      if (Arrays.equals(f.reference(), probe)) return null;
    }
  }

  /**
   * The error answering {@code uid}, however late: a publish to a new channel is routed at once
   * and the channel created (and counted) beside it, so a refusal comes after the fact.
   */
  private static String errorFor(TestNode n, byte[] uid) {
    while (true) {
      Frame f = n.nextSystem("error");
      List<?> d = (List<?>) TestNode.data(f);
      if (Arrays.equals(f.reference(), uid)) return d.get(0) + ": " + d.get(1);
    }
  }

  private static void await(String what, long ms, BooleanSupplier cond) {
    Await.until(what, cond, Duration.ofMillis(ms));
  }


  @Test
  void subscriptionAndWildcardQuotasStopTheHoarderOnly() {
    start(300);
    String mallory = token("mallory", null);
    try (TestNode m = node("m0", mallory); TestNode a = node("a0", token("alice", null))) {
      assertThat(send(m, "subscribe.channel", "m0", "a.*", "*")).isNull();
      assertThat(send(m, "subscribe.channel", "m0", "b", "x?")).as("a wildcard subject counts too").isNull();
      assertThat(send(m, "subscribe.channel", "m0", "c.*", "*"))
          .startsWith("limit: ").contains("quota of 2 wildcard subscriptions")
          .contains("limits.perIdentity.wildcardSubscriptions");
      assertThat(send(m, "subscribe.channel", "m0", "d", "*")).as("* alone as subject").isNull();
      assertThat(send(m, "subscribe.channel", "m0", "d", "exact")).isNull();
      // 5 would be one too many; "d, *" counted as wildcard? no: count what was granted
      String fifth = send(m, "subscribe.channel", "m0", "e", "exact");
      assertThat(fifth).startsWith("limit: ").contains("quota of 4 subscriptions");
      // another identity is not affected by mallory's use
      assertThat(send(a, "subscribe.channel", "a0", "x.*", "*")).isNull();
      assertThat(send(a, "subscribe.channel", "a0", "y.*", "*")).isNull();
      // unsubscribing frees the units
      assertThat(send(m, "unsubscribe.channel", "m0", "a.*")).isNull();
      assertThat(send(m, "subscribe.channel", "m0", "c.*", "*")).isNull();
      assertThat(server.server.registry().quotas().used("mallory", io.wsmsg.registry.QuotaBook.SUBSCRIPTIONS))
          .isEqualTo(4);
    }
  }

  @Test
  void endpointQuotaRefusesCommandsAndNewAttachesUntilReclaimFreesIt() {
    start(0.5);
    String mallory = token("mallory", null);
    try (TestNode m = node("m0", mallory)) {
      m.command("subscribe.channel", "m0", "keep", "*"); // keeps m0 from idle reclaim
      assertThat(send(m, "endpoint.create", "m1")).isNull();
      assertThat(send(m, "endpoint.create", "m2")).isNull();
      assertThat(send(m, "endpoint.create", "m3")).startsWith("limit: ").contains("quota of 3 endpoints");
      assertThat(send(m, "subscribe.channel", "m3", "x", "*")).startsWith("limit: ");
      assertThat(server.upgradeStatus("/m4", "Bearer " + mallory)).isEqualTo(429);
      // others still get endpoints
      assertThat(server.upgradeStatus("/a4", "Bearer " + token("alice", null))).isEqualTo(101);
      // the unused endpoints are reclaimed, which gives mallory its units back
      await("m1, m2 reclaimed", 20_000, () -> !server.server.registry().hasEndpoint("m1")
          && !server.server.registry().hasEndpoint("m2"));
      assertThat(send(m, "endpoint.create", "m3")).isNull();
    }
  }

  @Test
  void channelAndMessageSubscriptionQuotas() {
    start(0.5);
    String mallory = token("mallory", null);
    try (TestNode m = node("m0", mallory)) {
      for (int i = 0; i < 3; i++) m.publish("ch." + i, "s", i);
      byte[] fourth = m.publish("ch.3", "s", 3);
      assertThat(errorFor(m, fourth)).startsWith("limit: ").contains("quota of 3 channels");
      // nobody listens: the channels are reclaimed and their units come back
      await("channels reclaimed", 20_000, () -> !server.server.registry().hasChannel("ch.0"));
      await("channel units back", 20_000, () -> server.server.registry().quotas()
          .used("mallory", io.wsmsg.registry.QuotaBook.CHANNELS) == 0);
      assertThat(outcome(m, m.publish("ch.3", "s", 3))).isNull();

      for (int i = 0; i < 3; i++) assertThat(send(m, "subscribe.message", "m0", Ulids.next(), 1)).isNull();
      assertThat(send(m, "subscribe.message", "m0", Ulids.next(), 1))
          .startsWith("limit: ").contains("quota of 3 message subscriptions");
      // they expire after a second: the units come back
      await("expired", 20_000, () -> server.server.registry().quotas()
          .used("mallory", io.wsmsg.registry.QuotaBook.MESSAGE_SUBSCRIPTIONS) == 0);
      assertThat(send(m, "subscribe.message", "m0", Ulids.next(), 60)).isNull();
    }
  }

  @Test
  void aTokenMayCarryItsOwnQuotasAndAdminsAreNotExempt() {
    start(300);
    JsonObject claim = new JsonObject().put("quotas", new JsonObject().put("wildcardSubscriptions", 3)
        .put("subscriptions", 10));
    try (TestNode big = node("b0", token("bulk", claim))) {
      for (String p : List.of("a.*", "b.*", "c.*")) assertThat(send(big, "subscribe.channel", "b0", p, "*")).isNull();
      assertThat(send(big, "subscribe.channel", "b0", "d.*", "*")).contains("quota of 3 wildcard subscriptions");
    }
    try (TestNode admin = server.node("adm")) { // admin token, default quotas
      assertThat(send(admin, "subscribe.channel", "adm", "a.*", "*")).isNull();
      assertThat(send(admin, "subscribe.channel", "adm", "b.*", "*")).isNull();
      assertThat(send(admin, "subscribe.channel", "adm", "c.*", "*")).startsWith("limit: ");
    }
    // a malformed quotas claim is refused at the door
    String bad = token("x", new JsonObject().put("quotas", new JsonObject().put("subscriptions", -1)));
    assertThat(server.upgradeStatus("/x", "Bearer " + bad)).isEqualTo(401);
    String unknown = token("x", new JsonObject().put("quotas", new JsonObject().put("sockets", 1)));
    assertThat(server.upgradeStatus("/x", "Bearer " + unknown)).isEqualTo(401);
  }
}
