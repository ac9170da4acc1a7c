package io.wsmsg.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code wsmsg} command: {@code wsmsg server}, and the client tools. */
@Command(name = "wsmsg", mixinStandardHelpOptions = true, version = "wsmsg 0.1.0",
    description = "WebSocket + msgpack messaging: server and tools.",
    subcommands = {
        ServerCommand.class,
        TokenCommand.class,
        BenchCommand.class,
        CommandLine.HelpCommand.class,
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    Logging.setUp();
    int code = new CommandLine(new Main()).execute(args);
    if (code != 0 || args.length == 0 || !"server".equals(args[0])) System.exit(code);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
