package io.wsmsg.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.wsmsg.gateway.RateLimitedLog;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The outbound budget of each peer (cluster.peerBudgetKiB): how many bytes of DELIVER messages
 * may be on their way to one member without it having confirmed them.
 *
 * <p>Why: the event bus queues whatever is sent to a member without limit, in memory, while
 * that member does not read (SIGSTOP, a long GC pause, a full disk) until Hazelcast declares it
 * dead. A hung member must cost the endpoints it owns, not the memory and pace of the others.
 * Past the budget, messages for that member's endpoints are dropped here and counted as
 * {@link Counters.Drop#PEER_BACKLOG}, on a member that stays up.
 *
 * <p>How a member confirms: DELIVERs stay one-way; now and then (at most every
 * {@link #MARK_EVERY_MILLIS} ms, or after a quarter of the budget) a PING request follows them
 * on the same event-bus connection. The peer's gateway handles its messages in order, so its
 * answer says every DELIVER sent before the PING has reached its endpoint queues. A PING not
 * answered within {@link #markTimeoutMillis} (the failure detection time and then some: the
 * member hung until it was removed, or died) settles everything unconfirmed as
 * {@link Counters.Drop#UNREACHABLE}, unless the member is gone and its endpoints have new
 * owners: then they are sent again, to those (see {@link #takeUnconfirmed}). Any other failure
 * (no handler: the member left, or is leaving, and hands its queues on) settles it without
 * counting.
 *
 * <p>Why keep what is unconfirmed: a member killed (kill -9, a crash, a lost machine) takes
 * with it what it held, but the messages the others sent it since its last confirmation are
 * still here, frames being immutable byte arrays. Sent again to the new owners once the dead
 * member's endpoints are reassigned, nothing published after the death is lost; the price is
 * at-least-once for the last confirmation interval (about {@link #MARK_EVERY_MILLIS} ms): what
 * the dead member had already delivered in it may come twice, with the same uid. What this
 * keeps is bounded by the budget itself.
 * Thread-safe: every channel router calls it from its own event loop.
 */
public final class PeerBudgets {
  private static final Logger LOG = Logger.getLogger(PeerBudgets.class.getName());
  /** A confirmation is asked for at most this often per member (unless a quarter of the budget went out). */
  static final long MARK_EVERY_MILLIS = 20;
  private static final Buffer PING = new PeerWire.Writer(PeerWire.PING, 1).buffer();

  private final long limitBytes;
  private final long markTimeoutMillis;
  private final Counters counters;
  private final Map<String, Peer> peers = new ConcurrentHashMap<>();
  private final RateLimitedLog overLog = new RateLimitedLog(LOG, 10_000);

  /** A DELIVER sent to a member and not yet confirmed by it. {@code end}: the member's byte count after it. */
  public record Unconfirmed(long end, Frame frame, List<String> endpoints, int priority) {}

  /** Who decides about what a member never confirmed because its confirmation failed. */
  public interface LostHandler {
    /**
     * Called on a router's thread with what {@code member} never confirmed: its confirmation
     * timed out ({@code timedOut}: silent past the failure detection time) or failed otherwise
     * (no handler: it left or is leaving). The handler sends the messages again to new owners
     * if the member is gone, or counts them as dropped if it hung; nothing is settled silently.
     */
    void lost(String member, List<Unconfirmed> lost, boolean timedOut, String why);
  }

  private volatile LostHandler lostHandler;

  /** Counts for one member; guarded by its own monitor. */
  static final class Peer {
    /** What went out and is not confirmed, oldest first; bounded by the budget. */
    final ArrayDeque<Unconfirmed> held = new ArrayDeque<>();
    long sentBytes;
    long sentCopies;
    long ackedBytes;
    long ackedCopies;
    boolean marking;
    long lastMarkAt;
    long markedBytes;
  }

  /**
   * @param limitBytes bytes that may be unconfirmed per member
   * @param markTimeoutMillis how long a confirmation may take before what it covers counts as lost
   */
  public PeerBudgets(long limitBytes, long markTimeoutMillis, Counters counters) {
    this.limitBytes = limitBytes;
    this.markTimeoutMillis = markTimeoutMillis;
    this.counters = counters;
  }

  public void lostHandler(LostHandler h) {
    this.lostHandler = h;
  }

  /**
   * Takes room for a DELIVER of {@code bytes} to {@code member} carrying {@code frame} for
   * {@code endpoints}; false (and counted dropped) when the member's budget is spent. One
   * message always goes to a member with nothing unconfirmed, however large.
   */
  public boolean take(String member, int bytes, Frame frame, List<String> endpoints, int priority) {
    int copies = endpoints.size();
    Peer p = peers.computeIfAbsent(member, k -> new Peer());
    synchronized (p) {
      long unconfirmed = p.sentBytes - p.ackedBytes;
      if (unconfirmed > 0 && unconfirmed + bytes > limitBytes) {
        counters.drop(Counters.Drop.PEER_BACKLOG, copies);
        overLog.log("member " + member + " has not confirmed " + (unconfirmed >> 10) + " KiB of messages sent to it"
            + " (cluster.peerBudgetKiB " + (limitBytes >> 10) + "): messages for the endpoints it owns are dropped"
            + " (wsmsg_messages_dropped_total{reason=\"peer_backlog\"}) until it catches up or leaves the cluster;"
            + " is it hung, paused or overloaded?");
        return false;
      }
      p.sentBytes += bytes;
      p.sentCopies += copies;
      p.held.addLast(new Unconfirmed(p.sentBytes, frame, endpoints, priority));
      return true;
    }
  }

  /** After a DELIVER went to {@code member}: asks for a confirmation when one is due. */
  public void sent(Vertx vertx, String member) {
    Peer p = peers.get(member);
    if (p != null) mark(vertx, member, p, false);
  }

  private void mark(Vertx vertx, String member, Peer p, boolean now) {
    long bytes;
    long copies;
    synchronized (p) {
      if (p.marking || p.sentBytes == p.ackedBytes) return;
      long t = System.currentTimeMillis();
      if (!now && t - p.lastMarkAt < MARK_EVERY_MILLIS && p.sentBytes - p.markedBytes < limitBytes / 4) return;
      p.marking = true;
      p.lastMarkAt = t;
      p.markedBytes = bytes = p.sentBytes;
      copies = p.sentCopies;
    }
    vertx.eventBus().request(PeerWire.gatewayAddress(member), PING, new DeliveryOptions().setSendTimeout(markTimeoutMillis))
        .onComplete(ar -> {
          long lost;
          boolean more;
          List<Unconfirmed> unconfirmed = null;
          LostHandler h = lostHandler;
          boolean timedOut = timedOut(ar.cause());
          synchronized (p) {
            p.marking = false;
            if (ar.failed() && (timedOut || h != null)) {
              // silent that long, the member hung past its removal or died: what went after the
              // PING went into the same dead connection (or, once it was removed, to no handler)
              lost = p.sentCopies - p.ackedCopies;
              unconfirmed = new ArrayList<>(p.held);
              p.held.clear();
              p.ackedBytes = p.sentBytes;
              p.ackedCopies = p.sentCopies;
            } else {
              lost = 0;
              long upTo = ar.succeeded() ? bytes : p.sentBytes; // no handler: it left and handed on
              while (!p.held.isEmpty() && p.held.peekFirst().end() <= upTo) p.held.pollFirst();
              p.ackedBytes = Math.max(p.ackedBytes, bytes);
              p.ackedCopies = Math.max(p.ackedCopies, copies);
            }
            more = p.sentBytes > p.ackedBytes;
          }
          if (h != null && unconfirmed != null) {
            if (!unconfirmed.isEmpty()) h.lost(member, unconfirmed, timedOut, ar.cause().getMessage());
          } else if (lost > 0) {
            counters.drop(Counters.Drop.UNREACHABLE, lost);
            LOG.warning(lost + " messages sent to member " + member + " were never confirmed (" + ar.cause().getMessage()
                + "): counted as dropped (unreachable)");
          }
          // what went out after this confirmation was asked for needs one too, traffic or not
          if (more) vertx.setTimer(MARK_EVERY_MILLIS, t -> mark(vertx, member, p, true));
        });
  }

  /**
   * Everything {@code member} has not confirmed, taken out (and no longer waited for): called
   * once the member is gone and its endpoints have new owners, which should get these.
   */
  public List<Unconfirmed> takeUnconfirmed(String member) {
    Peer p = peers.get(member);
    if (p == null) return List.of();
    synchronized (p) {
      List<Unconfirmed> out = new ArrayList<>(p.held);
      p.held.clear();
      p.ackedBytes = p.sentBytes;
      p.ackedCopies = p.sentCopies;
      return out;
    }
  }

  private static boolean timedOut(Throwable e) {
    return e instanceof io.vertx.core.eventbus.ReplyException re
        && re.failureType() == io.vertx.core.eventbus.ReplyFailure.TIMEOUT;
  }

  /** Bytes sent to {@code member} and not yet confirmed (for status and tests). */
  public long unconfirmedBytes(String member) {
    Peer p = peers.get(member);
    if (p == null) return 0;
    synchronized (p) {
      return p.sentBytes - p.ackedBytes;
    }
  }

  public long limitBytes() {
    return limitBytes;
  }
}
