package io.wsmsg.cli;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.wsmsg.client.ClientOptions;
import io.wsmsg.client.Message;
import io.wsmsg.client.RemoteException;
import io.wsmsg.client.WsmsgClient;
import io.wsmsg.client.WsmsgException;
import io.wsmsg.protocol.Ulids;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What the client commands share: the connection options, connecting, waiting, turning
 * failures into a sentence and an exit code ({@link Exit}), and printing messages. Output
 * goes to the command line's out/err writers, so commands run in-process are testable; no
 * command calls System.exit.
 */
abstract class ClientCommand implements Callable<Integer> {
  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptionsMixin conn;

  @Mixin
  TlsFlags tlsFlags;

  /** The connected client, closed when the command ends. */
  WsmsgClient client;

  /** The command's work; returns the exit code or throws {@link CliFailure} / {@link WsmsgException}. */
  abstract int run() throws Exception;

  @Override
  public final Integer call() throws Exception {
    try {
      return run();
    } catch (CliFailure f) {
      error(f.getMessage());
      return f.code;
    } catch (WsmsgException e) {
      CliFailure f = failure(e, "the request");
      error(f.getMessage());
      return f.code;
    } catch (picocli.CommandLine.ParameterException e) {
      throw e; // a usage error: picocli prints it with the usage, exit 2
    } catch (RuntimeException e) {
      error("failed: " + e); // no stack trace for users; the class name says what kind of failure
      return Exit.REFUSED;
    } finally {
      close();
    }
  }

  // ---- connecting and waiting ----

  /** Connects with the common options; exit code 3 with the reason when no gateway accepts. */
  WsmsgClient connect(boolean reconnect) {
    return connect(reconnect, false);
  }

  /**
   * Connects; {@code paused}: attach with {@code ?paused=1}, so the node is never given a
   * delivery (a one-shot command on a named endpoint must not take its real nodes' messages).
   */
  WsmsgClient connect(boolean reconnect, boolean paused) {
    ClientOptions o = conn.toClientOptions().reconnect(reconnect).paused(paused);
    boolean secure = o.urls().stream().anyMatch(u -> u.trim().toLowerCase(java.util.Locale.ROOT).matches("(wss|https)://.*"));
    o.tls(tlsFlags.toClientTls(secure ? spec.commandLine().getErr() : null)); // --insecure means nothing on ws://
    if (reconnect) o.backoff(Duration.ofMillis(200), Duration.ofSeconds(5));
    Duration max = o.connectTimeout().multipliedBy(o.urls().size()).plusSeconds(5);
    try {
      client = await(WsmsgClient.connect(o), max);
      return client;
    } catch (WsmsgException e) {
      String hint = e.httpStatus() == 401 && !conn.hasToken()
          ? " (pass --token or set WSMSG_TOKEN)" : "";
      throw new CliFailure(Exit.CONNECT, "cannot connect: " + e.getMessage() + hint);
    }
  }

  private void close() {
    WsmsgClient c = client;
    client = null;
    if (c == null) return;
    try {
      await(c.close(), Duration.ofSeconds(15));
    } catch (RuntimeException e) {
      // closing anyway
    }
  }

  /** Waits for {@code f}; a failure is rethrown as the {@link WsmsgException} it is. */
  static <T> T await(Future<T> f, Duration max) {
    if (Context.isOnEventLoopThread()) throw new IllegalStateException("do not wait on an event loop");
    try {
      return f.toCompletionStage().toCompletableFuture().get(max.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof WsmsgException w) throw w;
      if (c instanceof RuntimeException r) throw r;
      throw new WsmsgException(WsmsgException.INVALID, String.valueOf(c.getMessage()), c);
    } catch (TimeoutException e) {
      throw new WsmsgException(WsmsgException.TIMEOUT, "no answer from the server within " + Converters.text(max));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(Exit.REFUSED, "interrupted");
    }
  }

  /** A client failure as a sentence and an exit code; {@code what} names the thing refused ("the message"). */
  static CliFailure failure(WsmsgException e, String what) {
    if (e instanceof RemoteException) return new CliFailure(Exit.REMOTE, "the replier failed: " + e.getMessage());
    if (e.isServerError()) {
      return new CliFailure(Exit.REFUSED, "the server refused " + what + ": " + e.code() + ": " + e.getMessage());
    }
    switch (e.code()) {
      case WsmsgException.TIMEOUT:
        return new CliFailure(Exit.TIMEOUT, e.getMessage());
      case WsmsgException.CONNECT_FAILED:
      case WsmsgException.UNAUTHORIZED:
        return new CliFailure(Exit.CONNECT, "cannot connect: " + e.getMessage());
      case WsmsgException.NOT_CONNECTED:
      case WsmsgException.CONNECTION_LOST:
      case WsmsgException.CLOSED:
        return new CliFailure(Exit.CONNECT, e.getMessage());
      case WsmsgException.INVALID:
        return new CliFailure(Exit.USAGE, "cannot send " + what + ": " + e.getMessage());
      default:
        return new CliFailure(Exit.REFUSED, e.getMessage());
    }
  }

  // ---- data ----

  /** The data argument: JSON text, {@code -} for JSON on stdin, absent for nil. */
  static Object readData(String arg) {
    if (arg == null) return null;
    String text = arg;
    if ("-".equals(arg)) {
      try {
        text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new CliFailure(Exit.REFUSED, "cannot read the data from stdin: " + e.getMessage());
      }
      if (text.isBlank()) return null;
    }
    try {
      return JsonValues.parse(text);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(Exit.USAGE, "the data is " + e.getMessage()
          + "; give JSON, with text quoted: '\"hello\"', or '-' to read it from stdin");
    }
  }

  /** A message's data as JSON; data that is not msgpack (never from a wsmsg server) as {"$invalid": base64}. */
  static String dataJson(Message m) {
    return JsonValues.toJson(dataValue(m));
  }

  private static Object dataValue(Message m) {
    try {
      return m.data();
    } catch (IllegalArgumentException e) {
      return Map.of("$invalid", java.util.Base64.getEncoder().encodeToString(m.rawData()));
    }
  }

  /**
   * One line for a message: {@code time channel subject uid reference data}, space separated,
   * time in UTC with milliseconds, reference {@code -} when there is none, data as JSON (the
   * last field, so it may hold spaces). With {@code json}: one JSON object with the same fields.
   */
  static String line(Message m, Instant received, boolean json) {
    String ref = m.referenceBytes() == null ? null : Ulids.toText(m.referenceBytes());
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("time", TIME.format(received));
      o.put("channel", m.channel());
      o.put("subject", m.subject());
      o.put("uid", m.uidText());
      o.put("reference", ref);
      o.put("data", JsonValues.toJsonValue(dataValue(m)));
      return io.vertx.core.json.Json.encode(o);
    }
    return TIME.format(received) + " " + m.channel() + " " + m.subject() + " " + m.uidText() + " "
        + (ref == null ? "-" : ref) + " " + dataJson(m);
  }

  // ---- output ----

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** Prints one line on stdout and flushes; false when stdout is gone (a closed pipe). */
  boolean println(String line) {
    PrintWriter w = out();
    synchronized (w) {
      w.println(line);
      w.flush();
      return !w.checkError();
    }
  }

  /** A sentence on stderr: {@code wsmsg <command>: <sentence>}. */
  void error(String sentence) {
    PrintWriter w = spec.commandLine().getErr();
    synchronized (w) {
      w.println(spec.qualifiedName() + ": " + sentence);
      w.flush();
    }
  }
}
