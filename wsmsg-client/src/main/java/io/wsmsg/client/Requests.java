package io.wsmsg.client;

import static io.wsmsg.client.Connection.SYSTEM;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Uid;
import io.wsmsg.protocol.Ulids;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What this client awaits an answer to, correlated by uid: its requests (a reply is a message
 * whose {@code reference} is the request's uid; it comes through a {@code subscribe.message}
 * for that uid, renewed on every reconnection) and its commands (confirmed by their echo, or by
 * silence when no error came in time). Timeouts, server errors that reference either, and
 * answers that come late are settled here. On the client's context only.
 */
final class Requests {
  private static final Logger LOG = Logger.getLogger(WsmsgClient.class.getName());
  private static final int FINISHED_LIMIT = 100_000;
  private static final long WINDOW_FULL_GRACE_MS = 250;

  private final Connection connection;
  private final Vertx vertx;
  private final ClientOptions options;
  private final String endpoint;
  /** True when every window slot is held by a delivery not yet acked: no echo can come. */
  private final BooleanSupplier windowFull;
  /** Commands waiting for their echo, by command uid. */
  private final PendingTable<Promise<Void>> commands = new PendingTable<>(FINISHED_LIMIT);
  private final PendingTable<PendingRequest> requests = new PendingTable<>(FINISHED_LIMIT);

  Requests(Connection connection, ClientOptions options, BooleanSupplier windowFull) {
    this.connection = connection;
    this.vertx = connection.vertx();
    this.options = options;
    this.endpoint = connection.endpoint();
    this.windowFull = windowFull;
  }

  /** The subject replies to {@code requestSubject} go on. */
  static String replySubject(String requestSubject) {
    return base(requestSubject) + ".reply";
  }

  /** The subject a replier's failure goes on. */
  static String exceptionSubject(String requestSubject) {
    return base(requestSubject) + ".exception";
  }

  private static String base(String s) {
    return s.endsWith(".request") ? s.substring(0, s.length() - ".request".length()) : s;
  }

  static boolean isReplySubject(String s) {
    return s.endsWith(".reply") || s.endsWith(".exception");
  }

  // =====================================================================================
  // commands
  // =====================================================================================

  /**
   * Sends a command and completes once the server applied it (its echo came back), fails
   * with the server's error, or completes after the confirm timeout when no error came.
   */
  Future<Void> confirmed(String subject, List<?> args) {
    WebSocket w = connection.socket();
    if (w == null) return connection.notConnected();
    byte[] c = Ulids.next();
    Uid cu = Uid.of(c);
    byte[] s = Ulids.next();
    Uid su = Uid.of(s);
    Promise<Void> p = Promise.promise();
    long confirmMs = options.confirmTimeout().toMillis();
    boolean paused = connection.paused();
    // Paused, or every window slot held by a delivery still being handled (typically: this
    // command is awaited inside a handler): the echo cannot come until a slot frees, so only
    // wait a short grace for an error, which the server sends at once, outside the window.
    long waitMs = paused || windowFull.getAsBoolean() ? Math.min(confirmMs, WINDOW_FULL_GRACE_MS) : confirmMs;
    try {
      byte[] frame = connection.encode(c, SYSTEM, subject, c, args == null ? List.of() : args);
      // A paused node cannot get the echo: asked for, it would only wait in the endpoint's
      // queue (a shared one's other nodes would be handed it), so it is not asked for.
      if (!paused) {
        connection.send(w, s, SYSTEM, "subscribe.message", null, List.of(endpoint, c, confirmMs / 1000.0 + 10));
      }
      commands.put(cu, p);
      commands.alias(su, cu);
      w.writeBinaryMessage(Buffer.buffer(frame)).onFailure(e -> {
        if (commands.remove(cu) != null) {
          p.tryFail(new WsmsgException(WsmsgException.CONNECTION_LOST, "the command could not be written", e));
        }
      });
    } catch (RuntimeException e) {
      return Future.failedFuture(Connection.invalid(e));
    }
    long timer = vertx.setTimer(waitMs, id -> {
      if (commands.remove(cu) != null) p.tryComplete(); // no error came: applied
    });
    return p.future().andThen(ar -> {
      vertx.cancelTimer(timer);
      commands.unalias(su);
      commands.finish(cu, System.currentTimeMillis() + confirmMs + 60_000);
    });
  }

  /** True when {@code uid}, received on channel system, is the echo of one of this client's commands (it is settled). */
  boolean echo(Uid uid) {
    Promise<Void> p = commands.remove(uid);
    if (p == null) return answered(uid);
    p.tryComplete();
    return true;
  }

  /** A command or request of this client that finished recently: what still references it comes late. */
  private boolean answered(Uid uid) {
    return commands.isFinished(uid) || requests.isFinished(uid);
  }

  // =====================================================================================
  // requests
  // =====================================================================================

  /** Publishes a request; the future gives its reply (no stream) or the number of replies (a stream). */
  <T> Future<T> start(String channel, String subject, Object data, Duration timeout, Consumer<Message> stream) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      return Future.failedFuture(Connection.invalid(new IllegalArgumentException("the timeout must be positive")));
    }
    byte[] uid = Ulids.next();
    byte[] frame;
    try {
      frame = connection.encode(uid, channel, subject, null, data);
    } catch (RuntimeException e) {
      return Future.failedFuture(Connection.invalid(e));
    }
    return connection.onContext(() -> {
      WebSocket w = connection.socket();
      if (w == null) return connection.notConnected();
      PendingRequest r = new PendingRequest(uid, channel, subject, System.currentTimeMillis() + timeout.toMillis(), stream);
      requests.put(r.key, r);
      r.timer = vertx.setTimer(timeout.toMillis(), id -> r.expire());
      subscribeReplies(w, r);
      w.writeBinaryMessage(Buffer.buffer(frame)).onFailure(e -> r.fail(new WsmsgException(
          WsmsgException.CONNECTION_LOST, "the request could not be written: " + e.getMessage(), e)));
      @SuppressWarnings("unchecked")
      Future<T> f = (Future<T>) r.promise.future();
      return f;
    });
  }

  private void subscribeReplies(WebSocket w, PendingRequest r) {
    long left = r.deadline - System.currentTimeMillis();
    if (left <= 0) return;
    byte[] s = Ulids.next();
    Uid su = Uid.of(s);
    requests.alias(su, r.key);
    r.aliases.add(su);
    connection.send(w, s, SYSTEM, "subscribe.message", null, List.of(endpoint, r.uid, left / 1000.0 + 1));
  }

  /** A new socket: every request in flight asks again for its replies (they may wait in the endpoint's queue). */
  void resubscribe(WebSocket w) {
    for (PendingRequest r : requests.entries()) subscribeReplies(w, r);
  }

  /** True when a message referencing {@code reference} answers one of this client's requests (or comes late for a finished one). */
  boolean isReply(Uid reference) {
    return requests.get(reference) != null || answered(reference);
  }

  /** Hands a reply to its pending request; a late one (the request finished) is dropped quietly. */
  void reply(Uid reference, Frame f) {
    PendingRequest pr = requests.get(reference);
    if (pr != null) pr.onReply(Message.of(f));
  }

  // =====================================================================================
  // settling
  // =====================================================================================

  /** Fails the command or request an error references (directly or through a helper's uid); false when none. */
  boolean fail(Uid reference, ServerError e) {
    Promise<Void> p = commands.remove(commands.resolve(reference));
    if (p != null) {
      p.tryFail(WsmsgException.fromServer(e));
      return true;
    }
    PendingRequest pr = requests.get(requests.resolve(reference));
    if (pr != null) {
      pr.fail(WsmsgException.fromServer(e));
      return true;
    }
    return false;
  }

  /**
   * The socket is gone: commands awaiting their echo fail (they may or may not have been
   * applied); requests stay, their replies wait for the next socket.
   */
  void connectionLost(WsmsgException e) {
    failCommands(e);
  }

  /** The client closes: everything pending fails. */
  void closed(WsmsgException e) {
    failCommands(e);
    for (PendingRequest r : requests.entries()) r.fail(e);
  }

  private void failCommands(WsmsgException e) {
    for (Promise<Void> p : commands.entries()) p.tryFail(e);
    commands.clear();
  }

  /** Forgets the finished commands and requests whose late answers can no longer come. */
  void forgetFinished(long nowMs) {
    commands.forgetFinished(nowMs);
    requests.forgetFinished(nowMs);
  }

  private final class PendingRequest {
    final byte[] uid;
    final Uid key;
    final String channel;
    final String subject;
    final long deadline;
    final Consumer<Message> stream;
    final Promise<Object> promise = Promise.promise();
    /** uids of the subscribe.message sent for this request (one per socket). */
    final List<Uid> aliases = new ArrayList<>(1);
    final long created = System.currentTimeMillis();
    long timer = -1;
    int count;

    PendingRequest(byte[] uid, String channel, String subject, long deadline, Consumer<Message> stream) {
      this.uid = uid;
      this.key = Uid.of(uid);
      this.channel = channel;
      this.subject = subject;
      this.deadline = deadline;
      this.stream = stream;
    }

    void onReply(Message m) {
      if (stream != null) {
        count++;
        try {
          stream.accept(m);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "a request stream consumer failed on " + m, e);
        }
        return;
      }
      List<Uid> subscribed = new ArrayList<>(aliases);
      finish();
      release(subscribed);
      if (m.subject().equals(exceptionSubject(subject))) {
        Object d;
        try {
          d = m.data();
        } catch (IllegalArgumentException e) {
          d = null;
        }
        promise.tryFail(new RemoteException(d instanceof String s ? s : Repr.of(d), m));
      } else {
        promise.tryComplete(m);
      }
    }

    void expire() {
      timer = -1;
      if (requests.get(key) != this) return;
      finish();
      if (stream != null) {
        promise.tryComplete(count);
      } else {
        promise.tryFail(new WsmsgException(WsmsgException.TIMEOUT, "no reply to " + subject + " on channel "
            + channel + " within " + (deadline - created) + " ms"));
      }
    }

    void fail(Throwable t) {
      if (requests.get(key) != this) return;
      finish();
      promise.tryFail(t);
    }

    /**
     * A single-reply request is answered: its message subscriptions on the server are no
     * longer needed, so they are removed now (fire and forget) rather than left to expire and
     * count against the server's limit.
     */
    private void release(List<Uid> extra) {
      WebSocket w = connection.socket();
      if (w == null) return;
      connection.send(w, Ulids.next(), SYSTEM, "unsubscribe.message", null, List.of(endpoint, uid));
      for (Uid a : extra) {
        connection.send(w, Ulids.next(), SYSTEM, "unsubscribe.message", null, List.of(endpoint, a.bytes()));
      }
    }

    private void finish() {
      if (timer >= 0) vertx.cancelTimer(timer);
      timer = -1;
      for (Uid a : aliases) requests.unalias(a);
      // the server-side message subscription lives until deadline + 1 s: drop late replies quietly till then
      requests.finish(key, Math.max(deadline, System.currentTimeMillis()) + 5000);
    }
  }
}
