package io.wsmsg.cli;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.wsmsg.client.Message;
import io.wsmsg.client.Subscription;
import io.wsmsg.client.WsmsgClient;
import io.wsmsg.client.WsmsgException;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code wsmsg reply <channelPattern> <subjectPattern> (--echo | --exec CMD)}: serves requests. */
@Command(name = "reply", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Answer requests with their own data (--echo) or the output of a command (--exec).",
        "Every message matching the patterns gets a reply on the same channel, subject <x>.reply for"
        + " <x>.request, referencing the request; a failure goes on <x>.exception with its text. Prints one"
        + " line per request (as sub does). Runs until Ctrl-C or --count requests.",
        "--exec runs CMD with /bin/sh -c, the request data as JSON on stdin and WSMSG_CHANNEL, WSMSG_SUBJECT,"
            + " WSMSG_UID, WSMSG_REFERENCE in its environment; its stdout, parsed as JSON (else taken as text),"
            + " is the reply; a non-zero exit status sends its stderr as the exception text.",
        "Without --endpoint every reply process has a private endpoint and answers every request; give several"
            + " the same --endpoint to share the requests among them."},
    exitCodeListHeading = Exit.HEADING,
    exitCodeList = {Exit.C0, Exit.C1, Exit.C2, Exit.C3, Exit.C4})
public final class ReplyCommand extends ListeningCommand {
  @Parameters(index = "0", paramLabel = "CHANNEL_PATTERN", description = "channel glob")
  String channelPattern;

  @Parameters(index = "1", paramLabel = "SUBJECT_PATTERN", description = "subject glob, e.g. '*.request'")
  String subjectPattern;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Mode mode;

  static final class Mode {
    @Option(names = "--echo", required = true, description = "reply with the request's data, byte for byte")
    boolean echo;

    @Option(names = "--exec", required = true, paramLabel = "CMD", description = "reply with the output of CMD")
    String exec;
  }

  @Option(names = "--count", paramLabel = "N", description = "exit after answering N requests")
  Integer count;

  @Option(names = "--json", description = "print each request as one JSON object per line")
  boolean json;

  @Option(names = {"-q", "--quiet"}, description = "print nothing: no request lines, no notes on stderr")
  boolean quiet;

  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger answered = new AtomicInteger();

  @Override
  int run() throws InterruptedException {
    WsmsgClient c = connectListening(count);
    Vertx vertx = c.vertx();
    Subscription sub;
    try {
      sub = await(c.reply(channelPattern, subjectPattern, m -> serve(vertx, m)), conn.timeout.plusSeconds(5));
    } catch (WsmsgException e) {
      throw failure(e, "the subscription");
    }
    note("answering requests on endpoint " + c.endpoint() + ", channel pattern '" + channelPattern
        + "', subject pattern '" + subjectPattern + "'" + (Interrupts.onInterrupt(done::countDown) ? " (Ctrl-C to stop)" : ""));
    awaitDone();
    try {
      // The last reply is written before this command: once it is confirmed, the reply has
      // reached the server and the request is acknowledged.
      await(conn.privateEndpoint() ? sub.unsubscribe() : c.sync(), conn.timeout.plusSeconds(1));
    } catch (RuntimeException e) {
      // closing anyway
    }
    return Exit.OK;
  }

  private Future<Object> serve(Vertx vertx, Message m) {
    Instant at = Instant.now();
    // Past --count, or stopping: neither answered nor acknowledged (see SubCommand).
    if (stopping || (count != null && accepted.incrementAndGet() > count)) return Promise.<Object>promise().future();
    String line = quiet ? null : line(m, at, json);
    Future<Object> result = vertx.executeBlocking(() -> {
      if (line != null) println(line);
      return mode.echo ? new MsgPack.Raw(m.rawData()) : exec(m);
    }, false);
    // On the client's context, before the reply is published in the same turn: the
    // confirmation awaited in run() is sent after it.
    return result.andThen(ar -> {
      if (count != null && answered.incrementAndGet() >= count) done.countDown();
    });
  }

  /** Runs --exec for one request (on a worker thread); the reply value, or an exception with stderr. */
  private Object exec(Message m) throws IOException, InterruptedException {
    byte[] input = (dataJson(m) + "\n").getBytes(StandardCharsets.UTF_8);
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", mode.exec);
    Map<String, String> env = pb.environment();
    env.put("WSMSG_CHANNEL", m.channel());
    env.put("WSMSG_SUBJECT", m.subject());
    env.put("WSMSG_UID", m.uidText());
    if (m.referenceBytes() != null) env.put("WSMSG_REFERENCE", Ulids.toText(m.referenceBytes()));
    else env.remove("WSMSG_REFERENCE");
    Process p = pb.start();
    background("wsmsg-exec-stdin", () -> {
      try (OutputStream os = p.getOutputStream()) {
        os.write(input);
      } catch (IOException e) {
        // the command does not read its input: fine
      }
      return null;
    });
    FutureTask<byte[]> stderr = background("wsmsg-exec-stderr", () -> readAll(p.getErrorStream()));
    byte[] stdout = readAll(p.getInputStream());
    int status = p.waitFor();
    String errText;
    try {
      errText = new String(stderr.get(), StandardCharsets.UTF_8).strip();
    } catch (java.util.concurrent.ExecutionException e) {
      errText = "";
    }
    if (status != 0) {
      String text = errText.isEmpty() ? "the command exited with status " + status : errText;
      note("the command exited with status " + status + " on request " + m.uidText()
          + (errText.isEmpty() ? "" : ": " + errText));
      throw new ExecFailed(text);
    }
    if (!errText.isEmpty()) note("the command said on request " + m.uidText() + ": " + errText);
    String text = new String(stdout, StandardCharsets.UTF_8);
    String trimmed = text.strip();
    if (trimmed.isEmpty()) return null;
    try {
      return JsonValues.parse(trimmed);
    } catch (IllegalArgumentException e) {
      return text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
          : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  private static <T> FutureTask<T> background(String name, java.util.concurrent.Callable<T> work) {
    FutureTask<T> t = new FutureTask<>(work);
    Thread th = new Thread(t, name);
    th.setDaemon(true);
    th.start();
    return t;
  }

  /** The command failed: its stderr (or its exit status) is the exception reply's text. */
  static final class ExecFailed extends RuntimeException {
    ExecFailed(String text) {
      super(text, null, false, false);
    }
  }

  @Override
  boolean quiet() {
    return quiet;
  }
}
