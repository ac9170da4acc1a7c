package io.wsmsg.cli.bench;

import io.vertx.core.Context;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives one sender on its own context from backpressure, never by polling: it sends while
 * (1) fewer than {@code inflight} of its messages are unreceived, (2) the pace allows
 * ({@code --rate}) and (3) the socket's write queue is not full. When (1) stops it, a
 * receiver's {@link #credit()} wakes it; (2) sets a timer; (3) registers a drain handler.
 * It yields to the event loop every few hundred sends so reads (acks) are not starved.
 */
abstract class Producer {
  private static final int BATCH = 256;
  final Context ctx;
  final Stats stats;
  final int index;
  private final long inflight;
  private final long resumeAt;
  private final double perNano;
  /** Shared budget of messages over all producers (--count), or null. */
  private final AtomicLong budget;
  private final AtomicBoolean waiting = new AtomicBoolean();
  private volatile boolean stopped;
  private long t0;
  long sent;

  Producer(Context ctx, Stats stats, int index, int inflight, double ratePerSecond, AtomicLong budget) {
    this.ctx = ctx;
    this.stats = stats;
    this.index = index;
    this.inflight = inflight;
    // wake a producer held by its in-flight cap once an eighth of the window has come back
    this.resumeAt = inflight - Math.max(1, inflight / 8);
    this.perNano = ratePerSecond / 1e9;
    this.budget = budget;
  }

  /** Messages sent and not yet received (for rpc: requests without their reply yet). */
  abstract long outstanding();

  /** Sends one message. Runs on ctx. */
  abstract void sendOne();

  /** True when the socket cannot take more now; then it must call {@code resume} once it drains. */
  boolean writeBlocked(Runnable resume) {
    return false;
  }

  void start() {
    ctx.runOnContext(v -> {
      t0 = System.nanoTime();
      pump();
    });
  }

  void stop() {
    stopped = true;
  }

  boolean stopped() {
    return stopped;
  }

  /** Called by receivers, on any thread, after counting a receipt of this producer's message. */
  void credit() {
    if (waiting.get() && outstanding() <= resumeAt && waiting.compareAndSet(true, false)) {
      if (Context.isOnEventLoopThread() && io.vertx.core.Vertx.currentContext() == ctx) pump();
      else ctx.runOnContext(v -> pump());
    }
  }

  final void pump() {
    int left = BATCH;
    while (!stopped) {
      if (outstanding() >= inflight) {
        waiting.set(true);
        // a receipt may have come between the check and the flag: look again
        if (outstanding() < inflight && waiting.compareAndSet(true, false)) continue;
        return;
      }
      if (perNano > 0) {
        long elapsed = System.nanoTime() - t0;
        long due = (long) (elapsed * perNano) + 1;
        if (sent >= due) {
          long nextAt = (long) (sent / perNano);
          long delayMs = Math.max(1, (nextAt - elapsed) / 1_000_000);
          ctx.owner().setTimer(delayMs, id -> pump());
          return;
        }
      }
      if (writeBlocked(this::pump)) return;
      if (left-- == 0) {
        ctx.runOnContext(v -> pump()); // let the event loop read in between
        return;
      }
      if (budget != null && budget.decrementAndGet() < 0) {
        stopped = true;
        return;
      }
      // counted before it is written: a subscriber on another lane may receive and count it
      // before this thread runs its next line, and a receipt must never be counted before
      // its send (the summary would show a negative loss)
      sent++;
      stats.sent.increment();
      sendOne();
    }
  }
}
