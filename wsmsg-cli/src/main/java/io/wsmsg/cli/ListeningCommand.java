package io.wsmsg.cli;

import io.wsmsg.client.ConnectionState;
import io.wsmsg.client.WsmsgClient;
import io.wsmsg.client.WsmsgException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What sub and reply share: they connect with reconnection, report refusals and connection
 * changes on stderr, and run until {@link #done} is counted down (Ctrl-C, --count reached,
 * stdout closed) or the connection is closed for good.
 */
abstract class ListeningCommand extends ClientCommand {
  /** Counted down when the command should stop listening. */
  final CountDownLatch done = new CountDownLatch(1);

  /** Set once the command stops: messages arriving after it are neither handled nor acknowledged. */
  volatile boolean stopping;

  private volatile boolean closedUnexpectedly;

  /** True with --quiet: no notes on stderr. */
  abstract boolean quiet();

  /**
   * Checks --count, then connects with reconnection and reports refusals and connection
   * changes: a lost connection, each new reason a reconnection attempt failed for (not every
   * attempt: a long outage prints one line), and being back.
   */
  WsmsgClient connectListening(Integer count) {
    if (count != null && count < 1) throw new CliFailure(Exit.USAGE, "--count must be at least 1");
    WsmsgClient c = connect(true);
    c.onError(e -> error("the server refused a message: " + e.code() + ": " + e.text()));
    AtomicBoolean wasLost = new AtomicBoolean();
    AtomicReference<String> lastFailure = new AtomicReference<>();
    c.onStateChange(s -> {
      if (s == ConnectionState.RECONNECTING && wasLost.compareAndSet(false, true)) note("the connection was lost; reconnecting");
      if (s == ConnectionState.CONNECTED && wasLost.compareAndSet(true, false)) {
        lastFailure.set(null);
        note("reconnected");
      }
      if (s == ConnectionState.CLOSED && !stopping) {
        closedUnexpectedly = true;
        done.countDown();
      }
    });
    c.onConnectFailure(e -> {
      // the refusal that closes the client is said once, as the command's last word
      if (c.state() == ConnectionState.CLOSED || stopping) return;
      String why = e.getMessage();
      if (!why.equals(lastFailure.getAndSet(why))) note("reconnecting failed: " + why + "; still trying");
    });
    return c;
  }

  /** Waits for {@link #done}, then stops; exit code 3 when the connection was closed under the command. */
  void awaitDone() throws InterruptedException {
    done.await();
    stopping = true;
    if (closedUnexpectedly) throw closedFailure(client == null ? null : client.closeCause());
  }

  /** Why the command stops when its client closed by itself: a sentence saying what to do. */
  private CliFailure closedFailure(WsmsgException cause) {
    if (cause == null) return new CliFailure(Exit.CONNECT, "the connection was closed");
    if (WsmsgException.UNAUTHORIZED.equals(cause.code())) {
      String source = conn.tokenSource();
      String token = source == null ? "no token was given (pass --token or set WSMSG_TOKEN)"
          : "the token from " + source + " is not accepted any more (" + (cause.httpStatus() == 401
              ? "was the server restarted with a new secret, or did the token expire?"
              : "it does not allow this endpoint") + "); get a new token and run the command again";
      return new CliFailure(Exit.CONNECT, "stopped: reconnecting, " + cause.getMessage() + "; " + token);
    }
    return new CliFailure(Exit.CONNECT, "the connection was closed: " + cause.getMessage());
  }

  /** A note on stderr, unless --quiet. */
  void note(String s) {
    if (!quiet()) error(s);
  }
}
