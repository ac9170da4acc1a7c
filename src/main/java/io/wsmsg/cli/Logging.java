package io.wsmsg.cli;

import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/** One line per log record, readable by operators: time, level, source, sentence. */
final class Logging {
  private Logging() {}

  static void setUp() {
    if (System.getProperty("java.util.logging.config.file") != null) return; // the operator's own
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$-7s %3$s: %5$s%6$s%n");
    LogManager.getLogManager().reset();
    java.util.logging.ConsoleHandler h = new java.util.logging.ConsoleHandler();
    h.setFormatter(new java.util.logging.SimpleFormatter());
    h.setLevel(Level.ALL);
    Logger root = Logger.getLogger("");
    root.addHandler(h);
    root.setLevel(Level.INFO);
    Logger.getLogger("io.netty").setLevel(Level.WARNING);
    Logger.getLogger("com.hazelcast").setLevel(Level.WARNING);
  }
}
