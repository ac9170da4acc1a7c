package io.wsmsg.client;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A real server per test, a client Vert.x per test, and clients that are closed afterwards (the server after them). */
abstract class ClientTestBase extends ServerTestBase {
  static final long WAIT_MS = 15_000;

  TestServer server;
  Vertx vertx;
  final List<WsmsgClient> clients = new ArrayList<>();

  /** Server settings for this test class (null = defaults). */
  JsonObject serverOverrides() {
    return null;
  }

  @BeforeEach
  void startServerAndClientVertx() {
    server = startServer(serverOverrides());
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopAll() {
    for (WsmsgClient c : clients) {
      try {
        await(c.close());
      } catch (RuntimeException ignored) {
        // closing anyway
      }
    }
    await(vertx.close());
  }

  String url() {
    return "ws://127.0.0.1:" + server.port() + "/";
  }

  /**
   * Admin token, fast reconnects, and a confirm timeout far longer than any test waits: a
   * command future that completes proves the server's echo came back.
   */
  ClientOptions options() {
    return new ClientOptions().url(url()).token(server.adminToken())
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .confirmTimeout(Duration.ofSeconds(60));
  }

  WsmsgClient connect(ClientOptions o) {
    WsmsgClient c = await(WsmsgClient.connect(vertx, o));
    clients.add(c);
    return c;
  }

  WsmsgClient connect() {
    return connect(options());
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw new RuntimeException(e.getCause());
    } catch (Exception e) {
      throw new AssertionError("no result within " + WAIT_MS + " ms", e);
    }
  }

  /** The failure of a future that must fail. */
  static Throwable failure(Future<?> f) {
    try {
      Object v = f.toCompletionStage().toCompletableFuture().get(WAIT_MS, TimeUnit.MILLISECONDS);
      throw new AssertionError("expected a failure, got " + v);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no result within " + WAIT_MS + " ms", e);
    }
  }

  static void waitUntil(String what, BooleanSupplier condition) {
    io.wsmsg.testkit.Await.until(what, condition, java.time.Duration.ofMillis(WAIT_MS));
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
