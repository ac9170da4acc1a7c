package io.wsmsg.testkit;

import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.AfterEach;

/**
 * The one way a test starts the servers under test: {@link TestServer} (127.0.0.1, port 0,
 * its own data directory and Vert.x), and everything it started or opened closed after each
 * test, newest first, so nodes go before the server they are connected to.
 */
public abstract class ServerTestBase {
  private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
  private TestServer latest;

  /** A server with the default settings. */
  protected TestServer startServer() {
    return startServer(null);
  }

  /** A server with {@code overrides} laid over the defaults (null: none). */
  protected TestServer startServer(JsonObject overrides) {
    return started(TestServer.start(overrides));
  }

  /** A server speaking wss:// and https:// (see {@link TestServer#startTls}). */
  protected TestServer startTlsServer(JsonObject overrides) {
    return started(TestServer.startTls(overrides));
  }

  /** A server on a fixed port, where clients of a previous server expect it (a restart). */
  protected TestServer startServerOnPort(int port, JsonObject overrides) {
    return started(TestServer.startOnPort(port, overrides));
  }

  private TestServer started(TestServer ts) {
    latest = ts;
    return closeAfterTest(ts);
  }

  /** Closes {@code resource} after the test, before anything registered earlier. */
  protected <T extends AutoCloseable> T closeAfterTest(T resource) {
    toClose.push(resource);
    return resource;
  }

  /** A node (admin token, seed order) on the server started last, closed after the test. */
  protected TestNode node(String endpointAndQuery) {
    if (latest == null) throw new IllegalStateException("no server started yet");
    return closeAfterTest(latest.node(endpointAndQuery));
  }

  @AfterEach
  final void closeServersAndNodes() throws Exception {
    Exception first = null;
    while (!toClose.isEmpty()) {
      try {
        toClose.pop().close();
      } catch (Exception e) {
        if (first == null) first = e;
      }
    }
    latest = null;
    if (first != null) throw first;
  }
}
