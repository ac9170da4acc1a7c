package io.wsmsg.cli;

import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/** One line per log record, readable by operators: time, level, source, sentence. */
final class Logging {
  private Logging() {}

  /**
   * JUL's default manager resets (silences) all handlers when shutdown begins, which would
   * swallow the log of a graceful stop on SIGTERM. This one stays quiet until the stop is done.
   */
  public static final class Manager extends LogManager {
    @Override
    public void reset() {
      // kept on purpose: see the class comment; the JVM exits right after the stop anyway
    }

    void realReset() {
      super.reset();
    }
  }

  static void setUp() {
    if (System.getProperty("java.util.logging.config.file") != null) return; // the operator's own
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", Manager.class.getName());
    }
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$-7s %3$s: %5$s%6$s%n");
    LogManager m = LogManager.getLogManager();
    if (m instanceof Manager own) own.realReset();
    else m.reset();
    java.util.logging.ConsoleHandler h = new java.util.logging.ConsoleHandler();
    h.setFormatter(new java.util.logging.SimpleFormatter());
    h.setLevel(Level.ALL);
    Logger root = Logger.getLogger("");
    root.addHandler(h);
    root.setLevel(Level.INFO);
    // JUL holds loggers weakly: a level set on one nobody references is forgotten at the next
    // GC, so the configured loggers are kept here.
    TUNED.add(quiet("io.netty", Level.WARNING));
    // Hazelcast's start-up banner and notes say nothing to an operator of wsmsg; its member
    // list changes do ("Members {size:3, ...}"), and so do its warnings.
    TUNED.add(quiet("com.hazelcast", Level.WARNING));
    TUNED.add(quiet("com.hazelcast.internal.cluster", Level.INFO));
  }

  private static final java.util.List<Logger> TUNED = new java.util.ArrayList<>();

  private static Logger quiet(String name, Level level) {
    Logger l = Logger.getLogger(name);
    l.setLevel(level);
    return l;
  }
}
