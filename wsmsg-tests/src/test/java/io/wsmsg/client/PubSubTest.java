package io.wsmsg.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.f4b6a3.ulid.Ulid;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PubSubTest extends ClientTestBase {

  static Message next(LinkedBlockingQueue<Message> q) {
    try {
      Message m = q.poll(WAIT_MS, TimeUnit.MILLISECONDS);
      if (m == null) throw new AssertionError("no message within " + WAIT_MS + " ms");
      return m;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  static void expectNothing(LinkedBlockingQueue<Message> q, long ms) {
    try {
      Message m = q.poll(ms, TimeUnit.MILLISECONDS);
      if (m != null) throw new AssertionError("expected nothing, got " + m);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void connectsAndReportsState() {
    List<ConnectionState> states = new CopyOnWriteArrayList<>();
    ClientOptions o = options().endpoint("named endpoint/ü");
    WsmsgClient c = connect(o);
    c.onStateChange(states::add);
    assertThat(c.state()).isEqualTo(ConnectionState.CONNECTED);
    assertThat(c.endpoint()).isEqualTo("named endpoint/ü");
    WsmsgClient d = connect();
    assertThat(d.endpoint()).as("the token's sub owns <sub>~...").startsWith("test~client-");
    await(c.close());
    assertThat(c.state()).isEqualTo(ConnectionState.CLOSED);
    assertThat(states).containsExactly(ConnectionState.CLOSED);
    Throwable t = failure(c.publish("x", "y", 1));
    assertThat(((WsmsgException) t).code()).isEqualTo(WsmsgException.CLOSED);
  }

  @Test
  void publishedValuesArriveWithTheirHeader() {
    WsmsgClient sub = connect();
    WsmsgClient pub = connect();
    LinkedBlockingQueue<Message> got = new LinkedBlockingQueue<>();
    await(sub.consume("orders", "*", got::offer));

    Map<String, Object> map = new LinkedHashMap<>();
    map.put("id", 42);
    map.put("tags", List.of("a", "b"));
    List<Object> values = new ArrayList<>(java.util.Arrays.asList(null, true, -7, 3.5, "text", new byte[] {1, 2}, List.of(1, 2), map));
    List<Ulid> uids = new ArrayList<>();
    for (Object v : values) uids.add(await(pub.publish("orders", "order.new", v)));
    Ulid ref = uids.get(0);
    Ulid withRef = await(pub.publish("orders", "order.ref", "r", ref));
    Ulid raw = await(pub.publish("orders", "order.raw", new MsgPack.Raw(MsgPack.pack(List.of("pre", "encoded")))));

    for (int i = 0; i < values.size(); i++) {
      Message m = next(got);
      assertThat(m.uid()).isEqualTo(uids.get(i));
      assertThat(m.channel()).isEqualTo("orders");
      assertThat(m.subject()).isEqualTo("order.new");
      assertThat(m.reference()).isNull();
      assertThat(m.rawData()).isEqualTo(MsgPack.pack(values.get(i)));
    }
    Message r = next(got);
    assertThat(r.uid()).isEqualTo(withRef);
    assertThat(r.reference()).isEqualTo(ref);
    assertThat(r.data()).isEqualTo("r");
    Message rw = next(got);
    assertThat(rw.uid()).isEqualTo(raw);
    assertThat(rw.data()).isEqualTo(List.of("pre", "encoded"));
    assertThat(rw.toString()).isEqualTo("Message(uid=" + raw + ", channel='orders', subject='order.raw', reference=None,"
        + " data=['pre', 'encoded'])");
  }

  @Test
  void mapsDecodeAndConvert() {
    WsmsgClient c = connect();
    LinkedBlockingQueue<Message> got = new LinkedBlockingQueue<>();
    await(c.consume("conv", "*", got::offer));
    await(c.publish("conv", "m", Map.of("n", 5)));
    await(c.publish("conv", "n", 7));
    Message m = next(got);
    assertThat(m.dataAs(JsonObject.class)).isEqualTo(new JsonObject().put("n", 5L));
    assertThat(m.toString()).endsWith("data={'n': 5})");
    assertThat(next(got).dataAs(Integer.class)).isEqualTo(7);
  }

  @Test
  void unserializableDataFailsThePublish() {
    WsmsgClient c = connect();
    WsmsgException e = (WsmsgException) failure(c.publish("x", "y", new Object()));
    assertThat(e.code()).isEqualTo(WsmsgException.INVALID);
    e = (WsmsgException) failure(c.publish("x", "y", new MsgPack.Raw(new byte[] {(byte) 0xc1})));
    assertThat(e.code()).isEqualTo(WsmsgException.INVALID);
    e = (WsmsgException) failure(c.publish("", "y", 1));
    assertThat(e.code()).isEqualTo(WsmsgException.INVALID);
  }

  @Test
  void subjectPatternsFilterLocally() {
    WsmsgClient c = connect();
    LinkedBlockingQueue<Message> news = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<Message> all = new LinkedBlockingQueue<>();
    await(c.consume("shop.*", "order.new", news::offer));
    await(c.consume("shop.*", "*", all::offer));
    await(c.publish("shop.eu", "order.new", 1));
    await(c.publish("shop.us", "order.paid", 2));
    await(c.publish("other", "order.new", 3));
    assertThat(next(news).data()).isEqualTo(1L);
    // two channels, two routers: no order between them
    assertThat(List.of(next(all).data(), next(all).data())).containsExactlyInAnyOrder(1L, 2L);
    expectNothing(news, 300);
    expectNothing(all, 100);
  }

  @Test
  void unsubscribeKeepsOverlappingSubscriptions() {
    WsmsgClient c = connect();
    LinkedBlockingQueue<Message> a = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<Message> b = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<Message> wild = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<Message> twin = new LinkedBlockingQueue<>();
    Subscription sa = await(c.consume("orders", "a.*", a::offer));
    await(c.consume("orders", "b.*", b::offer));
    Subscription sw = await(c.consume("ord*", "w", wild::offer));
    Subscription st1 = await(c.consume("twins", "*", twin::offer));
    await(c.consume("twins", "*", twin::offer));

    // same channel pattern, other subject: unsubscribe.channel drops both, the client re-sends b.*
    await(sa.unsubscribe());
    // a wildcard pattern is removed literally: "orders" survives "ord*" going away
    await(sw.unsubscribe());
    // two handlers on the same patterns: one stays
    await(st1.unsubscribe());
    await(sa.unsubscribe()); // idempotent

    await(c.publish("orders", "a.1", 1));
    await(c.publish("orders", "b.1", 2));
    await(c.publish("ordinary", "w", 3));
    await(c.publish("twins", "t", 4));
    assertThat(next(b).data()).isEqualTo(2L);
    assertThat(next(twin).data()).isEqualTo(4L);
    expectNothing(a, 300);
    expectNothing(wild, 100);
    expectNothing(twin, 100);
    assertThat(server.server.registry().subscriptions().of(c.endpoint()))
        .extracting(s -> s.channel().pattern() + "/" + s.subject().pattern())
        .containsExactlyInAnyOrder("orders/b.*", "twins/*");
  }

  @Test
  void windowOneWaitsForAsyncHandlers() {
    WsmsgClient c = connect(options().window(1));
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    List<Long> order = new CopyOnWriteArrayList<>();
    await(c.subscribe("work", "*", (MessageHandler) m -> {
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      Promise<Void> done = Promise.promise();
      vertx.setTimer(50, id -> {
        order.add((Long) m.data());
        running.decrementAndGet();
        done.complete();
      });
      return done.future();
    }));
    WsmsgClient pub = connect();
    for (long i = 0; i < 6; i++) await(pub.publish("work", "job", i));
    waitUntil("6 jobs are done", () -> order.size() == 6);
    assertThat(order).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
    assertThat(maxRunning.get()).isEqualTo(1);
  }

  @Test
  void largerWindowRunsHandlersConcurrently() {
    WsmsgClient c = connect(options().window(3));
    List<Promise<Void>> held = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger handled = new AtomicInteger();
    await(c.subscribe("work", "*", (MessageHandler) m -> {
      handled.incrementAndGet();
      Promise<Void> p = Promise.promise();
      held.add(p);
      if (held.size() == 3) {
        synchronized (held) {
          held.forEach(Promise::tryComplete);
        }
      }
      return held.size() > 3 ? Future.succeededFuture() : p.future();
    }));
    WsmsgClient pub = connect();
    for (int i = 0; i < 4; i++) await(pub.publish("work", "job", i));
    // three unacked messages were handed over at once, then the fourth after the acks
    waitUntil("4 handled", () -> handled.get() == 4);
  }

  @Test
  void failingHandlersAreAckedAndDeliveryGoesOn() {
    WsmsgClient c = connect(options().window(1));
    List<Long> seen = new CopyOnWriteArrayList<>();
    await(c.subscribe("flaky", "*", (MessageHandler) m -> {
      long n = (Long) m.data();
      seen.add(n);
      if (n == 0) throw new IllegalStateException("boom (expected by the test)");
      if (n == 1) return Future.failedFuture("failed future (expected by the test)");
      return Future.succeededFuture();
    }));
    for (long i = 0; i < 3; i++) await(c.publish("flaky", "x", i));
    waitUntil("3 handled", () -> seen.size() == 3);
    assertThat(seen).containsExactly(0L, 1L, 2L);
  }

  @Test
  void messagesWithoutLocalHandlerAreHeldUntilAHandlerMatchesThem() {
    WsmsgClient c = connect(options().window(1));
    // a server-side subscription with no local handler (yet)
    await(c.subscribeChannel(c.endpoint(), "unhandled", "*"));
    LinkedBlockingQueue<Message> got = new LinkedBlockingQueue<>();
    await(c.consume("handled", "*", got::offer));
    for (int i = 0; i < 3; i++) await(c.publish("unhandled", "x", i));
    // with window 1 the first unhandled message is held, unacked: nothing else comes (it used
    // to be acked away, and lost). "handled" is published only once it is held: two channels
    // have two routers, and nothing orders one channel's messages after another's
    waitUntil("the first one is held", () -> c.heldCount() == 1);
    await(c.publish("handled", "x", "ok"));
    expectNothing(got, 300);
    LinkedBlockingQueue<Message> late = new LinkedBlockingQueue<>();
    await(c.consume("unhandled", "*", late::offer));
    for (long i = 0; i < 3; i++) assertThat(next(late).data()).isEqualTo(i);
    assertThat(next(got).data()).isEqualTo("ok");
  }

  @Test
  void aHandlerMayUnsubscribeItselfAndSubscribeOthers() {
    WsmsgClient c = connect();
    LinkedBlockingQueue<Message> once = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<Message> later = new LinkedBlockingQueue<>();
    Subscription[] self = new Subscription[1];
    Promise<Subscription> swapped = Promise.promise();
    self[0] = await(c.subscribe("once", "*", (MessageHandler) m -> {
      once.offer(m);
      // with window 1 this handler holds the only slot: the commands complete after a short grace
      return self[0].unsubscribe().compose(v -> c.consume("once", "*", later::offer)).onComplete(swapped);
    }));
    await(c.publish("once", "x", 1));
    assertThat(next(once).data()).isEqualTo(1L);
    await(swapped.future());
    assertThat(c.subscriptionCount()).isEqualTo(1);
    await(c.publish("once", "x", 2));
    assertThat(next(later).data()).isEqualTo(2L);
    expectNothing(once, 200);
  }

  @Test
  void pauseStopsDeliveriesUntilResume() {
    WsmsgClient c = connect();
    WsmsgClient pub = connect();
    LinkedBlockingQueue<Message> got = new LinkedBlockingQueue<>();
    await(c.consume("p", "*", got::offer));
    await(c.pause());
    await(pub.publish("p", "x", 1));
    expectNothing(got, 500);
    await(c.resume());
    assertThat(next(got).data()).isEqualTo(1L);
  }

  @Test
  void legacyOrderClientsInteroperate() {
    WsmsgClient legacy = connect(options().order(WireOrder.LEGACY).window(2));
    WsmsgClient seed = connect();
    LinkedBlockingQueue<Message> atLegacy = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<Message> atSeed = new LinkedBlockingQueue<>();
    await(legacy.consume("mix", "to.legacy", atLegacy::offer));
    await(seed.consume("mix", "to.seed", atSeed::offer));
    Ulid u = await(seed.publish("mix", "to.legacy", "hi"));
    await(legacy.publish("mix", "to.seed", "ho", u));
    Message l = next(atLegacy);
    assertThat(l.uid()).isEqualTo(u);
    assertThat(l.data()).isEqualTo("hi");
    Message s = next(atSeed);
    assertThat(s.reference()).isEqualTo(u);
    assertThat(s.data()).isEqualTo("ho");
  }

  @Test
  void refusedPublishGoesToTheErrorListener() {
    String token = server.token(new JsonObject().put("publish", List.of("open.*")).put("endpoints", List.of("*")));
    WsmsgClient c = connect(options().token(token));
    LinkedBlockingQueue<ServerError> errors = new LinkedBlockingQueue<>();
    c.onError(errors::offer);
    Ulid uid = await(c.publish("secret", "x", 1)); // written: the refusal comes afterwards
    await(c.sync());
    ServerError e = errors.poll();
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo("forbidden");
    assertThat(e.reference()).isEqualTo(uid);
    assertThat(e.text()).contains("secret");
  }

  @Test
  void subscribeRefusedByPermissionsFails() {
    String token = server.token(new JsonObject().put("subscribe", List.of("open.*")).put("endpoints", List.of("*")));
    WsmsgClient c = connect(options().token(token));
    WsmsgException e = (WsmsgException) failure(c.consume("secret", "*", m -> { }));
    assertThat(e.code()).isEqualTo("forbidden");
    assertThat(e.isServerError()).isTrue();
    assertThat(c.subscriptionCount()).isZero();
    await(c.consume("open.x", "*", m -> { }));
  }

  @Test
  void systemEventsReachTheListener() {
    WsmsgClient monitor = connect();
    LinkedBlockingQueue<Message> events = new LinkedBlockingQueue<>();
    monitor.onSystemEvent(m -> {
      // the monitor's own node.joined may be routed after its subscription: look for the joiner's
      if (m.subject().equals("node.joined") && "joiner".equals(((List<?>) m.data()).get(0))) events.offer(m);
    });
    await(monitor.consume("system", "node.*", m -> { }));
    WsmsgClient other = connect(options().endpoint("joiner"));
    Message m = next(events);
    assertThat(m.channel()).isEqualTo("system");
    assertThat((List<?>) m.data()).first().isEqualTo(other.endpoint());
  }

  @Test
  void commandsOfAPausedNodeCompleteWithoutTheirEcho() {
    // a paused node cannot receive the echo: the command is taken as applied after a short
    // grace without error (the base options' confirm timeout is 60 s: this proves the grace)
    WsmsgClient c = connect();
    await(c.pause());
    await(c.consume("later", "*", m -> { }));
    // completing after the grace does not mean the server has applied it yet: wait for that
    Await.until("the paused node's subscription applied", () -> server.server.registry().subscriptions()
        .of(c.endpoint()), subs -> subs.size() == 1);
    WsmsgException e = (WsmsgException) failure(c.prioritizeChannel("x", 500));
    assertThat(e.code()).isEqualTo("bad_arguments");
  }
}
