package io.wsmsg.client;

import static io.wsmsg.client.Connection.NIL;
import static io.wsmsg.client.Connection.SYSTEM;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.ProtocolException;
import io.wsmsg.protocol.Uid;
import io.wsmsg.protocol.Ulids;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What this endpoint is subscribed to, and where every incoming frame goes: errors to the
 * command or request they reference (else to the error listeners), echoes and replies to
 * {@link Requests}, deliveries to the handlers whose patterns match (acked once all of them
 * are done) or held until such a handler is registered, events to the system listeners.
 * Subscriptions are sent again on every new socket. On the client's context only, except the
 * listener lists.
 */
final class Subscriptions {
  private static final Logger LOG = Logger.getLogger(WsmsgClient.class.getName());
  private static final int SEEN_LIMIT = 16_384;
  /** A delivery held this long without a matching handler is logged (once). */
  static final long UNHANDLED_WARNING_MS = 5000;

  private final Connection connection;
  private final ClientOptions options;
  private final String endpoint;
  private final Requests requests;

  private final CopyOnWriteArrayList<Consumer<Message>> systemListeners = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Consumer<ServerError>> errorListeners = new CopyOnWriteArrayList<>();

  // ---- everything below is touched on the client's context only ----
  private final List<LocalSub> subs = new ArrayList<>();
  /** Channel patterns to unsubscribe once a connection is open again. */
  private final LinkedHashSet<String> unsubscribeOnRestore = new LinkedHashSet<>();
  /** Deliveries received on the current connection and not yet acked. */
  private int inHand;
  /**
   * Deliveries of the current connection that no handler matched yet, in arrival order: held
   * unacknowledged until a matching handler is registered. At most the window (the server
   * sends no more unacknowledged); see {@link #hold}.
   */
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  /** True while {@link #releaseHeld} runs: a handler subscribing inline does not re-enter it. */
  private boolean releasing;
  /** Recently handled deliveries: a redelivery is acked without calling handlers again. */
  private final LinkedHashMap<Uid, Boolean> seen = new LinkedHashMap<>(256, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Uid, Boolean> eldest) {
      return size() > SEEN_LIMIT;
    }
  };

  Subscriptions(Connection connection, ClientOptions options, Requests requests) {
    this.connection = connection;
    this.options = options;
    this.endpoint = connection.endpoint();
    this.requests = requests;
  }

  void onSystemEvent(Consumer<Message> listener) {
    systemListeners.add(Objects.requireNonNull(listener));
  }

  void onError(Consumer<ServerError> listener) {
    errorListeners.add(Objects.requireNonNull(listener));
  }

  // =====================================================================================
  // subscribing
  // =====================================================================================

  /** Registers {@code handler}; the future completes once the server applied the subscription. */
  Future<Subscription> subscribe(String channelPattern, String subjectPattern, MessageHandler handler) {
    Objects.requireNonNull(handler, "handler");
    try {
      checkPattern(channelPattern, "channel pattern", false);
      checkPattern(subjectPattern, "subject pattern", true);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(Connection.invalid(e));
    }
    return connection.onContext(() -> {
      if (connection.closing()) return Future.failedFuture(new WsmsgException(WsmsgException.CLOSED, "the client is closed"));
      LocalSub s = new LocalSub(channelPattern, subjectPattern, handler);
      boolean established = false;
      for (LocalSub o : subs) established |= o.is(s.ch, s.sub) && o.ready.future().succeeded();
      subs.add(s);
      if (established) s.ready.complete(s);
      else if (connection.socket() != null) sendSubscribe(s.ch, s.sub);
      // else: sent when a connection is open again
      releaseHeld(); // deliveries that arrived before this handler was registered
      return s.ready.future();
    });
  }

  private static void checkPattern(String p, String what, boolean mayBeEmpty) {
    if (p == null) throw new IllegalArgumentException("the " + what + " must not be null");
    int n = p.getBytes(StandardCharsets.UTF_8).length;
    if ((!mayBeEmpty && n == 0) || n > FrameCodec.MAX_NAME_BYTES) {
      throw new IllegalArgumentException("the " + what + " must have " + (mayBeEmpty ? 0 : 1) + " to 255 bytes of UTF-8");
    }
  }

  private Future<Void> sendSubscribe(String ch, String sub) {
    return requests.confirmed("subscribe.channel", List.of(endpoint, ch, sub)).andThen(ar -> {
      boolean serverRefused = ar.failed() && ar.cause() instanceof WsmsgException e && e.isServerError();
      boolean pendingFailed = false;
      for (LocalSub s : new ArrayList<>(subs)) {
        if (!s.is(ch, sub) || s.ready.future().isComplete()) continue;
        if (ar.succeeded()) {
          s.ready.tryComplete(s);
        } else if (serverRefused) {
          subs.remove(s);
          s.ready.tryFail(ar.cause());
          pendingFailed = true;
        }
        // connection lost: the next connection sends it again
      }
      if (serverRefused && !pendingFailed) {
        LOG.warning("the server refused to restore subscription (" + ch + ", " + sub + ") of endpoint " + endpoint
            + ": " + ar.cause().getMessage());
      }
    });
  }

  private Future<Void> unsubscribe(LocalSub s) {
    return connection.onContext(() -> {
      if (!subs.remove(s)) return Future.succeededFuture();
      s.ready.tryFail(new WsmsgException(WsmsgException.CLOSED, "unsubscribed before the server confirmed"));
      if (connection.closing()) return Future.succeededFuture();
      for (LocalSub o : subs) {
        if (o.is(s.ch, s.sub)) return Future.succeededFuture(); // another handler still needs it
      }
      String pattern = literalGlob(s.ch);
      if (connection.socket() == null) {
        unsubscribeOnRestore.add(pattern);
        return Future.succeededFuture();
      }
      Future<Void> f = requests.confirmed("unsubscribe.channel", List.of(endpoint, pattern));
      // unsubscribe.channel removes every subscription of the endpoint whose channel pattern
      // the pattern matches, all subject filters included: send the ones still wanted again.
      Glob g = Glob.compile(pattern);
      for (List<String> pair : distinctPairs(o -> g.matches(o.ch))) sendSubscribe(pair.get(0), pair.get(1));
      return f;
    });
  }

  /** A glob that matches exactly {@code pattern} taken literally (when it fits in 255 bytes). */
  static String literalGlob(String pattern) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '*' || c == '?' || c == '[') sb.append('[').append(c).append(']');
      else sb.append(c);
    }
    String escaped = sb.toString();
    return escaped.getBytes(StandardCharsets.UTF_8).length <= FrameCodec.MAX_NAME_BYTES ? escaped : pattern;
  }

  private List<List<String>> distinctPairs(Predicate<LocalSub> filter) {
    LinkedHashSet<List<String>> pairs = new LinkedHashSet<>();
    for (LocalSub s : subs) if (filter.test(s)) pairs.add(List.of(s.ch, s.sub));
    return new ArrayList<>(pairs);
  }

  // =====================================================================================
  // a new socket, a lost one, closing
  // =====================================================================================

  /** A new socket: nothing of it is in hand yet. */
  void attached() {
    inHand = 0;
  }

  /** Sends the unsubscriptions made while disconnected; the futures say when they are applied. */
  List<Future<?>> sendUnsubscriptions() {
    List<Future<?>> waits = new ArrayList<>();
    for (String p : new ArrayList<>(unsubscribeOnRestore)) {
      waits.add(requests.confirmed("unsubscribe.channel", List.of(endpoint, p)).andThen(ar -> {
        if (ar.succeeded() || (ar.cause() instanceof WsmsgException e && e.isServerError())) {
          unsubscribeOnRestore.remove(p);
        }
      }));
    }
    return waits;
  }

  /** Sends every subscription again (idempotent on the server); the futures say when they are applied. */
  List<Future<?>> resubscribe() {
    List<Future<?>> waits = new ArrayList<>();
    for (List<String> pair : distinctPairs(s -> true)) waits.add(sendSubscribe(pair.get(0), pair.get(1)));
    return waits;
  }

  /** The client closes: subscriptions not yet confirmed fail, held deliveries are left to the server. */
  void closed(WsmsgException e) {
    for (LocalSub s : subs) s.ready.tryFail(e);
    dropHeld();
  }

  /** Periodic: warns about deliveries held too long. */
  void tick(long nowMs) {
    if (!held.isEmpty()) warnHeld(nowMs);
  }

  /** True when every window slot is held by a delivery not yet acked. */
  boolean windowFull() {
    return inHand >= options.window();
  }

  // =====================================================================================
  // receiving
  // =====================================================================================

  /** Routes one frame received on the socket of {@code gen}. */
  void received(Buffer b, int gen) {
    Frame f;
    try {
      f = FrameCodec.decode(b.getBytes());
    } catch (ProtocolException e) {
      LOG.warning("the server sent a frame that is not a wsmsg message: " + e.getMessage());
      return;
    }
    boolean system = SYSTEM.equals(f.channel());
    if (system && "error".equals(f.subject())) { // a notice: no ack
      onServerError(f);
      return;
    }
    if (system && "stopping".equals(f.subject())) { // a notice: no ack
      // It references the stop command that caused it: that command is applied. Its echo
      // travels the system channel and may be held by the stop's freeze behind the close.
      if (f.reference() != null) requests.echo(Uid.of(f.reference()));
      notifySystem(Message.of(f));
      return;
    }
    inHand++; // every delivery is acked exactly once below, now or when its handlers are done
    Uid u = Uid.of(f.uid());
    if (seen.containsKey(u)) {
      LOG.fine(() -> "redelivery of " + u + " acknowledged without calling handlers again");
      ack(f.uid(), gen);
      return;
    }
    seen.put(u, Boolean.TRUE);
    byte[] ref = f.reference();
    if (system) {
      if (requests.echo(u)) { // the echo of one of our commands
        ack(f.uid(), gen);
        return;
      }
      // Anything else on system is an event, never a reply: events reference the message that
      // caused them (channel.created references the publish that created the channel), so
      // they also reach the endpoint through a request's message subscription.
    } else if (ref != null) {
      Uid r = Uid.of(ref);
      if (requests.isReply(r)) { // consumed by its request; a late one is dropped quietly
        ack(f.uid(), gen);
        requests.reply(r, f);
        return;
      }
    }
    Message m = Message.of(f);
    if (system) notifySystem(m);
    dispatch(m, gen, system);
  }

  private void dispatch(Message m, int gen, boolean system) {
    List<LocalSub> matching = matching(m);
    if (matching != null) {
      run(m, matching, gen);
    } else if (system) {
      // an event or a forwarded command: it went to the system listeners, nobody works on it
      ack(m.uidBytes(), gen);
    } else {
      hold(m, gen);
    }
  }

  /** The handlers whose patterns match, or null; collected first: a handler may subscribe or unsubscribe inline. */
  private List<LocalSub> matching(Message m) {
    List<LocalSub> matching = null;
    for (LocalSub s : subs) {
      if (!s.matches(m.channel(), m.subject())) continue;
      if (matching == null) matching = new ArrayList<>(1);
      matching.add(s);
    }
    return matching;
  }

  /**
   * No handler matches this delivery (yet): typically a node attaching to an endpoint that
   * holds messages is sent the first ones before its code registered its handlers. Acking it
   * would lose it, so it is kept unacknowledged, occupying its window slot, until a matching
   * handler is registered ({@link #releaseHeld}) or the connection ends (then the server's
   * rules for the unacknowledged deliveries of a node that left apply).
   */
  private void hold(Message m, int gen) {
    if (gen != connection.generation()) return;
    if (held.size() >= options.window()) {
      // the server only sends more than the window when the oldest ones passed its ack
      // timeout: it counted them lost and freed their slots, so they are given up here too
      Held old = held.pollFirst();
      inHand--;
      LOG.warning("endpoint " + endpoint + ": gave up " + old.m + ", held " + (System.currentTimeMillis() - old.since)
          + " ms without a matching handler; the server counted it lost when its ack timeout passed");
    }
    held.addLast(new Held(m, gen, System.currentTimeMillis()));
    LOG.fine(() -> "endpoint " + endpoint + ": holding " + m + " until a handler matches it");
  }

  /** Hands held deliveries that a handler now matches to it, in arrival order. */
  private void releaseHeld() {
    if (releasing || held.isEmpty()) return;
    releasing = true;
    try {
      while (true) {
        Held next = null;
        List<LocalSub> matching = null;
        for (Iterator<Held> it = held.iterator(); it.hasNext(); ) {
          Held h = it.next();
          matching = matching(h.m);
          if (matching != null) {
            it.remove();
            next = h;
            break;
          }
        }
        if (next == null) return;
        run(next.m, matching, next.gen); // may subscribe, unsubscribe or close: search again
      }
    } finally {
      releasing = false;
    }
  }

  /** Forgets what the lost or closed connection held; it was not acked, the server settles it. */
  void dropHeld() {
    for (Held h : held) seen.remove(Uid.of(h.m.uidBytes())); // a requeued copy must be handled when it comes back
    if (!held.isEmpty()) {
      LOG.fine(() -> "endpoint " + endpoint + ": " + held.size() + " held deliveries left unacknowledged with their connection");
    }
    held.clear();
  }

  /** Logs, once each, the deliveries held for a while without a matching handler: not silent. */
  private void warnHeld(long now) {
    Held first = null;
    int n = 0;
    for (Held h : held) {
      if (h.warned || now - h.since < UNHANDLED_WARNING_MS) continue;
      h.warned = true;
      if (first == null) first = h;
      n++;
    }
    if (first == null) return;
    LOG.warning("endpoint " + endpoint + ": " + (n == 1 ? "a delivery has" : n + " deliveries have") + " waited over "
        + UNHANDLED_WARNING_MS / 1000 + " s for a handler (" + (n == 1 ? "" : "first: ") + first.m
        + "); it stays unacknowledged, holding a window slot, until subscribe() or reply() registers a handler"
        + " that matches it; when the connection ends first, or the server's delivery.ackTimeoutSeconds passes,"
        + " the server's rules for unacknowledged deliveries apply");
  }

  private static final class Held {
    final Message m;
    final int gen;
    final long since;
    boolean warned;

    Held(Message m, int gen, long since) {
      this.m = m;
      this.gen = gen;
      this.since = since;
    }
  }

  private void run(Message m, List<LocalSub> matching, int gen) {
    List<Future<?>> running = new ArrayList<>(matching.size());
    for (LocalSub s : matching) running.add(invoke(s, m));
    Future<?> all = running.size() == 1 ? running.get(0) : Future.join(running);
    if (all.isComplete() && connection.onContextNow()) {
      ack(m.uidBytes(), gen);
    } else {
      all.onComplete(ar -> connection.runOnContext(() -> ack(m.uidBytes(), gen)));
    }
  }

  private Future<?> invoke(LocalSub s, Message m) {
    Future<?> r;
    try {
      r = s.handler.handle(m);
      if (r == null) return Future.succeededFuture();
    } catch (Throwable t) {
      logHandlerFailure(s, m, t);
      return Future.succeededFuture();
    }
    return r.recover(t -> {
      logHandlerFailure(s, m, t);
      return Future.succeededFuture();
    });
  }

  private static void logHandlerFailure(LocalSub s, Message m, Throwable t) {
    LOG.log(Level.WARNING, "the handler of subscription (" + s.ch + ", " + s.sub + ") failed on " + m
        + "; the message is acknowledged anyway: " + t, t);
  }

  private void ack(byte[] uid, int gen) {
    WebSocket w = connection.socket();
    if (gen != connection.generation() || w == null) return; // that delivery belonged to a lost connection
    inHand--;
    connection.send(w, Ulids.next(), SYSTEM, "ack", uid, NIL);
  }

  private void onServerError(Frame f) {
    String code = "error";
    String text = "";
    try {
      Object d = MsgPack.unpack(f.rawBytes(), f.dataOffset(), f.dataLength());
      if (d instanceof List<?> l) {
        if (l.size() > 0 && l.get(0) != null) code = String.valueOf(l.get(0));
        if (l.size() > 1 && l.get(1) != null) text = String.valueOf(l.get(1));
      } else if (d != null) {
        text = String.valueOf(d);
      }
    } catch (IllegalArgumentException e) {
      text = "(an error whose data is not msgpack)";
    }
    ServerError e = new ServerError(code, text, f.reference());
    if (f.reference() != null && requests.fail(Uid.of(f.reference()), e)) return;
    if (errorListeners.isEmpty()) {
      LOG.warning("the server refused a message: " + e);
      return;
    }
    for (Consumer<ServerError> l : errorListeners) {
      try {
        l.accept(e);
      } catch (RuntimeException x) {
        LOG.log(Level.WARNING, "an error listener failed", x);
      }
    }
  }

  private void notifySystem(Message m) {
    for (Consumer<Message> l : systemListeners) {
      try {
        l.accept(m);
      } catch (RuntimeException x) {
        LOG.log(Level.WARNING, "a system event listener failed", x);
      }
    }
  }

  // for tests and tools
  int count() {
    return subs.size();
  }

  int heldCount() {
    return held.size();
  }

  private final class LocalSub implements Subscription {
    final String ch;
    final String sub;
    final Glob chGlob;
    final Glob subGlob;
    final MessageHandler handler;
    final Promise<Subscription> ready = Promise.promise();

    LocalSub(String ch, String sub, MessageHandler handler) {
      this.ch = ch;
      this.sub = sub;
      this.chGlob = Glob.compile(ch);
      this.subGlob = Glob.compile(sub);
      this.handler = handler;
    }

    boolean is(String c, String s) {
      return ch.equals(c) && sub.equals(s);
    }

    boolean matches(String channel, String subject) {
      return chGlob.matches(channel) && subGlob.matches(subject);
    }

    @Override
    public String channelPattern() {
      return ch;
    }

    @Override
    public String subjectPattern() {
      return sub;
    }

    @Override
    public Future<Void> unsubscribe() {
      return Subscriptions.this.unsubscribe(this);
    }

    @Override
    public String toString() {
      return "Subscription(" + endpoint + ", '" + ch + "', '" + sub + "')";
    }
  }
}
