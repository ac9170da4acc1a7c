package io.wsmsg.client;

import com.github.f4b6a3.ulid.Ulid;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The {@link WsmsgClient} for code that is not reactive: the same operations, returning
 * values and throwing {@link WsmsgException} (unchecked). Every call waits at most the
 * client's timeouts (request timeout for requests, connect timeout for connecting, a default
 * of 30 s otherwise). Handlers run on Vert.x worker threads, so they may block; the message
 * is acknowledged when the handler returns.
 *
 * <pre>{@code
 * try (BlockingClient c = BlockingClient.connect(new ClientOptions().url("ws://localhost:8765/").token(jwt))) {
 *   c.reply("math", "add.request", m -> {
 *     List<?> xs = (List<?>) m.data();
 *     return (Long) xs.get(0) + (Long) xs.get(1);
 *   });
 *   Message r = c.request("math", "add.request", List.of(1, 2));
 *   System.out.println(r.data());   // 3
 * }
 * }</pre>
 *
 * <p>Deliveries that arrive before a matching handler is registered (a worker attaching to a
 * queue that holds jobs gets the first ones at once) are held and handed to the first
 * matching handler, as {@link WsmsgClient} describes: call {@link #subscribe} right after
 * connecting and nothing is lost.
 *
 * <p>Do not call its methods on a Vert.x event loop (they block): they throw
 * IllegalStateException there.
 */
public final class BlockingClient implements AutoCloseable {
  private final WsmsgClient client;
  private final Duration timeout;

  /** Wraps an async client; calls wait at most {@code timeout} (requests: their own timeout). */
  public BlockingClient(WsmsgClient client, Duration timeout) {
    this.client = Objects.requireNonNull(client, "client");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  public BlockingClient(WsmsgClient client) {
    this(client, Duration.ofSeconds(30));
  }

  /** Connects on a Vert.x instance of its own (closed by {@link #close()}). */
  public static BlockingClient connect(ClientOptions options) {
    return new BlockingClient(await(WsmsgClient.connect(options), options.connectTimeout().multipliedBy(options.urls().size()).plusSeconds(5)));
  }

  /** Connects on the given Vert.x instance. */
  public static BlockingClient connect(Vertx vertx, ClientOptions options) {
    return new BlockingClient(await(WsmsgClient.connect(vertx, options), options.connectTimeout().multipliedBy(options.urls().size()).plusSeconds(5)));
  }

  /** The asynchronous client underneath. */
  public WsmsgClient async() {
    return client;
  }

  public String endpoint() {
    return client.endpoint();
  }

  public ConnectionState state() {
    return client.state();
  }

  // ---- publish ----

  /** Publishes; returns the uid once the frame is written (see {@link WsmsgClient} on publish semantics). */
  public Ulid publish(String channel, String subject, Object data) {
    return await(client.publish(channel, subject, data));
  }

  public Ulid publish(String channel, String subject, Object data, Ulid reference) {
    return await(client.publish(channel, subject, data, reference));
  }

  // ---- subscribe ----

  /**
   * Subscribes; {@code handler} runs on a worker thread and may block. The message is acked
   * when it returns (or throws: the failure is logged).
   */
  public Subscription subscribe(String channelPattern, String subjectPattern, Consumer<Message> handler) {
    Objects.requireNonNull(handler, "handler");
    Vertx vertx = client.vertx();
    return await(client.subscribe(channelPattern, subjectPattern, (MessageHandler) m -> vertx.executeBlocking(() -> {
      handler.accept(m);
      return null;
    }, false)));
  }

  public void unsubscribe(Subscription s) {
    await(s.unsubscribe());
  }

  // ---- request / reply ----

  /** The first reply within the client's request timeout; throws {@link RemoteException} for an exception reply. */
  public Message request(String channel, String subject, Object data) {
    return request(channel, subject, data, client.options().requestTimeout());
  }

  public Message request(String channel, String subject, Object data, Duration timeout) {
    return await(client.request(channel, subject, data, timeout), timeout.plusSeconds(5));
  }

  /** Every reply that arrives until {@code expiry}, in arrival order. */
  public List<Message> requestAll(String channel, String subject, Object data, Duration expiry) {
    List<Message> out = Collections.synchronizedList(new ArrayList<>());
    await(client.requestStream(channel, subject, data, expiry, out::add), expiry.plusSeconds(5));
    synchronized (out) {
      return new ArrayList<>(out);
    }
  }

  /**
   * Serves requests with a blocking handler (run on a worker thread): its return value is
   * the reply, an exception it throws is sent as {@code <x>.exception} with its message.
   */
  public Subscription reply(String channelPattern, String subjectPattern, Function<Message, Object> handler) {
    Objects.requireNonNull(handler, "handler");
    Vertx vertx = client.vertx();
    return await(client.reply(channelPattern, subjectPattern, m -> vertx.executeBlocking(() -> handler.apply(m), false)));
  }

  // ---- flow control and commands ----

  public void pause() {
    await(client.pause());
  }

  public void resume() {
    await(client.resume());
  }

  public void createChannel(String channel) {
    await(client.createChannel(channel));
  }

  public void sizeChannel(String channel, int size) {
    await(client.sizeChannel(channel, size));
  }

  public void prioritizeChannel(String channel, int priority) {
    await(client.prioritizeChannel(channel, priority));
  }

  public void createEndpoint(String endpoint) {
    await(client.createEndpoint(endpoint));
  }

  public void sizeEndpoint(String endpoint, int size) {
    await(client.sizeEndpoint(endpoint, size));
  }

  public void stopServer() {
    await(client.stopServer());
  }

  public void subscribeChannel(String endpoint, String channelPattern, String subjectPattern) {
    await(client.subscribeChannel(endpoint, channelPattern, subjectPattern));
  }

  public void unsubscribeChannel(String endpoint, String pattern) {
    await(client.unsubscribeChannel(endpoint, pattern));
  }

  public void subscribeMessage(String endpoint, byte[] uid, Duration expires) {
    await(client.subscribeMessage(endpoint, uid, expires));
  }

  public void unsubscribeMessage(String endpoint, byte[] uid) {
    await(client.unsubscribeMessage(endpoint, uid));
  }

  /** Any command of the system channel; see {@link WsmsgClient#command(String, Object...)}. */
  public void command(String subject, Object... args) {
    await(client.command(subject, args));
  }

  /** Returns once the server processed everything sent before (see {@link WsmsgClient#sync()}). */
  public void sync() {
    await(client.sync());
  }

  // ---- listeners ----

  public BlockingClient onSystemEvent(Consumer<Message> listener) {
    client.onSystemEvent(listener);
    return this;
  }

  public BlockingClient onError(Consumer<ServerError> listener) {
    client.onError(listener);
    return this;
  }

  public BlockingClient onStateChange(Consumer<ConnectionState> listener) {
    client.onStateChange(listener);
    return this;
  }

  /** See {@link WsmsgClient#onConnectFailure}. */
  public BlockingClient onConnectFailure(Consumer<WsmsgException> listener) {
    client.onConnectFailure(listener);
    return this;
  }

  /** See {@link WsmsgClient#closeCause()}: why the client closed by itself (a refused token, say), else null. */
  public WsmsgException closeCause() {
    return client.closeCause();
  }

  @Override
  public void close() {
    try {
      await(client.close(), Duration.ofSeconds(15));
    } catch (WsmsgException e) {
      // closing anyway
    }
  }

  // ---- waiting ----

  private <T> T await(Future<T> f) {
    return await(f, timeout);
  }

  static <T> T await(Future<T> f, Duration timeout) {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("BlockingClient methods block: do not call them on a Vert.x event loop"
          + " (use WsmsgClient there)");
    }
    try {
      return f.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof WsmsgException w) throw w;
      if (c instanceof RuntimeException r) throw r;
      throw new WsmsgException(WsmsgException.INVALID, c.getMessage(), c);
    } catch (TimeoutException e) {
      throw new WsmsgException(WsmsgException.TIMEOUT, "no answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WsmsgException(WsmsgException.CLOSED, "interrupted while waiting");
    }
  }
}
