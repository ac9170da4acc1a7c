package io.wsmsg.cli;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.wsmsg.client.Message;
import io.wsmsg.client.Subscription;
import io.wsmsg.client.WsmsgClient;
import io.wsmsg.client.WsmsgException;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code wsmsg sub <channelPattern> [subjectPattern]}: prints every message, one line each. */
@Command(name = "sub", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Subscribe and print one line per message, until Ctrl-C or --count messages.",
        "A line is:  time channel subject uid reference data",
        "(time received, UTC; reference '-' when none; data as JSON, bytes as {\"$bin\": \"<base64>\"}).",
        "Without --endpoint the endpoint is private to this run and its"
            + " subscription is removed on exit; with --endpoint (e.g. a shared work queue) it stays."},
    exitCodeListHeading = Exit.HEADING,
    exitCodeList = {Exit.C0, Exit.C1, Exit.C2, Exit.C3, Exit.C4})
public final class SubCommand extends ListeningCommand {
  @Parameters(index = "0", paramLabel = "CHANNEL_PATTERN", description = "channel glob (orders, prices.*, *)")
  String channelPattern;

  @Parameters(index = "1", arity = "0..1", paramLabel = "SUBJECT_PATTERN", defaultValue = "*",
      description = "subject glob (default: ${DEFAULT-VALUE})")
  String subjectPattern;

  @Option(names = "--count", paramLabel = "N", description = "exit after N messages")
  Integer count;

  @Option(names = "--json", description = "print each message as one JSON object per line"
      + " {time, channel, subject, uid, reference, data}")
  boolean json;

  @Option(names = {"-q", "--quiet"}, description = "no notes on stderr (listening, reconnecting)")
  boolean quiet;

  private final AtomicInteger received = new AtomicInteger();
  private final AtomicInteger printed = new AtomicInteger();

  @Override
  int run() throws InterruptedException {
    WsmsgClient c = connectListening(count);
    Vertx vertx = c.vertx();
    c.onSystemEvent(m -> {
      if ("stopping".equals(m.subject())) note("the server is stopping");
    });
    Subscription sub;
    try {
      sub = await(c.subscribe(channelPattern, subjectPattern, m -> handle(vertx, m)), conn.timeout.plusSeconds(5));
    } catch (WsmsgException e) {
      throw failure(e, "the subscription");
    }
    note("listening on endpoint " + c.endpoint() + " to channel pattern '" + channelPattern + "', subject pattern '"
        + subjectPattern + "'" + (count != null ? " for " + count + " message" + (count == 1 ? "" : "s") : "")
        + (Interrupts.onInterrupt(done::countDown) ? " (Ctrl-C to stop)" : ""));
    awaitDone();
    if (conn.privateEndpoint()) {
      try {
        await(sub.unsubscribe(), conn.timeout.plusSeconds(1)); // the private endpoint stops collecting messages
      } catch (RuntimeException e) {
        // it expires with the server's endpoint TTL anyway
      }
    }
    return Exit.OK;
  }

  private Future<?> handle(Vertx vertx, Message m) {
    Instant at = Instant.now();
    int n = received.incrementAndGet();
    // Past --count, or stopping: not printed and not acknowledged, so the server may give it to
    // another node of the endpoint (requeueUnacked) instead of it being taken as done.
    if (stopping || (count != null && n > count)) return Promise.promise().future();
    String line = line(m, at, json);
    return vertx.executeBlocking(() -> { // ordered: lines come out in delivery order
      if (!println(line)) { // stdout was closed (| head): stop quietly
        stopping = true;
        done.countDown();
      }
      return null;
    }, true).andThen(ar -> {
      // on the client's context: the ack of this message is written before close() runs
      if (count != null && printed.incrementAndGet() >= count) done.countDown();
    });
  }

  @Override
  boolean quiet() {
    return quiet;
  }
}
