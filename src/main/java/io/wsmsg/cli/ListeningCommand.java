package io.wsmsg.cli;

import io.wsmsg.client.ConnectionState;
import io.wsmsg.client.WsmsgClient;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

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

  /** Checks --count, then connects with reconnection and reports refusals and connection changes. */
  WsmsgClient connectListening(Integer count) {
    if (count != null && count < 1) throw new CliFailure(Exit.USAGE, "--count must be at least 1");
    WsmsgClient c = connect(true);
    c.onError(e -> error("the server refused a message: " + e.code() + ": " + e.text()));
    AtomicBoolean wasLost = new AtomicBoolean();
    c.onStateChange(s -> {
      if (s == ConnectionState.RECONNECTING && wasLost.compareAndSet(false, true)) note("the connection was lost; reconnecting");
      if (s == ConnectionState.CONNECTED && wasLost.compareAndSet(true, false)) note("reconnected");
      if (s == ConnectionState.CLOSED && !stopping) {
        closedUnexpectedly = true;
        done.countDown();
      }
    });
    return c;
  }

  /** Waits for {@link #done}, then stops; exit code 3 when the connection was closed under the command. */
  void awaitDone() throws InterruptedException {
    done.await();
    stopping = true;
    if (closedUnexpectedly) throw new CliFailure(Exit.CONNECT, "the connection was closed");
  }

  /** A note on stderr, unless --quiet. */
  void note(String s) {
    if (!quiet()) error(s);
  }
}
