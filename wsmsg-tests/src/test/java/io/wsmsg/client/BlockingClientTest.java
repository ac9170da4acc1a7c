package io.wsmsg.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.f4b6a3.ulid.Ulid;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BlockingClientTest extends ClientTestBase {

  BlockingClient blocking(ClientOptions o) {
    BlockingClient b = BlockingClient.connect(vertx, o);
    clients.add(b.async());
    return b;
  }

  @Test
  void publishSubscribeWithBlockingHandlers() {
    BlockingClient sub = blocking(options().window(1));
    BlockingClient pub = blocking(options());
    List<Object> got = new CopyOnWriteArrayList<>();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    List<String> threads = new CopyOnWriteArrayList<>();
    Subscription s = sub.subscribe("b", "*", m -> {
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      threads.add(Thread.currentThread().getName());
      sleep(30); // blocking is allowed here
      got.add(m.data());
      running.decrementAndGet();
    });
    Ulid u = pub.publish("b", "x", 1);
    assertThat(u).isNotNull();
    pub.publish("b", "x", 2, u);
    pub.publish("b", "x", 3);
    waitUntil("3 handled", () -> got.size() == 3);
    assertThat(got).containsExactly(1L, 2L, 3L);
    assertThat(maxRunning.get()).isEqualTo(1);
    assertThat(threads).allMatch(t -> t.contains("worker"));
    sub.unsubscribe(s);
    pub.publish("b", "x", 4);
    sleep(300); // the point: nothing reaches the removed subscription within this interval
    assertThat(got).hasSize(3);
  }

  @Test
  void requestReplyWithBlockingCode() {
    BlockingClient server = blocking(options());
    BlockingClient client = blocking(options().requestTimeout(Duration.ofSeconds(10)));
    server.reply("math", "add.request", m -> {
      List<?> xs = (List<?>) m.data();
      sleep(20);
      return (Long) xs.get(0) + (Long) xs.get(1);
    });
    server.reply("math", "fail.request", m -> {
      throw new IllegalArgumentException("cannot do that");
    });
    assertThat(client.request("math", "add.request", List.of(20, 22)).data()).isEqualTo(42L);
    assertThat(client.request("math", "add.request", List.of(1, 1), Duration.ofSeconds(5)).subject()).isEqualTo("add.reply");
    assertThatThrownBy(() -> client.request("math", "fail.request", null))
        .isInstanceOf(RemoteException.class).hasMessage("cannot do that");
    assertThatThrownBy(() -> client.request("math", "nobody.request", null, Duration.ofMillis(200)))
        .isInstanceOfSatisfying(WsmsgException.class, e -> assertThat(e.code()).isEqualTo(WsmsgException.TIMEOUT));
    List<Message> all = client.requestAll("math", "add.request", List.of(1, 2), Duration.ofMillis(700));
    assertThat(all).extracting(Message::data).containsExactly(3L);
  }

  @Test
  void commandsFlowControlAndListeners() {
    BlockingClient admin = blocking(options());
    List<Message> events = new CopyOnWriteArrayList<>();
    List<ServerError> errors = new CopyOnWriteArrayList<>();
    List<ConnectionState> states = new CopyOnWriteArrayList<>();
    admin.onSystemEvent(events::add).onError(errors::add).onStateChange(states::add);
    admin.subscribe("system", "channel.*", m -> { });
    admin.createChannel("blk");
    admin.sizeChannel("blk", 10);
    admin.prioritizeChannel("blk", 3);
    admin.createEndpoint("blk-ep");
    admin.sizeEndpoint("blk-ep", 10);
    admin.subscribeChannel("blk-ep", "blk", "*");
    admin.unsubscribeChannel("blk-ep", "blk");
    admin.subscribeMessage("blk-ep", new byte[] {1, 2, 3}, Duration.ofSeconds(5));
    admin.unsubscribeMessage("blk-ep", new byte[] {1, 2, 3});
    admin.command("channel.create", "blk2");
    admin.pause();
    admin.resume();
    admin.sync();
    assertThat(server.server.registry().channel("blk").priority()).isEqualTo(3);
    waitUntil("events", () -> events.stream().anyMatch(m -> m.subject().equals("channel.prioritized")));
    assertThatThrownBy(() -> admin.sizeChannel("blk", -1))
        .isInstanceOfSatisfying(WsmsgException.class, e -> assertThat(e.code()).isEqualTo("bad_arguments"));
    assertThat(errors).isEmpty();
    assertThat(admin.endpoint()).as("the token's sub owns <sub>~...").startsWith("test~client-");
    assertThat(admin.state()).isEqualTo(ConnectionState.CONNECTED);
    admin.close();
    assertThat(admin.state()).isEqualTo(ConnectionState.CLOSED);
    assertThat(states).containsExactly(ConnectionState.CLOSED);
  }

  @Test
  void blockingCallsAreRefusedOnAnEventLoop() throws Exception {
    BlockingClient c = blocking(options());
    CompletableFuture<Throwable> seen = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      try {
        c.publish("x", "y", 1);
        seen.complete(null);
      } catch (Throwable t) {
        seen.complete(t);
      }
    });
    assertThat(seen.get(WAIT_MS, TimeUnit.MILLISECONDS)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void ownsItsVertxWhenConnectedWithoutOne() {
    try (BlockingClient c = BlockingClient.connect(options())) {
      c.publish("own", "x", 1);
      c.sync();
      assertThat(c.async().vertx()).isNotSameAs(vertx);
    }
  }

  @Test
  void connectFailureThrows() {
    assertThatThrownBy(() -> BlockingClient.connect(vertx, options().token("bad")))
        .isInstanceOfSatisfying(WsmsgException.class, e -> assertThat(e.httpStatus()).isEqualTo(401));
  }
}
