package io.wsmsg.cli;

import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import picocli.CommandLine;

/**
 * Runs {@code wsmsg} commands in-process, as {@code Main.main} would but through
 * {@code execute()} (no System.exit), with stdout and stderr captured.
 */
final class Cli {
  static final long WAIT_MS = 30_000;

  private Cli() {}

  /** What a command printed, and its exit code. */
  record Result(int code, String out, String err) {
    List<String> lines() {
      return out.isEmpty() ? List.of() : Arrays.asList(out.split("\\R"));
    }

    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = execute(args, out, err);
    return new Result(code, out.toString(), err.toString());
  }

  private static int execute(String[] args, StringWriter out, StringWriter err) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  /** {@code command --url <server> --token <token> args...}. */
  static String[] client(TestServer server, String token, String command, String... args) {
    List<String> a = new ArrayList<>();
    a.add(command);
    a.add("--url");
    a.add("ws://127.0.0.1:" + server.port() + "/");
    if (token != null) {
      a.add("--token");
      a.add(token);
    }
    a.addAll(Arrays.asList(args));
    return a.toArray(String[]::new);
  }

  /** A command running in a thread of its own (sub, reply), with its output readable while it runs. */
  static final class Background {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    private final Thread thread;
    private volatile int code = -1;

    Background(String... args) {
      thread = new Thread(() -> code = execute(args, out, err), "cli-" + args[0]);
      thread.setDaemon(true);
      thread.start();
    }

    /** Waits until stderr says something matching (e.g. that the command is listening). */
    Background awaitErr(Predicate<String> p) {
      Await.until("stderr to say what the test waits for", () -> {
        boolean ended = !thread.isAlive(); // before reading stderr: what it wrote before ending counts
        String seen = err.toString();
        if (ended && !p.test(seen)) {
          throw new AssertionError("the command ended (exit " + code + ") before: stderr=" + seen + " stdout=" + out);
        }
        return seen;
      }, p, Duration.ofMillis(WAIT_MS));
      return this;
    }

    Background awaitListening() {
      return awaitErr(s -> s.contains("listening on endpoint") || s.contains("answering requests on endpoint"));
    }

    /** Waits for the command to end. */
    Result join() {
      try {
        thread.join(WAIT_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (thread.isAlive()) throw new AssertionError("the command did not end; stdout=" + out + " stderr=" + err);
      return new Result(code, out.toString(), err.toString());
    }
  }

  static void sleep(long ms) {
    try {
      TimeUnit.MILLISECONDS.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
