package io.wsmsg.cli;

import com.github.f4b6a3.ulid.Ulid;
import io.wsmsg.client.ServerError;
import io.wsmsg.client.WsmsgClient;
import io.wsmsg.client.WsmsgException;
import io.wsmsg.protocol.MsgPack;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code wsmsg pub <channel> <subject> [json]}: publishes, waits until the server processed it, prints the uid. */
@Command(name = "pub", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Publish a message and print its uid.",
        "Waits until the server has processed the publish, so a refusal (forbidden, stopping...) is reported"
            + " and exits 1.",
        "With --endpoint NAME the node attaches paused (?paused=1): it never takes a message from NAME's queue,"
            + " which belongs to NAME's real nodes (sub, reply, workers); a paused node gets no confirmation, so"
            + " pub then waits a second for a refusal before it exits."},
    exitCodeListHeading = Exit.HEADING,
    exitCodeList = {Exit.C0, Exit.C1, Exit.C2, Exit.C3, Exit.C4})
public final class PubCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "CHANNEL", description = "channel to publish to")
  String channel;

  @Parameters(index = "1", paramLabel = "SUBJECT", description = "subject of the message")
  String subject;

  @Parameters(index = "2", arity = "0..1", paramLabel = "JSON",
      description = "data as JSON ('{\"id\": 42}', '[2,3]', '\"text\"', {\"$bin\": \"<base64>\"} for bytes);"
          + " - reads it from stdin; absent: nil")
  String json;

  @Option(names = "--reference", paramLabel = "UID", converter = Converters.UidConverter.class,
      description = "uid this message refers to (a ULID; hex for other uids), e.g. to answer a request by hand")
  Converters.UidArg reference;

  @Option(names = "--count", paramLabel = "N", defaultValue = "1",
      description = "publish the message N times, each with its own uid (default: ${DEFAULT-VALUE})")
  int count;

  /** How long a paused pub waits for a late refusal after its sync (see run). */
  static final long PAUSED_REFUSAL_WAIT_MS = 1000;

  @Override
  int run() {
    if (count < 1) throw new CliFailure(Exit.USAGE, "--count must be at least 1");
    Object data = readData(json);
    MsgPack.Raw packed;
    try {
      packed = new MsgPack.Raw(MsgPack.pack(data));
    } catch (IllegalArgumentException e) {
      throw new CliFailure(Exit.USAGE, "cannot send the data: " + e.getMessage());
    }
    // A named endpoint may be shared: attached as a node that takes deliveries, this one-shot
    // publisher would compete with its real nodes and carry one of their messages away.
    boolean paused = !conn.privateEndpoint();
    WsmsgClient c = connect(false, paused);
    AtomicReference<ServerError> refused = new AtomicReference<>();
    CountDownLatch refusal = new CountDownLatch(1);
    c.onError(e -> {
      refused.compareAndSet(null, e);
      refusal.countDown();
    });
    // Stop at the first refusal: the server closes a node that keeps being refused.
    for (int i = 0; i < count && refused.get() == null; i++) {
      Ulid uid;
      try {
        uid = await(c.publishWithReference(channel, subject, packed, reference == null ? null : reference.bytes()), conn.timeout.plusSeconds(5));
      } catch (WsmsgException e) {
        throw refusedOr(refused, e);
      }
      println(uid.toString());
    }
    try {
      await(c.sync(), conn.timeout.plusSeconds(5));
    } catch (WsmsgException e) {
      throw refusedOr(refused, e);
    }
    if (paused && refused.get() == null) {
      // A paused node gets no confirmation, only refusals, which the server sends at once: its
      // sync is a short wait. Allow a busy server a little longer before calling it done.
      try {
        refusal.await(PAUSED_REFUSAL_WAIT_MS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    ServerError r = refused.get();
    if (r != null) throw refusal(r);
    return Exit.OK;
  }

  private static CliFailure refusedOr(AtomicReference<ServerError> refused, WsmsgException e) {
    ServerError r = refused.get();
    return r != null ? refusal(r) : failure(e, "the message");
  }

  private static CliFailure refusal(ServerError r) {
    return new CliFailure(Exit.REFUSED, "the server refused the message: " + r.code() + ": " + r.text());
  }
}
