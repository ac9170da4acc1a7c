package io.wsmsg.cli;

import io.vertx.core.Future;
import io.wsmsg.client.Message;
import io.wsmsg.client.RemoteException;
import io.wsmsg.client.WsmsgClient;
import io.wsmsg.client.WsmsgException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code wsmsg req <channel> <subject> [json]}: sends a request and prints the reply's data. */
@Command(name = "req", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Send a request and print the first reply's data as JSON.",
        "Replies are the messages that reference the request (on <x>.reply, or <x>.exception when the replier"
            + " failed); they find their way back through a subscribe.message, so no reply subscription is needed.",
        "With --all, print every reply until the timeout (or --count replies).",
        "Leave out --endpoint: with --endpoint NAME the replies come through NAME's queue, where another node"
            + " of NAME may take them (a warning says so)."},
    exitCodeListHeading = Exit.HEADING,
    exitCodeList = {Exit.C0, Exit.C1, Exit.C2, Exit.C3, Exit.C4, Exit.C5})
public final class ReqCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "CHANNEL", description = "channel the replier listens on")
  String channel;

  @Parameters(index = "1", paramLabel = "SUBJECT", description = "request subject, e.g. add.request (replies come on add.reply)")
  String subject;

  @Parameters(index = "2", arity = "0..1", paramLabel = "JSON",
      description = "request data as JSON; - reads it from stdin; absent: nil")
  String json;

  @Option(names = "--all", description = "print every reply until the timeout; exit 4 when none came, 5 when a"
      + " replier failed")
  boolean all;

  @Option(names = "--count", paramLabel = "N", description = "with --all: stop after N replies (implies --all)")
  Integer count;

  @Option(names = "--json", description = "print each reply as one JSON object {time, channel, subject, uid,"
      + " reference, data} instead of its data only")
  boolean jsonLines;

  @Override
  int run() throws InterruptedException {
    if (count != null && count < 1) throw new CliFailure(Exit.USAGE, "--count must be at least 1");
    Object data = readData(json);
    if (!conn.privateEndpoint()) {
      // The replies are routed to the endpoint, not to this node: on a shared endpoint another
      // node may take them, and this one may be handed (and hold up) one of theirs.
      error("warning: replies to this request go to endpoint " + conn.endpointName() + "'s queue: if other nodes"
          + " attach to it (sub, reply, workers), one of them may take the reply and this run may hold up one of"
          + " their messages; leave out --endpoint to wait on a private endpoint");
    }
    WsmsgClient c = connect(false);
    Duration timeout = conn.timeout;
    if (!all && count == null) {
      Message reply;
      try {
        reply = await(c.request(channel, subject, data, timeout), timeout.plusSeconds(10));
      } catch (RemoteException e) {
        throw new CliFailure(Exit.REMOTE, "the replier failed: " + e.getMessage());
      } catch (WsmsgException e) {
        throw requestFailure(e);
      }
      println(format(reply));
      return Exit.OK;
    }
    AtomicInteger replies = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    CountDownLatch finished = new CountDownLatch(1);
    Future<Integer> stream = c.requestStream(channel, subject, data, timeout, m -> {
      int n = replies.incrementAndGet();
      if (count != null && n > count) return;
      if (m.isException()) {
        failed.incrementAndGet();
        Object text;
        try {
          text = m.data();
        } catch (IllegalArgumentException e) {
          text = null;
        }
        error("a replier failed: " + (text instanceof String s ? s : JsonValues.toJson(text)));
      } else {
        println(format(m));
      }
      if (count != null && n == count) finished.countDown();
    });
    stream.onComplete(ar -> finished.countDown());
    if (!finished.await(timeout.plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
      throw new CliFailure(Exit.TIMEOUT, "no answer from the server within " + Converters.text(timeout.plusSeconds(10)));
    }
    if (stream.failed() && stream.cause() instanceof WsmsgException e) throw requestFailure(e);
    if (replies.get() == 0) throw noReply();
    if (failed.get() > 0) {
      throw new CliFailure(Exit.REMOTE, failed.get() + " of " + Math.min(replies.get(), count == null
          ? Integer.MAX_VALUE : count) + " replies came from a replier that failed");
    }
    return Exit.OK;
  }

  private String format(Message m) {
    return jsonLines ? line(m, Instant.now(), true) : dataJson(m);
  }

  private CliFailure requestFailure(WsmsgException e) {
    if (WsmsgException.TIMEOUT.equals(e.code())) return noReply();
    return failure(e, "the request");
  }

  private CliFailure noReply() {
    return new CliFailure(Exit.TIMEOUT, "no reply to " + subject + " on channel " + channel + " within "
        + Converters.text(conn.timeout));
  }
}
