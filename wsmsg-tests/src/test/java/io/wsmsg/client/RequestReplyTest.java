package io.wsmsg.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.f4b6a3.ulid.Ulid;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.wsmsg.testkit.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;

class RequestReplyTest extends ClientTestBase {

  private static Future<Object> sum(Message m) {
    List<?> xs = (List<?>) m.data();
    return Future.succeededFuture((Long) xs.get(0) + (Long) xs.get(1));
  }

  @Test
  void requestGetsTheReply() {
    WsmsgClient server = connect();
    WsmsgClient client = connect();
    await(server.reply("math", "*.request", RequestReplyTest::sum));
    Message r = await(client.request("math", "add.request", List.of(2, 3), Duration.ofSeconds(10)));
    assertThat(r.data()).isEqualTo(5L);
    assertThat(r.channel()).isEqualTo("math");
    assertThat(r.subject()).isEqualTo("add.reply");
    assertThat(r.reference()).isNotNull();
    // default timeout variant, a subject without ".request"
    await(server.reply("math", "mul", m -> Future.succeededFuture("product")));
    Message r2 = await(client.request("math", "mul", List.of(2, 3)));
    assertThat(r2.subject()).isEqualTo("mul.reply");
    assertThat(r2.data()).isEqualTo("product");
  }

  @Test
  void anAnsweredRequestReleasesItsMessageSubscriptionOnTheServer() throws InterruptedException {
    WsmsgClient responder = connect();
    WsmsgClient client = connect();
    await(responder.reply("math", "*.request", RequestReplyTest::sum));
    for (int i = 0; i < 5; i++) {
      assertThat(await(client.request("math", "add.request", List.of(i, 1), Duration.ofSeconds(30))).data())
          .isEqualTo(i + 1L);
    }
    // the requests' subscriptions would otherwise live for their 30 s timeout; commands'
    // confirmation subscriptions expire on their own, so wait for those of the requests only
    var subs = server.server.registry().messageSubscriptions();
    Await.until("the requests' message subscriptions released", () -> countFor(subs, client.endpoint()), n -> n == 0);
  }

  /** Live message subscriptions of an endpoint that last longer than a command confirmation. */
  private static long countFor(io.wsmsg.registry.MessageSubscriptions subs, String endpoint) {
    long soon = System.currentTimeMillis() + 20_000;
    return subs.copy().values().stream()
        .filter(m -> m.containsKey(endpoint) && m.get(endpoint) > soon).count();
  }

  @Test
  void replySubjects() {
    assertThat(WsmsgClient.replySubject("user.get.request")).isEqualTo("user.get.reply");
    assertThat(WsmsgClient.exceptionSubject("user.get.request")).isEqualTo("user.get.exception");
    assertThat(WsmsgClient.replySubject("ping")).isEqualTo("ping.reply");
    assertThat(WsmsgClient.exceptionSubject("ping")).isEqualTo("ping.exception");
  }

  @Test
  void aFailingReplierFailsTheRequestWithItsText() {
    WsmsgClient server = connect();
    WsmsgClient client = connect();
    await(server.reply("math", "div.request", m -> Future.failedFuture(new ArithmeticException("division by zero"))));
    await(server.reply("math", "boom.request", m -> {
      throw new IllegalStateException("thrown, not returned");
    }));
    RemoteException e = (RemoteException) failure(client.request("math", "div.request", List.of(1, 0), Duration.ofSeconds(10)));
    assertThat(e.getMessage()).isEqualTo("division by zero");
    assertThat(e.code()).isEqualTo(WsmsgException.REMOTE);
    assertThat(e.reply().subject()).isEqualTo("div.exception");
    assertThat(e.reply().isException()).isTrue();
    e = (RemoteException) failure(client.request("math", "boom.request", null, Duration.ofSeconds(10)));
    assertThat(e.getMessage()).isEqualTo("thrown, not returned");
  }

  @Test
  void noReplyTimesOut() {
    WsmsgClient client = connect();
    WsmsgException e = (WsmsgException) failure(client.request("void", "x.request", 1, Duration.ofMillis(300)));
    assertThat(e.code()).isEqualTo(WsmsgException.TIMEOUT);
    assertThat(e.getMessage()).contains("x.request");
  }

  @Test
  void aLateReplyIsDroppedQuietly() {
    WsmsgClient server = connect();
    WsmsgClient client = connect();
    await(server.reply("slow", "*.request", m -> {
      Promise<Object> p = Promise.promise();
      vertx.setTimer(800, id -> p.complete("late"));
      return p.future();
    }));
    // the requester also listens to replies on that channel: the late one must not reach it
    LinkedBlockingQueue<Message> seen = new LinkedBlockingQueue<>();
    await(client.consume("slow", "*.reply", seen::offer));
    List<ServerError> errors = new CopyOnWriteArrayList<>();
    client.onError(errors::add);
    WsmsgException e = (WsmsgException) failure(client.request("slow", "q.request", 1, Duration.ofMillis(200)));
    assertThat(e.code()).isEqualTo(WsmsgException.TIMEOUT);
    sleep(1500); // the point: the late reply goes out within this interval and must not arrive
    assertThat(seen).isEmpty();
    assertThat(errors).isEmpty();
    // and the client still works (the late reply was acked: window 1)
    await(client.publish("slow", "other.reply", "x"));
    assertThat(PubSubTest.next(seen).data()).isEqualTo("x");
  }

  @Test
  void requestStreamYieldsEveryReplyUntilExpiry() {
    WsmsgClient a = connect();
    WsmsgClient b = connect();
    WsmsgClient client = connect();
    await(a.reply("census", "count.request", m -> Future.succeededFuture("a")));
    await(b.reply("census", "count.request", m -> Future.succeededFuture("b")));
    await(b.reply("census", "count.request", m -> Future.failedFuture("b failed too")));
    List<Message> replies = new CopyOnWriteArrayList<>();
    int n = await(client.requestStream("census", "count.request", null, Duration.ofSeconds(1), replies::add));
    assertThat(n).isEqualTo(replies.size());
    assertThat(replies).extracting(Message::subject)
        .containsExactlyInAnyOrder("count.reply", "count.reply", "count.exception");
    assertThat(replies).extracting(Message::data).contains("a", "b", "b failed too");
  }

  @Test
  void aServerErrorFailsTheRequestAtOnce() {
    String token = server.token(new JsonObject().put("publish", List.of("open*")).put("endpoints", List.of("*")));
    WsmsgClient client = connect(options().token(token));
    WsmsgException e = (WsmsgException) failure(client.request("closed", "x.request", 1, Duration.ofSeconds(30)));
    assertThat(e.code()).isEqualTo("forbidden");
  }

  @Test
  void repliersDoNotAnswerReplies() {
    WsmsgClient server = connect();
    WsmsgClient client = connect();
    LinkedBlockingQueue<Message> served = new LinkedBlockingQueue<>();
    await(server.reply("loop", "*", m -> {
      served.offer(m);
      return Future.succeededFuture("ok");
    }));
    Message r = await(client.request("loop", "ping", 1, Duration.ofSeconds(10)));
    assertThat(r.subject()).isEqualTo("ping.reply");
    assertThat(PubSubTest.next(served).subject()).isEqualTo("ping");
    PubSubTest.expectNothing(served, 500); // the replier saw its own ping.reply and left it alone
  }

  @Test
  void selfRequestOnOneClient() {
    WsmsgClient c = connect(options().window(2));
    await(c.reply("self", "echo.request", m -> Future.succeededFuture(m.data())));
    Message r = await(c.request("self", "echo.request", "me", Duration.ofSeconds(10)));
    assertThat(r.data()).isEqualTo("me");
    Ulid u = r.reference();
    assertThat(u).isNotNull();
  }

  @Test
  void unsendableReplyBecomesAnException() {
    WsmsgClient server = connect();
    WsmsgClient client = connect();
    await(server.reply("bad", "*", m -> Future.succeededFuture(new Object())));
    RemoteException e = (RemoteException) failure(client.request("bad", "x", 1, Duration.ofSeconds(10)));
    assertThat(e.getMessage()).contains("cannot");
  }
}
