package io.wsmsg.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code wsmsg} command: {@code wsmsg server}, and the client tools. */
@Command(name = "wsmsg", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "WebSocket + msgpack messaging: server and tools.",
    subcommands = {
        ServerCommand.class,
        TokenCommand.class,
        PubCommand.class,
        SubCommand.class,
        ReqCommand.class,
        ReplyCommand.class,
        BenchCommand.class,
        StatusCommand.class,
        EndpointsCommand.class,
        ChannelsCommand.class,
        CommandLine.HelpCommand.class,
    },
    footer = {"", "Client commands (pub, sub, req, reply) connect to --url (default ws://127.0.0.1:8765/) with"
        + " --token or WSMSG_TOKEN.",
        "status, endpoints and channels ask the management port (--management-url, default http://127.0.0.1:8766)"
            + " with an admin token.",
        "Exit codes: 0 done, 1 refused by the server or other error, 2 usage error, 3 cannot connect"
            + " (HTTP 401/403 included), 4 timeout, 5 the replier failed."})
public final class Main implements Runnable {
  /** The version the build wrote into the jar, as /metrics reports it (wsmsg_build_info). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      io.wsmsg.metrics.BuildInfo b = io.wsmsg.metrics.BuildInfo.current();
      return new String[] {"wsmsg " + b.version() + " (Java " + b.java() + ", Vert.x " + b.vertx() + ")"};
    }
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Held: JUL keeps loggers weakly, and a collected logger forgets its level. */
  private static final Logger[] QUIETER = new Logger[2];

  public static void main(String[] args) {
    Logging.setUp();
    boolean server = args.length > 0 && "server".equals(args[0]);
    if (!server) {
      // client tools report in their own sentences; the library's reconnection notes stay quiet
      QUIETER[0] = Logger.getLogger("io.wsmsg.client");
      QUIETER[0].setLevel(Level.WARNING);
      // a refused upgrade is reported as a sentence; Vert.x would add "Connection evicted"
      QUIETER[1] = Logger.getLogger("io.vertx.core.http.impl");
      QUIETER[1].setLevel(Level.SEVERE);
      Interrupts.enable();
    }
    CommandLine cl = commandLine();
    // Straight to file descriptor 1, not through System.out: a PrintStream hides write errors,
    // and sub must see that its reader went away (sub ... | head) to stop.
    cl.setOut(new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), Charset.defaultCharset()), true));
    int code = cl.execute(args);
    if (code != 0 || !server) System.exit(code);
  }

  /** The command line with the short usage errors; tests run commands through it too. */
  static CommandLine commandLine() {
    return new CommandLine(new Main()).setParameterExceptionHandler(Main::usageError);
  }

  /**
   * A usage error in a few lines instead of the whole help: what is wrong, "did you mean" when
   * picocli has a suggestion (a mistyped command or option), and where the help is. Exit 2.
   */
  static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    java.io.PrintWriter err = cmd.getErr();
    String name = cmd.getCommandSpec().qualifiedName();
    String what = e.getMessage();
    if (e instanceof CommandLine.UnmatchedArgumentException u && !u.isUnknownOption() && !u.getUnmatched().isEmpty()
        && !cmd.getSubcommands().isEmpty() && cmd.getCommandSpec().positionalParameters().isEmpty()) {
      what = "unknown command '" + u.getUnmatched().get(0) + "'"; // picocli says "Unmatched argument at index 0"
    }
    err.println(name + ": " + what);
    if (e instanceof CommandLine.UnmatchedArgumentException u) {
      List<String> s = suggestions(u);
      if (!s.isEmpty()) {
        err.println("did you mean " + s.stream().map(x -> u.isUnknownOption() ? x : name + " " + x)
            .collect(java.util.stream.Collectors.joining(" or ")) + "?");
      }
    }
    err.println("see '" + name + " --help'");
    err.flush();
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  /**
   * Up to three commands or options close to the unmatched one: those within two edits
   * (a transposed pair counts one: "sbu" is one edit from "sub"), then picocli's own suggestions
   * (which find shared prefixes and letter pairs, but not a transposition).
   */
  static List<String> suggestions(CommandLine.UnmatchedArgumentException u) {
    java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
    if (!u.getUnmatched().isEmpty()) {
      String typed = u.getUnmatched().get(0);
      int eq = typed.indexOf('=');
      if (u.isUnknownOption() && eq > 0) typed = typed.substring(0, eq);
      CommandLine cmd = u.getCommandLine();
      java.util.Collection<String> known = u.isUnknownOption() ? cmd.getCommandSpec().optionsMap().keySet()
          : cmd.getSubcommands().keySet();
      int best = Math.min(2, Math.max(1, typed.length() / 3));
      java.util.TreeMap<Integer, List<String>> byDistance = new java.util.TreeMap<>();
      for (String k : known) {
        int d = editDistance(typed, k);
        if (d <= best) byDistance.computeIfAbsent(d, x -> new java.util.ArrayList<>()).add(k);
      }
      byDistance.values().forEach(out::addAll);
    }
    out.addAll(u.getSuggestions());
    return out.stream().limit(3).toList();
  }

  /** Edits (insert, delete, replace, swap two neighbours) from a to b: optimal string alignment. */
  static int editDistance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) d[i][0] = i;
    for (int j = 0; j <= b.length(); j++) d[0][j] = j;
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
