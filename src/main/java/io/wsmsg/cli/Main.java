package io.wsmsg.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code wsmsg} command: {@code wsmsg server}, and the client tools. */
@Command(name = "wsmsg", mixinStandardHelpOptions = true, version = "wsmsg 0.1.0",
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
    CommandLine cl = new CommandLine(new Main());
    // Straight to file descriptor 1, not through System.out: a PrintStream hides write errors,
    // and sub must see that its reader went away (sub ... | head) to stop.
    cl.setOut(new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), Charset.defaultCharset()), true));
    int code = cl.execute(args);
    if (code != 0 || !server) System.exit(code);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
