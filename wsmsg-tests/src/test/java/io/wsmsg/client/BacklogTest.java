package io.wsmsg.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TcpProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A node attaching to an endpoint that already holds messages is sent the first ones at once,
 * before its code had the chance to register a handler: such deliveries are held, not acked
 * away, and handed to the handler registered next, in arrival order.
 */
class BacklogTest extends ClientTestBase {
  static final int N = 20;

  @Override
  JsonObject serverOverrides() {
    return new JsonObject().put("endpoints", new JsonObject().put("requeueUnacked", List.of("requeue-*")));
  }

  /** The endpoint subscribed to {@code channel} with {@code n} jobs 0..n-1 queued and no node attached. */
  void backlog(String endpoint, String channel, int n) {
    WsmsgClient admin = connect();
    await(admin.subscribeChannel(endpoint, channel, "*"));
    for (int i = 0; i < n; i++) await(admin.publish(channel, "job", i));
    await(admin.sync());
    Await.until("the queue of " + endpoint + " holds " + n, () -> depth(endpoint), d -> d == n);
  }

  int depth(String endpoint) {
    return server.queueDepth(endpoint);
  }

  static List<Long> numbers(int n) {
    List<Long> l = new ArrayList<>();
    for (long i = 0; i < n; i++) l.add(i);
    return l;
  }

  void asyncWorkerGetsTheWholeBacklog(int window) {
    String ep = "workers-async-" + window;
    backlog(ep, "jobs-" + ep, N);
    // a worker restarting: a new client on the named endpoint, then its subscription
    WsmsgClient worker = connect(options().endpoint(ep).window(window));
    List<Long> got = new CopyOnWriteArrayList<>();
    await(worker.consume("jobs-" + ep, "*", m -> got.add((Long) m.data())));
    waitUntil(N + " jobs handled", () -> got.size() >= N);
    assertThat(got).containsExactlyElementsOf(numbers(N)); // none lost, none twice, in queue order
    Await.until("every job acknowledged", () -> depth(ep), d -> d == 0);
    assertThat(worker.heldCount()).isZero();
  }

  @Test
  void anAsyncWorkerReconnectingToABacklogGetsEveryJobWithWindow1() {
    asyncWorkerGetsTheWholeBacklog(1);
  }

  @Test
  void anAsyncWorkerReconnectingToABacklogGetsEveryJobWithWindow8() {
    asyncWorkerGetsTheWholeBacklog(8);
  }

  void blockingWorkerGetsTheWholeBacklog(int window) {
    String ep = "workers-blocking-" + window;
    backlog(ep, "jobs-" + ep, N);
    List<Long> got = new CopyOnWriteArrayList<>();
    try (BlockingClient worker = BlockingClient.connect(options().endpoint(ep).window(window))) {
      worker.subscribe("jobs-" + ep, "*", m -> got.add((Long) m.data()));
      waitUntil(N + " jobs handled", () -> got.size() >= N);
      Await.until("every job acknowledged", () -> depth(ep), d -> d == 0);
    }
    // handlers run on worker threads, several at once with window > 1: every job exactly once
    assertThat(got).containsExactlyInAnyOrderElementsOf(numbers(N));
    if (window == 1) assertThat(got).containsExactlyElementsOf(numbers(N));
  }

  @Test
  void aBlockingWorkerReconnectingToABacklogGetsEveryJobWithWindow1() {
    blockingWorkerGetsTheWholeBacklog(1);
  }

  @Test
  void aBlockingWorkerReconnectingToABacklogGetsEveryJobWithWindow8() {
    blockingWorkerGetsTheWholeBacklog(8);
  }

  @Test
  void aHandlerRegisteredLateGetsTheHeldMessagesInArrivalOrder() {
    String ep = "late";
    backlog(ep, "late-jobs", 3);
    WsmsgClient worker = connect(options().endpoint(ep).window(2));
    waitUntil("two deliveries held (the window)", () -> worker.heldCount() == 2);
    // a handler for something else does not release them
    await(worker.consume("elsewhere", "*", m -> { }));
    assertThat(worker.heldCount()).isEqualTo(2);
    List<Long> got = new CopyOnWriteArrayList<>();
    await(worker.consume("late-jobs", "*", m -> got.add((Long) m.data())));
    waitUntil("three jobs handled", () -> got.size() == 3);
    assertThat(got).containsExactly(0L, 1L, 2L);
    Await.until("every job acknowledged", () -> depth(ep), d -> d == 0);
    assertThat(worker.heldCount()).isZero();
  }

  @Test
  void aReplierRegisteredLateAnswersTheHeldRequest() {
    WsmsgClient requester = connect();
    WsmsgClient admin = connect();
    await(admin.subscribeChannel("calc-late", "calc", "*.request"));
    var reply = requester.request("calc", "add.request", List.of(2, 3), Duration.ofSeconds(30));
    Await.until("the request is queued", () -> depth("calc-late"), d -> d == 1);
    WsmsgClient calc = connect(options().endpoint("calc-late"));
    waitUntil("the request is held", () -> calc.heldCount() == 1);
    await(calc.reply("calc", "*.request", m -> io.vertx.core.Future.succeededFuture(
        (Long) ((List<?>) m.data()).get(0) + (Long) ((List<?>) m.data()).get(1))));
    assertThat(await(reply).data()).isEqualTo(5L);
  }

  @Test
  void heldMessagesOfALostConnectionAreNotAckedAndComeBackWhenRequeued() {
    TcpProxy proxy = new TcpProxy(server.port());
    try {
      String ep = "requeue-held";
      backlog(ep, "rq-jobs", 2);
      WsmsgClient worker = connect(options().url("ws://127.0.0.1:" + proxy.port() + "/").endpoint(ep).window(1));
      List<ConnectionState> states = new CopyOnWriteArrayList<>();
      worker.onStateChange(states::add);
      waitUntil("one delivery held", () -> worker.heldCount() == 1);
      proxy.dropAll(); // the server requeues the unacked delivery; the client forgets what it held
      waitUntil("reconnected", () -> states.contains(ConnectionState.RECONNECTING)
          && worker.state() == ConnectionState.CONNECTED);
      List<Long> got = new CopyOnWriteArrayList<>();
      await(worker.consume("rq-jobs", "*", m -> got.add((Long) m.data())));
      waitUntil("both jobs handled", () -> got.size() >= 2);
      Await.until("every job acknowledged", () -> depth(ep), d -> d == 0);
      assertThat(got).containsExactly(0L, 1L); // the requeued one once, not taken for a redelivery
    } finally {
      proxy.close();
    }
  }
}
