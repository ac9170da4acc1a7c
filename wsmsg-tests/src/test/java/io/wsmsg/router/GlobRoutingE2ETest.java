package io.wsmsg.router;

import static io.wsmsg.testkit.E2E.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.metrics.Counters.Drop;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SPEC 4 routing: case-sensitive shell globs on channel and subject, each endpoint at most
 * once per message, no echo suppression. Non-matching messages are proven dropped by waiting
 * for the NO_ROUTE counter (events are routed to a system sink so they do not count).
 */
class GlobRoutingE2ETest extends ServerTestBase {
  TestServer ts;

  @BeforeEach
  void start() {
    ts = startServer();
  }

  @Override
  protected TestNode node(String endpoint) {
    return super.node(endpoint).autoAck(true);
  }

  /** Publishes each (channel, subject); returns the data (an index) of those expected to arrive. */
  private static List<Object> publishAll(TestNode pub, String[][] messages, boolean[] expected) {
    List<Object> want = new ArrayList<>();
    for (int i = 0; i < messages.length; i++) {
      pub.publish(messages[i][0], messages[i][1], i);
      if (expected[i]) want.add((long) i);
    }
    return want;
  }

  private void assertRouted(TestNode sub, TestNode pub, String[][] messages, boolean[] expected) {
    long before = drops(ts, Drop.NO_ROUTE);
    List<Object> want = publishAll(pub, messages, expected);
    List<Object> got = dataOf(nextUnacked(sub, want.size()));
    assertThat(got).as("delivered").containsExactlyInAnyOrderElementsOf(want);
    awaitDrops(ts, Drop.NO_ROUTE, before + messages.length - want.size());
    assertNothing(sub);
  }

  @Test
  void starMatchesDotsAndTheEmptyRun() {
    TestNode sub = node("orders");
    TestNode pub = node("pub");
    sinkSystem(ts, pub);
    subscribe(ts, sub, "orders", "order.*");
    String[][] m = {
      {"order.get.request", "s"}, {"order.", "s"}, {"order.x", "s"}, {"orders.get", "s"}, {"Order.get", "s"},
      {"order", "s"}, {"xorder.get", "s"}};
    boolean[] e = {true, true, true, false, false, false, false};
    assertRouted(sub, pub, m, e);
  }

  @Test
  void characterClassesAndQuestionMark() {
    TestNode sub = node("sensors");
    TestNode pub = node("pub");
    sinkSystem(ts, pub);
    subscribe(ts, sub, "sensors", "sensor.[a-c]");
    subscribe(ts, sub, "sensors", "dev?");
    subscribe(ts, sub, "sensors", "[!x]ray");
    subscribe(ts, sub, "sensors", "tag.[xyz]");
    String[][] m = {
      {"sensor.a", "s"}, {"sensor.c", "s"}, {"sensor.d", "s"}, {"sensor.ab", "s"}, {"sensor.B", "s"},
      {"dev1", "s"}, {"dev", "s"}, {"dev12", "s"},
      {"bray", "s"}, {"xray", "s"}, {"ray", "s"},
      {"tag.y", "s"}, {"tag.w", "s"}};
    boolean[] e = {true, true, false, false, false, true, false, false, true, false, false, true, false};
    assertRouted(sub, pub, m, e);
  }

  @Test
  void subjectFilters() {
    TestNode sub = node("users");
    TestNode pub = node("pub");
    sinkSystem(ts, pub);
    subscribe(ts, sub, "users", "events", "user.*");
    subscribe(ts, sub, "users", "audit", "[!d]?");
    subscribe(ts, sub, "users", "log.*", "");
    String[][] m = {
      {"events", "user.created"}, {"events", "user."}, {"events", "order.created"}, {"events", "User.created"},
      {"audit", "ok"}, {"audit", "do"}, {"audit", "okay"},
      {"log.x", ""}, {"log.x", "info"}};
    boolean[] e = {true, true, false, false, true, false, false, true, false};
    assertRouted(sub, pub, m, e);
  }

  @Test
  void omittedSubjectPatternMatchesEverySubject() {
    TestNode sub = node("any");
    TestNode pub = node("pub");
    sub.command("subscribe.channel", "any", "feed");
    awaitSubscribed(ts, "any", "feed");
    assertThat(ts.server.registry().subscriptions().of("any").get(0).subject().pattern()).isEqualTo("*");
    pub.publish("feed", "", 1);
    pub.publish("feed", "anything.at.all", 2);
    assertThat(dataOf(nextUnacked(sub, 2))).containsExactly(1L, 2L);
  }

  @Test
  void subjectFiltersOfOneChannelPatternAddUp() {
    TestNode sub = node("mixed");
    TestNode pub = node("pub");
    sinkSystem(ts, pub);
    subscribe(ts, sub, "mixed", "orders.*", "new");
    sub.command("subscribe.channel", "mixed", "orders.*", "paid");
    until("two subscriptions", () -> ts.server.registry().subscriptions().of("mixed").size() == 2);
    String[][] m = {{"orders.eu", "new"}, {"orders.eu", "paid"}, {"orders.eu", "shipped"}};
    boolean[] e = {true, true, false};
    assertRouted(sub, pub, m, e);
  }

  @Test
  void oncePerEndpointWhenTwoSubscriptionsMatch() {
    TestNode sub = node("both");
    TestNode pub = node("pub");
    subscribe(ts, sub, "both", "a.*");
    subscribe(ts, sub, "both", "*.b", "hello");
    subscribe(ts, sub, "both", "a.b", "h*");
    pub.publish("a.b", "hello", 1);
    pub.publish("a.b", "hello", 2); // same channel, so it comes after a duplicate of 1 would
    assertThat(dataOf(nextUnacked(sub, 2))).containsExactly(1L, 2L);
    assertNothing(sub);
  }

  @Test
  void oncePerEndpointWhenChannelAndMessageSubscriptionsBothMatch() {
    TestNode sub = node("rpc");
    TestNode pub = node("pub");
    subscribe(ts, sub, "rpc", "replies");
    byte[] request = Ulids.next();
    sub.command("subscribe.message", "rpc", request);
    until("message subscription", () ->
        ts.server.registry().messageSubscriptions().endpointsFor(request, System.currentTimeMillis()).length == 1);
    pub.publish("replies", "r", 1, request);
    pub.publish("replies", "r", 2, request);
    List<Frame> got = nextUnacked(sub, 2);
    assertThat(dataOf(got)).containsExactly(1L, 2L);
    assertThat(got).allSatisfy(f -> assertThat(f.reference()).isEqualTo(request));
    assertNothing(sub);
  }

  @Test
  void unsubscribeRemovesTheSubscriptionsWhoseChannelPatternMatches() {
    TestNode sub = node("u");
    TestNode pub = node("pub");
    sinkSystem(ts, pub);
    subscribe(ts, sub, "u", "orders.*", "new");
    subscribe(ts, sub, "u", "orders.*", "paid");
    subscribe(ts, sub, "u", "orders.eu");
    subscribe(ts, sub, "u", "invoices");
    sub.command("unsubscribe.channel", "u", "orders.*");
    until("orders subscriptions gone", () -> ts.server.registry().subscriptions().of("u").size() == 1);
    assertThat(ts.server.registry().subscriptions().of("u").get(0).channel().pattern()).isEqualTo("invoices");
    String[][] m = {{"orders.eu", "new"}, {"orders.us", "paid"}, {"invoices", "x"}};
    boolean[] e = {false, false, true};
    assertRouted(sub, pub, m, e);
  }

  @Test
  void unsubscribeMessageStopsReplies() {
    TestNode sub = node("rpc");
    TestNode pub = node("pub");
    sinkSystem(ts, pub);
    byte[] request = Ulids.next();
    sub.command("subscribe.message", "rpc", request, 60);
    until("message subscription", () -> ts.server.registry().messageSubscriptions().size() == 1);
    byte[] reply = pub.publish("replies", "r", 1, request);
    assertThat(nextUnacked(sub).uid()).isEqualTo(reply);
    sub.command("unsubscribe.message", "rpc", request);
    until("message subscription gone", () -> ts.server.registry().messageSubscriptions().size() == 0);
    long before = drops(ts, Drop.NO_ROUTE);
    pub.publish("replies", "r", 2, request);
    awaitDrops(ts, Drop.NO_ROUTE, before + 1);
    assertNothing(sub);
  }

  @Test
  void noEchoSuppression() {
    TestNode chatter = node("chat-1");
    TestNode other = node("chat-2");
    subscribe(ts, chatter, "chat-1", "chat");
    subscribe(ts, other, "chat-2", "chat");
    byte[] uid = chatter.publish("chat", "say", "hi all");
    Frame own = nextUnacked(chatter);
    assertThat(own.uid()).as("the publisher's own endpoint receives its message").isEqualTo(uid);
    assertThat(nextUnacked(other).uid()).isEqualTo(uid);
  }

  @Test
  void nodesOfThePublishersEndpointShareItsOwnMessages() {
    TestNode a = node("team");
    TestNode b = node("team");
    awaitConnections(ts, 2);
    subscribe(ts, a, "team", "team.news");
    for (int i = 0; i < 4; i++) a.publish("team.news", "n", i);
    List<Object> got = new ArrayList<>();
    until("four messages over the two nodes", () -> {
      for (TestNode n : List.of(a, b)) {
        Frame f = n.poll(5);
        if (f != null) got.add(data(f));
      }
      return got.size() >= 4;
    });
    assertThat(got).containsExactlyInAnyOrder(0L, 1L, 2L, 3L);
    assertNothing(a);
    assertNothing(b);
  }
}
