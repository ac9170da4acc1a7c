package io.wsmsg.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The process's log, through java.util.logging (JUL): wsmsg, Vert.x 5, Netty and Hazelcast all
 * log there already (none of them finds SLF4J on the class path), so one JUL handler on the
 * root logger catches every line without bridges. See docs/operations.md, "Logging".
 *
 * <p>Two formats on stderr: {@code text}, one line per record ({@code 2026-12-04 18:14:31 WARN
 * io.wsmsg.gateway.GatewayVerticle: ...}), and {@code json}, one JSON object per line. Levels are
 * named as operators set them: ERROR, WARN, INFO, DEBUG, TRACE (JUL's SEVERE, WARNING, INFO,
 * FINE, FINER/FINEST).
 */
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

  /** Libraries and how much of them an operator of wsmsg wants at the info level. */
  private static final String[][] LIBRARIES = {
    {"io.netty", "WARNING"},
    // Hazelcast's start-up banner and notes say nothing to an operator of wsmsg; its member
    // list changes do ("Members {size:3, ...}"), and so do its warnings.
    {"com.hazelcast", "WARNING"},
    {"com.hazelcast.internal.cluster", "INFO"},
  };

  /**
   * JUL holds loggers weakly: a level set on one nobody references is forgotten at the next
   * GC, so the configured loggers are kept here.
   */
  private static final List<Logger> TUNED = new ArrayList<>();

  private static Handler handler;

  /** Text lines at the info level: what every command starts with. */
  static void setUp() {
    if (System.getProperty("java.util.logging.config.file") != null) return; // the operator's own
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", Manager.class.getName());
    }
    LogManager m = LogManager.getLogManager();
    if (m instanceof Manager own) own.realReset();
    else m.reset();
    handler = new ConsoleHandler();
    handler.setLevel(Level.ALL);
    Logger.getLogger("").addHandler(handler);
    configure("info", "text");
  }

  /**
   * Applies log.level and log.format (the server's settings). The level applies to wsmsg's own
   * loggers; libraries keep their quieter levels unless {@code trace} asks for everything or
   * the level asked for is quieter still.
   */
  static synchronized void configure(String level, String format) {
    if (handler == null) return; // java.util.logging.config.file: the operator's own setup
    handler.setFormatter("json".equals(format) ? new Json() : new Text());
    Level chosen = julLevel(level);
    TUNED.clear();
    Logger root = Logger.getLogger("");
    // debug is wsmsg's detail, not Vert.x's or Netty's: the rest stays at info
    root.setLevel(chosen.intValue() < Level.INFO.intValue() && !"trace".equals(level) ? Level.INFO : chosen);
    Logger own = Logger.getLogger("io.wsmsg");
    own.setLevel(chosen);
    TUNED.add(own);
    for (String[] lib : LIBRARIES) {
      Level usual = Level.parse(lib[1]);
      Logger l = Logger.getLogger(lib[0]);
      l.setLevel("trace".equals(level) || chosen.intValue() > usual.intValue() ? chosen : usual);
      TUNED.add(l);
    }
  }

  /**
   * Holds back ERROR records (with their stack traces) while something starts whose failure
   * the caller explains in a sentence of its own: Hazelcast and Vert.x log a bind failure as
   * several stack traces before the future fails. {@link Held#release} publishes what was held
   * (the start worked, or failed in a way the sentence does not explain); a caller that
   * explained the failure and exits just never releases.
   */
  static synchronized Held holdErrors() {
    Held h = new Held();
    if (handler != null) handler.setFilter(h);
    return h;
  }

  static final class Held implements java.util.logging.Filter {
    private final List<LogRecord> held = new ArrayList<>();
    private boolean holding = true;

    @Override
    public synchronized boolean isLoggable(LogRecord r) {
      if (!holding || r.getLevel().intValue() < Level.SEVERE.intValue()) return true;
      // wsmsg's own sentence about the failure is what the holding is for
      if (r.getLoggerName() != null && r.getLoggerName().startsWith("io.wsmsg.cli")) return true;
      if (held.size() < 100) held.add(r);
      return false;
    }

    /** Stops holding and publishes what was held. */
    void release() {
      List<LogRecord> out;
      synchronized (this) {
        holding = false;
        out = new ArrayList<>(held);
        held.clear();
      }
      synchronized (Logging.class) {
        if (handler != null && handler.getFilter() == this) handler.setFilter(null);
      }
      if (handler != null) out.forEach(handler::publish);
    }
  }

  static Level julLevel(String level) {
    return switch (level) {
      case "error" -> Level.SEVERE;
      case "warn" -> Level.WARNING;
      case "debug" -> Level.FINE;
      case "trace" -> Level.ALL;
      default -> Level.INFO;
    };
  }

  /** The operator's name of a JUL level: ERROR, WARN, INFO, DEBUG, TRACE. */
  static String levelName(Level l) {
    int v = l.intValue();
    if (v >= Level.SEVERE.intValue()) return "ERROR";
    if (v >= Level.WARNING.intValue()) return "WARN";
    if (v >= Level.INFO.intValue()) return "INFO";
    if (v >= Level.FINE.intValue()) return "DEBUG";
    return "TRACE";
  }

  /** The name of the thread that logged, when it is the one formatting (ConsoleHandler formats at once). */
  static String threadName(LogRecord r) {
    Thread t = Thread.currentThread();
    return t.getId() == r.getLongThreadID() ? t.getName() : "thread-" + r.getLongThreadID();
  }

  private static String stackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  /** {@code 2026-12-04 18:14:31 WARN    io.wsmsg.gateway.GatewayVerticle: sentence}. */
  static final class Text extends Formatter {
    private static final DateTimeFormatter TIME =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneId.systemDefault());

    @Override
    public String format(LogRecord r) {
      StringBuilder b = new StringBuilder(160);
      b.append(TIME.format(r.getInstant())).append(' ');
      String level = levelName(r.getLevel());
      b.append(level);
      for (int i = level.length(); i < 6; i++) b.append(' ');
      b.append(' ').append(r.getLoggerName()).append(": ").append(formatMessage(r));
      if (r.getThrown() != null) b.append(System.lineSeparator()).append(stackTrace(r.getThrown()).stripTrailing());
      return b.append(System.lineSeparator()).toString();
    }
  }

  /**
   * One JSON object per line: {@code time} (ISO-8601, UTC, milliseconds), {@code level},
   * {@code logger}, {@code message}, {@code thread}, and {@code exception} (its stack trace) when
   * there is one. Hand-written: the five fields need no library, and the formatter runs on
   * whatever thread logs, Vert.x's included.
   */
  static final class Json extends Formatter {
    @Override
    public String format(LogRecord r) {
      StringBuilder b = new StringBuilder(200);
      b.append("{\"time\":\"").append(DateTimeFormatter.ISO_INSTANT.format(r.getInstant().truncatedTo(
          java.time.temporal.ChronoUnit.MILLIS)));
      b.append("\",\"level\":\"").append(levelName(r.getLevel()));
      b.append("\",\"logger\":");
      string(b, r.getLoggerName() == null ? "" : r.getLoggerName());
      b.append(",\"message\":");
      string(b, formatMessage(r));
      b.append(",\"thread\":");
      string(b, threadName(r));
      if (r.getThrown() != null) {
        b.append(",\"exception\":");
        string(b, stackTrace(r.getThrown()));
      }
      return b.append("}\n").toString();
    }

    /** A JSON string: quotes, backslashes and control characters escaped. */
    static void string(StringBuilder b, String s) {
      b.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> b.append("\\\"");
          case '\\' -> b.append("\\\\");
          case '\n' -> b.append("\\n");
          case '\r' -> b.append("\\r");
          case '\t' -> b.append("\\t");
          default -> {
            if (c < 0x20 || c == 0x2028 || c == 0x2029) {
              b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
              b.append(c);
            }
          }
        }
      }
      b.append('"');
    }
  }

  /** For tests: a formatted record. */
  static String format(String format, LogRecord r) {
    return ("json".equals(format) ? new Json() : new Text()).format(r);
  }
}
