package io.wsmsg.cli.bench;

import java.io.PrintWriter;

/**
 * The live progress: on a terminal one line rewritten in place ({@code \r}) every second;
 * otherwise one line per second, or nothing. Written to stderr, so stdout carries only the
 * summary (or the JSON object).
 */
final class Progress {
  private final String mode;
  private final PrintWriter err;
  private int lastWidth;

  private Progress(String mode, PrintWriter err) {
    this.mode = mode;
    this.err = err;
  }

  /** auto: tty when stdin and stdout are a terminal (System.console() != null), else lines. */
  static Progress of(String mode, PrintWriter err) {
    String m = mode == null ? "auto" : mode;
    if ("auto".equals(m)) m = System.console() != null ? "tty" : "lines";
    return new Progress(m, err);
  }

  synchronized void tick(String line) {
    show(line);
  }

  synchronized void setup(String line) {
    show(line);
  }

  private void show(String line) {
    switch (mode) {
      case "tty" -> {
        int pad = Math.max(0, lastWidth - line.length());
        err.print("\r" + line + " ".repeat(pad));
        lastWidth = line.length();
        err.flush();
      }
      case "lines" -> {
        err.println(line);
        err.flush();
      }
      default -> { }
    }
  }

  /** Removes the live line before the summary is printed. */
  synchronized void clear() {
    if ("tty".equals(mode) && lastWidth > 0) {
      err.print("\r" + " ".repeat(lastWidth) + "\r");
      err.flush();
      lastWidth = 0;
    }
  }
}
