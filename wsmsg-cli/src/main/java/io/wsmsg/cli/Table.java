package io.wsmsg.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** An aligned text table: columns padded to their widest cell, numbers right-aligned. */
final class Table {
  private final String[] headers;
  private final boolean[] right;
  private final List<String[]> rows = new ArrayList<>();
  private boolean header = true;

  /** A header starting with '>' is a right-aligned (numeric) column; the '>' is not printed. */
  Table(String... headers) {
    this.headers = new String[headers.length];
    this.right = new boolean[headers.length];
    for (int i = 0; i < headers.length; i++) {
      right[i] = headers[i].startsWith(">");
      this.headers[i] = right[i] ? headers[i].substring(1) : headers[i];
    }
  }

  /** Label/value lines: no header line. */
  Table withoutHeader() {
    header = false;
    return this;
  }

  Table row(Object... cells) {
    String[] r = new String[headers.length];
    for (int i = 0; i < r.length; i++) r[i] = i < cells.length && cells[i] != null ? String.valueOf(cells[i]) : "?";
    rows.add(r);
    return this;
  }

  void print(PrintWriter out) {
    int[] w = new int[headers.length];
    for (int i = 0; i < w.length; i++) w[i] = header ? headers[i].length() : 0;
    for (String[] r : rows) for (int i = 0; i < w.length; i++) w[i] = Math.max(w[i], r[i].length());
    if (header) line(out, headers, w);
    for (String[] r : rows) line(out, r, w);
  }

  private void line(PrintWriter out, String[] cells, int[] w) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) b.append("  ");
      String c = cells[i];
      int pad = w[i] - c.length();
      if (right[i]) b.append(" ".repeat(pad)).append(c);
      else if (i < cells.length - 1) b.append(c).append(" ".repeat(pad));
      else b.append(c); // no trailing blanks
    }
    out.println(b);
  }
}
