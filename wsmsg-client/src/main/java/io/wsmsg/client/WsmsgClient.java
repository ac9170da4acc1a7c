package io.wsmsg.client;

import com.github.f4b6a3.ulid.Ulid;
import com.github.f4b6a3.ulid.UlidCreator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The asynchronous wsmsg client: one WebSocket connection (a node) attached to one endpoint,
 * with publish, subscribe, request/reply, flow control, every command of the system channel,
 * and automatic reconnection. All methods are thread-safe and return Vert.x futures; for code
 * that is not reactive, see {@link BlockingClient}.
 *
 * <pre>{@code
 * WsmsgClient client = WsmsgClient.connect(vertx, new ClientOptions()
 *     .url("ws://localhost:8765/").token(jwt)).await();       // or .onSuccess(...)
 *
 * // pub/sub: the handler's future says when the message is processed (then it is acked)
 * client.subscribe("orders", "order.*", m -> store.save(m.dataAs(JsonObject.class)));
 * client.publish("orders", "order.new", Map.of("id", 42));
 *
 * // RPC: replies go on <x>.reply (or <x>.exception when the handler fails)
 * client.reply("math", "add.request", m -> {
 *   List<?> xs = (List<?>) m.data();
 *   return Future.succeededFuture((Long) xs.get(0) + (Long) xs.get(1));
 * });
 * client.request("math", "add.request", List.of(1, 2), Duration.ofSeconds(5))
 *     .onSuccess(reply -> System.out.println(reply.data()));   // 3
 * }</pre>
 *
 * <h2>Semantics</h2>
 *
 * <ul>
 *   <li><b>Subscriptions belong to the endpoint</b>, not the connection (SPEC section 4).
 *       {@link #subscribe} sends {@code subscribe.channel [endpoint, channel, subject]} and
 *       keeps the handler locally; every received message is handed to the local handlers
 *       whose patterns match (globs as the server uses them), then acknowledged exactly once,
 *       when all of their futures are done. On a shared endpoint, give every node the same
 *       subscriptions: the server hands each message to one node of the endpoint, whatever that
 *       node subscribed.
 *   <li><b>A delivery no handler matches is held, never acked away.</b> A node attaching to an
 *       endpoint that already holds messages is sent the first ones at once, before the code
 *       after {@code connect} has registered its handlers. Such a delivery is kept
 *       unacknowledged (it occupies its window slot, so the server sends no more than the
 *       window) and handed, in arrival order, to the first handler registered with
 *       {@link #subscribe}, {@link #consume} or {@link #reply} that matches it; it is acked
 *       once that handler is done, as usual. If no such handler comes: a delivery held for
 *       more than 5 s is logged (once, level WARNING); when the connection ends (lost or
 *       {@link #close closed}) the held deliveries are not acked, and the server's rules for a
 *       node that left apply (dropped and counted {@code disconnected}, or put back at the
 *       head of the queue for an endpoint in {@code endpoints.requeueUnacked}); one held past
 *       the server's {@code delivery.ackTimeoutSeconds} is counted lost by the server. So
 *       register the handlers of a shared endpoint right after connecting, and attach a node
 *       that only publishes with {@link ClientOptions#paused} (or to an endpoint of its own).
 *       Messages on {@code system} that no handler matches (events, forwarded commands) go to
 *       the {@link #onSystemEvent} listeners and are acked at once.
 *   <li><b>Publish futures</b> complete when the frame is written to the socket: the server
 *       does not confirm publishes. A refusal ({@code forbidden}, {@code stopping}) comes
 *       later as an {@code error} referencing the publish's uid and goes to the
 *       {@link #onError} listeners. Call {@link #sync()} after publishing when you need to
 *       know that everything before it was accepted.
 *   <li><b>Command futures</b> (subscribe, unsubscribe, the admin commands, {@link #sync()})
 *       complete when the server has applied the command. The client learns it from the
 *       command itself: it is sent with {@code reference} = its own uid, after a
 *       {@code subscribe.message} for that uid, so the server's forwarding of the applied
 *       command (SPEC section 6) comes back to this endpoint. An {@code error} referencing the
 *       command fails the future with a {@link WsmsgException} carrying the server's code. If
 *       the echo does not come back (a shared endpoint gave it to another node), the future
 *       completes after {@link ClientOptions#confirmTimeout} when no error came: errors are
 *       sent at once, outside the window, so silence means success. When the echo cannot
 *       come (the node is paused, or every window slot is held by a delivery still being
 *       handled, typically because the command is awaited inside a handler) the client
 *       waits only a short grace (250 ms at most) for an error. {@code pause} and
 *       {@code resume} complete when written.
 *   <li><b>Requests</b> ({@link #request}, {@link #requestStream}): the client sends
 *       {@code subscribe.message [endpoint, uid, expires]} then the request with that uid
 *       (commands are applied in order per connection, so no reply can be missed), and takes
 *       the messages whose {@code reference} is the uid. Such replies are consumed by the
 *       request and not given to subscription handlers. A reply arriving after the request
 *       finished (timeout, or a second reply to {@link #request}) is acked and dropped
 *       quietly. Note that a reply needs a free window slot: a handler that makes a request
 *       and waits for it needs {@code window >= 2}.
 *   <li><b>Reconnection</b>: after an unexpected close the client reconnects with exponential
 *       backoff and jitter, rotating over the URLs and asking the token supplier again. It
 *       then sends again every {@code subscribe.channel} (idempotent on the server), its
 *       pause state, and a {@code subscribe.message} for every request in flight. <b>Requests
 *       in flight survive a reconnection</b>: their replies wait in the endpoint's queue on
 *       the server (or, after a server restart, find the renewed message subscription) and
 *       complete them before their timeout. Publishes and commands made while no connection
 *       is open fail at once with {@code not_connected}; a command whose confirmation was
 *       pending when the connection dropped fails with {@code connection_lost} (it may or may
 *       not have been applied). {@link #subscribe}, {@link #pause} and {@link #resume} made
 *       while disconnected are kept and sent on reconnection. Deliveries are never handled
 *       twice: the client remembers the uids it handled recently and acks a redelivery
 *       without calling handlers again; a handler that finishes after its connection was
 *       lost is not acked (the new connection does not know that delivery).
 *       Every failed attempt goes to the {@link #onConnectFailure} listeners. <b>A refused
 *       token ends reconnection</b>: when every URL in a row refuses the upgrade with HTTP 401
 *       or 403 for the same token (a dev server restarted with a new secret, an expired or
 *       revoked token, an endpoint the token no longer allows), trying again cannot help, so
 *       the client closes: the state becomes {@code CLOSED}, pending futures fail with code
 *       {@code unauthorized}, and {@link #closeCause()} holds the refusal with the server's
 *       reason and {@link WsmsgException#httpStatus()}. (NATS clients likewise give up after
 *       the same authorization error twice in a row.) With a {@code tokenSupplier} the
 *       client keeps trying as long as the supplier hands out a token other than the one
 *       refused, so a refreshing supplier recovers by itself. Other failures (unreachable,
 *       503 while a server stops, 429) are retried for ever.
 *   <li><b>Threads</b>: handlers and listeners run on the client's event loop: the Vert.x
 *       context current when {@code connect} was called, else the context Vert.x gives the
 *       calling thread. A plain thread (such as {@code main}) keeps one context, so every
 *       client it connects shares one event loop; to spread many busy clients over event
 *       loops, connect each from its own context (e.g. inside a verticle). Do not block in
 *       handlers.
 * </ul>
 */
public final class WsmsgClient {
  // The work is done by three package-private rooms, all on the client's context:
  // Connection (the socket, reconnection, the connection state), Subscriptions (what is
  // subscribed, where incoming frames go, acks) and Requests (requests and commands awaiting
  // their answer). This class is the public face and wires them together.
  private static final Logger LOG = Logger.getLogger(WsmsgClient.class.getName());

  private final ClientOptions options;
  private final Connection connection;
  private final Requests requests;
  private final Subscriptions subscriptions;

  private WsmsgClient(Vertx vertx, boolean ownsVertx, ClientOptions options) {
    this.options = new ClientOptions(options);
    this.connection = new Connection(vertx, ownsVertx, this.options, new Connection.Listener() {
      @Override
      public void attached(WebSocket w, int generation) {
        subscriptions.attached();
        restore(w, generation);
      }

      @Override
      public void received(Buffer frame, int generation) {
        subscriptions.received(frame, generation);
      }

      @Override
      public void lost(WsmsgException cause) {
        subscriptions.dropHeld();
        requests.connectionLost(cause);
      }

      @Override
      public void closed(WsmsgException cause) {
        requests.closed(cause);
        subscriptions.closed(cause);
      }

      @Override
      public void tick(long nowMs) {
        requests.forgetFinished(nowMs);
        subscriptions.tick(nowMs);
      }
    });
    // Requests asks Subscriptions whether the window is full; Subscriptions sends its commands through Requests
    this.requests = new Requests(connection, this.options, this::windowFull);
    this.subscriptions = new Subscriptions(connection, this.options, requests);
  }

  private boolean windowFull() {
    return subscriptions.windowFull();
  }

  /** Sends again what the endpoint and this node need, then reports CONNECTED. */
  private void restore(WebSocket w, int generation) {
    List<Future<?>> waits = new ArrayList<>(subscriptions.sendUnsubscriptions());
    if (connection.paused()) connection.send(w, Ulids.next(), Connection.SYSTEM, "pause", null, Connection.NIL);
    waits.addAll(subscriptions.resubscribe());
    requests.resubscribe(w);
    Future.join(waits).onComplete(ar -> connection.ready(generation));
  }

  // =====================================================================================
  // connecting
  // =====================================================================================

  /**
   * Connects on the given Vert.x instance. The future completes once attached, or fails when
   * no URL accepted the connection (each is tried once; a refused upgrade's HTTP status is in
   * {@link WsmsgException#httpStatus()}). Reconnection applies after that.
   */
  public static Future<WsmsgClient> connect(Vertx vertx, ClientOptions options) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(options, "options");
    if (options.urls().isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("no gateway URL: set ClientOptions.url(...)"));
    }
    WsmsgClient c = new WsmsgClient(vertx, false, options);
    return c.connection.start().map(c);
  }

  /** Connects on a Vert.x instance of its own, which {@link #close()} closes. */
  public static Future<WsmsgClient> connect(ClientOptions options) {
    Objects.requireNonNull(options, "options");
    if (options.urls().isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("no gateway URL: set ClientOptions.url(...)"));
    }
    Vertx v = Vertx.vertx();
    WsmsgClient c = new WsmsgClient(v, true, options);
    return c.connection.start().map(c)
        .recover(e -> Connection.closeVertx(v).transform(ar -> Future.failedFuture(e)));
  }

  /** Percent-encodes one path segment; here for the tests of this package. */
  static String encodeSegment(String s) {
    return Connection.encodeSegment(s);
  }

  // =====================================================================================
  // publishing
  // =====================================================================================

  /** Publishes; the future gives the message's uid once the frame is written (see the class notes). */
  public Future<Ulid> publish(String channel, String subject, Object data) {
    return publishWithReference(channel, subject, data, null);
  }

  /** Publishes with {@code reference} (a reply, or any message about another one). */
  public Future<Ulid> publish(String channel, String subject, Object data, Ulid reference) {
    return publishWithReference(channel, subject, data, reference == null ? null : reference.toBytes());
  }

  /**
   * Publishes with a reference given as raw uid bytes (uids of other clients may not be
   * 16-byte ULIDs). {@code data} is null, Boolean, a Number, String, byte[], List, Map,
   * Object[] or a {@link MsgPack.Raw} holding one already-encoded msgpack value, which is
   * sent as is. A value that cannot be sent fails the future with code {@code invalid}.
   */
  public Future<Ulid> publishWithReference(String channel, String subject, Object data, byte[] reference) {
    Ulid uid = UlidCreator.getUlid(); // random, not monotonic: request uids must not be guessable
    byte[] frame;
    try {
      frame = connection.encode(uid.toBytes(), channel, subject, reference, data);
    } catch (RuntimeException e) {
      return Future.failedFuture(Connection.invalid(e));
    }
    return connection.onContext(() -> {
      WebSocket w = connection.socket();
      if (w == null) return connection.notConnected();
      return w.writeBinaryMessage(Buffer.buffer(frame)).transform(ar -> ar.succeeded() ? Future.succeededFuture(uid)
          : Future.failedFuture(new WsmsgException(WsmsgException.CONNECTION_LOST,
              "the publish could not be written: " + ar.cause().getMessage(), ar.cause())));
    });
  }

  // =====================================================================================
  // commands
  // =====================================================================================

  private Future<Void> command(String subject, List<?> args) {
    return connection.onContext(() -> requests.confirmed(subject, args));
  }

  /**
   * Sends any command of the system channel ({@code data} = the argument list) and
   * completes once applied; see the class notes on commands.
   */
  public Future<Void> command(String subject, Object... args) {
    return command(subject, Arrays.asList(args));
  }

  /** {@code channel.create [channel]}. */
  public Future<Void> createChannel(String channel) {
    return command("channel.create", List.of(channel));
  }

  /** {@code channel.size [channel, size]} (admin). */
  public Future<Void> sizeChannel(String channel, int size) {
    return command("channel.size", List.of(channel, size));
  }

  /** {@code channel.priority [channel, 0..99]} (admin). */
  public Future<Void> prioritizeChannel(String channel, int priority) {
    return command("channel.priority", List.of(channel, priority));
  }

  /** {@code endpoint.create [endpoint]}. */
  public Future<Void> createEndpoint(String endpoint) {
    return command("endpoint.create", List.of(endpoint));
  }

  /** {@code endpoint.size [endpoint, size]} (admin). */
  public Future<Void> sizeEndpoint(String endpoint, int size) {
    return command("endpoint.size", List.of(endpoint, size));
  }

  /** {@code stop} (admin): stops the server (the whole cluster) cleanly. */
  public Future<Void> stopServer() {
    return command("stop", List.of());
  }

  /**
   * {@code subscribe.channel} for any endpoint, without a local handler (tools that manage
   * other endpoints' subscriptions). To receive messages yourself use {@link #subscribe}.
   */
  public Future<Void> subscribeChannel(String endpoint, String channelPattern, String subjectPattern) {
    return command("subscribe.channel", List.of(endpoint, channelPattern, subjectPattern == null ? "*" : subjectPattern));
  }

  /** {@code unsubscribe.channel [endpoint, pattern]}: removes every subscription whose channel pattern matches {@code pattern}. */
  public Future<Void> unsubscribeChannel(String endpoint, String pattern) {
    return command("unsubscribe.channel", List.of(endpoint, pattern));
  }

  /** {@code subscribe.message [endpoint, uid, expires]}; {@code expires} null = the server's default. */
  public Future<Void> subscribeMessage(String endpoint, byte[] uid, Duration expires) {
    return command("subscribe.message", expires == null ? List.of(endpoint, uid)
        : List.of(endpoint, uid, expires.toMillis() / 1000.0));
  }

  /** {@code unsubscribe.message [endpoint, uid]}. */
  public Future<Void> unsubscribeMessage(String endpoint, byte[] uid) {
    return command("unsubscribe.message", List.of(endpoint, uid));
  }

  /**
   * Completes once the server has processed everything this client sent before: any
   * {@code error} for earlier publishes has arrived (and gone to {@link #onError}) by then.
   */
  public Future<Void> sync() {
    return command("endpoint.create", List.of(endpoint()));
  }

  /**
   * Stops deliveries to this node ({@code pause}); it can still publish and send commands.
   * Kept across reconnections. Completes when written (a paused node cannot get the echo).
   */
  public Future<Void> pause() {
    return connection.onContext(() -> connection.pause(true));
  }

  /** Restarts deliveries ({@code resume}). */
  public Future<Void> resume() {
    return connection.onContext(() -> connection.pause(false));
  }

  // =====================================================================================
  // subscriptions
  // =====================================================================================

  /**
   * Subscribes this client's endpoint to messages whose channel matches
   * {@code channelPattern} and subject matches {@code subjectPattern} (shell globs), and
   * hands them to {@code handler}; the message is acknowledged when the handler's future
   * completes. The future completes once the server applied the subscription.
   *
   * <pre>{@code
   * client.subscribe("jobs", "*", m -> resize((byte[]) m.data()));   // returns a Future
   * }</pre>
   */
  public Future<Subscription> subscribe(String channelPattern, String subjectPattern, MessageHandler handler) {
    return subscriptions.subscribe(channelPattern, subjectPattern, handler);
  }

  /**
   * Like {@link #subscribe(String, String, MessageHandler)} for a handler that is done when it
   * returns ({@code client.consume("orders", "*", queue::offer)}). A separate name rather than
   * an overload: with both, Java finds {@code m -> f(m)} and {@code q::offer} ambiguous.
   */
  public Future<Subscription> consume(String channelPattern, String subjectPattern, Consumer<Message> handler) {
    Objects.requireNonNull(handler, "handler");
    return subscribe(channelPattern, subjectPattern, (MessageHandler) m -> {
      handler.accept(m);
      return null;
    });
  }

  /** A glob that matches exactly {@code pattern} taken literally; here for the tests of this package. */
  static String literalGlob(String pattern) {
    return Subscriptions.literalGlob(pattern);
  }

  // =====================================================================================
  // request / reply
  // =====================================================================================

  /** The subject replies to {@code requestSubject} go on: {@code <x>.reply} for {@code <x>.request}, else {@code <subject>.reply}. */
  public static String replySubject(String requestSubject) {
    return Requests.replySubject(requestSubject);
  }

  /** The subject a replier's failure goes on: {@code <x>.exception} for {@code <x>.request}, else {@code <subject>.exception}. */
  public static String exceptionSubject(String requestSubject) {
    return Requests.exceptionSubject(requestSubject);
  }

  /** {@link #request(String, String, Object, Duration)} with {@link ClientOptions#requestTimeout}. */
  public Future<Message> request(String channel, String subject, Object data) {
    return request(channel, subject, data, options.requestTimeout());
  }

  /**
   * Publishes a request and completes with its first reply (a message referencing it). A
   * reply on the exception subject fails the future with a {@link RemoteException} carrying
   * the replier's error text; no reply within {@code timeout} fails it with code
   * {@code timeout}; an {@code error} from the server fails it with the server's code.
   *
   * <pre>{@code
   * client.request("users", "user.get.request", Map.of("id", 7), Duration.ofSeconds(2))
   *     .onSuccess(reply -> System.out.println(reply.data()))
   *     .onFailure(e -> System.err.println(e.getMessage()));
   * }</pre>
   */
  public Future<Message> request(String channel, String subject, Object data, Duration timeout) {
    return requests.start(channel, subject, data, timeout, null);
  }

  /**
   * Publishes a request and hands every reply to {@code onReply} until {@code expiry}; the
   * future then completes with the number of replies. Replies on the exception subject are
   * handed over too (see {@link Message#isException()}).
   */
  public Future<Integer> requestStream(String channel, String subject, Object data, Duration expiry,
      Consumer<Message> onReply) {
    Objects.requireNonNull(onReply, "onReply");
    return requests.start(channel, subject, data, expiry, onReply);
  }

  /**
   * Serves requests: every message matching the patterns is passed to {@code handler}, and
   * the value its future yields is published on the same channel with {@code reference} =
   * the request's uid and subject {@link #replySubject}; a failure (failed future or thrown
   * exception) is published on {@link #exceptionSubject} with the error text as data. The
   * request is acknowledged once the reply is written. Messages whose subject ends in
   * {@code .reply} or {@code .exception} are never answered (no reply loops).
   *
   * <pre>{@code
   * client.reply("users", "user.get.request", m -> users.find(m.dataAs(JsonObject.class)));
   * }</pre>
   */
  public Future<Subscription> reply(String channelPattern, String subjectPattern,
      Function<Message, Future<Object>> handler) {
    Objects.requireNonNull(handler, "handler");
    return subscribe(channelPattern, subjectPattern, (MessageHandler) m -> serve(m, handler));
  }

  private Future<?> serve(Message m, Function<Message, Future<Object>> handler) {
    if (Requests.isReplySubject(m.subject())) return null;
    Future<Object> result;
    try {
      result = handler.apply(m);
      if (result == null) result = Future.succeededFuture();
    } catch (Throwable t) {
      result = Future.failedFuture(t);
    }
    return result.transform(ar -> {
      if (ar.succeeded()) {
        return publishWithReference(m.channel(), replySubject(m.subject()), ar.result(), m.uidBytes())
            .recover(e -> e instanceof WsmsgException w && WsmsgException.INVALID.equals(w.code())
                ? publishWithReference(m.channel(), exceptionSubject(m.subject()),
                    "the reply could not be sent: " + e.getMessage(), m.uidBytes())
                : Future.failedFuture(e));
      }
      Throwable t = ar.cause();
      LOG.fine(() -> "replier for " + m.subject() + " failed: " + t);
      return publishWithReference(m.channel(), exceptionSubject(m.subject()), errorText(t), m.uidBytes());
    });
  }

  private static String errorText(Throwable t) {
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }

  // =====================================================================================
  // listeners, accessors, closing
  // =====================================================================================

  /**
   * Called for every message on channel {@code system} that reaches this client, except the
   * echoes of its own commands: server events ({@code node.joined}, {@code channel.created},
   * ... when the endpoint subscribes to {@code system}), commands forwarded to monitors, and
   * the {@code stopping} notice. Such messages also go to matching subscription handlers.
   */
  public WsmsgClient onSystemEvent(Consumer<Message> listener) {
    subscriptions.onSystemEvent(listener);
    return this;
  }

  /**
   * Called for every {@code error} from the server that did not fail a pending future
   * (errors referencing a pending request or command fail that future instead): refused
   * publishes, bad frames... Without a listener such errors are logged.
   */
  public WsmsgClient onError(Consumer<ServerError> listener) {
    subscriptions.onError(listener);
    return this;
  }

  /** Called on every change of {@link #state()}. */
  public WsmsgClient onStateChange(Consumer<ConnectionState> listener) {
    connection.onStateChange(listener);
    return this;
  }

  /**
   * Called on the client's event loop for every connection attempt that fails, with the
   * reason: each URL tried by {@code connect}, and each reconnection attempt (the client keeps
   * trying, with backoff, except after the refusals described in the class notes: that last
   * one is reported after the state became {@code CLOSED}). Code {@code connect_failed}, or
   * {@code unauthorized} for an upgrade refused with HTTP 401/403 ({@link WsmsgException#httpStatus()}).
   * Without a listener, the refusal that closes the client is logged (WARNING).
   */
  public WsmsgClient onConnectFailure(Consumer<WsmsgException> listener) {
    connection.onConnectFailure(listener);
    return this;
  }

  /**
   * Why the client closed by itself: the refusal that ended reconnection (code
   * {@code unauthorized}), the lost connection when reconnection is off
   * ({@code connection_lost}), or the failure of the first connect. Null while the client is
   * open, and after {@link #close()}.
   */
  public WsmsgException closeCause() {
    return connection.closeCause();
  }

  public ConnectionState state() {
    return connection.state();
  }

  /** The endpoint this client is attached to. */
  public String endpoint() {
    return connection.endpoint();
  }

  public Vertx vertx() {
    return connection.vertx();
  }

  public ClientOptions options() {
    return new ClientOptions(options);
  }

  /**
   * Closes the connection (code 1000) and stops reconnecting. Pending requests and commands
   * fail with code {@code closed}. Closes the Vert.x instance when the client made it.
   * Idempotent.
   */
  public Future<Void> close() {
    return connection.close();
  }

  @Override
  public String toString() {
    return "WsmsgClient(endpoint=" + endpoint() + ", state=" + state() + ")";
  }

  // for tests and tools
  int subscriptionCount() {
    return subscriptions.count();
  }

  /** Deliveries held for a handler (see {@link Subscriptions}); read from any thread, for tests. */
  int heldCount() {
    return connection.onContext(() -> Future.succeededFuture(subscriptions.heldCount()))
        .toCompletionStage().toCompletableFuture().join();
  }
}
