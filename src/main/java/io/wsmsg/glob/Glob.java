package io.wsmsg.glob;

import java.util.Arrays;

/**
 * A compiled shell glob with the semantics of Python's {@code fnmatch.fnmatchcase}:
 * {@code *} matches any run of characters (including '.' and the empty run), {@code ?} one
 * character, {@code [abc]}, {@code [a-z]} and {@code [!abc]} one character of a class. A '['
 * without a closing ']' is a literal '['. Matching is case-sensitive and never backtracks
 * exponentially: it is the classic greedy-star algorithm, O(pattern x text) at worst.
 *
 * <p>Instances are immutable and thread-safe; compile once, match many times.
 */
public final class Glob {
  private static final int LITERAL = 0, ANY = 1, STAR = 2, CLASS = 3;

  private final String pattern;
  private final int[] kinds;
  private final char[] literals;
  private final char[][] classes; // pairs of (from, to) ranges
  private final boolean[] negated;
  /** Set when the pattern has no wildcard at all: matching is plain equality. */
  private final boolean literal;
  /** Set when the pattern is just "*": everything matches. */
  private final boolean matchAll;

  private Glob(String pattern) {
    this.pattern = pattern;
    int n = pattern.length();
    int[] k = new int[n];
    char[] lit = new char[n];
    char[][] cls = new char[n][];
    boolean[] neg = new boolean[n];
    int count = 0;
    boolean wild = false;
    int i = 0;
    while (i < n) {
      char c = pattern.charAt(i++);
      if (c == '*') {
        wild = true;
        if (count > 0 && k[count - 1] == STAR) continue; // "**" is "*"
        k[count++] = STAR;
      } else if (c == '?') {
        wild = true;
        k[count++] = ANY;
      } else if (c == '[') {
        int j = i;
        if (j < n && pattern.charAt(j) == '!') j++;
        if (j < n && pattern.charAt(j) == ']') j++;
        while (j < n && pattern.charAt(j) != ']') j++;
        if (j >= n) { // no closing bracket: a literal '['
          k[count] = LITERAL;
          lit[count++] = '[';
          continue;
        }
        wild = true;
        int start = i;
        boolean isNeg = false;
        if (pattern.charAt(start) == '!') {
          isNeg = true;
          start++;
        }
        char[] ranges = new char[2 * (j - start)];
        int r = 0;
        int p = start;
        while (p < j) {
          char from = pattern.charAt(p);
          if (p + 2 < j && pattern.charAt(p + 1) == '-') {
            char to = pattern.charAt(p + 2);
            if (from <= to) { // Python drops reversed ranges such as z-a
              ranges[r++] = from;
              ranges[r++] = to;
            }
            p += 3;
          } else {
            ranges[r++] = from;
            ranges[r++] = from;
            p++;
          }
        }
        k[count] = CLASS;
        cls[count] = Arrays.copyOf(ranges, r);
        neg[count++] = isNeg;
        i = j + 1;
      } else {
        k[count] = LITERAL;
        lit[count++] = c;
      }
    }
    this.kinds = Arrays.copyOf(k, count);
    this.literals = Arrays.copyOf(lit, count);
    this.classes = Arrays.copyOf(cls, count);
    this.negated = Arrays.copyOf(neg, count);
    this.literal = !wild;
    this.matchAll = count == 1 && kinds[0] == STAR;
  }

  public static Glob compile(String pattern) {
    if (pattern == null) throw new IllegalArgumentException("glob pattern must not be null");
    return new Glob(pattern);
  }

  /** One-off convenience; prefer {@link #compile(String)} when a pattern is used often. */
  public static boolean matches(String pattern, String text) {
    return compile(pattern).matches(text);
  }

  public String pattern() {
    return pattern;
  }

  /** True when the pattern contains no wildcard, so it only matches itself. */
  public boolean isLiteral() {
    return literal;
  }

  public boolean matches(String text) {
    if (matchAll) return true;
    if (literal) return pattern.equals(text);
    int n = text.length();
    int t = 0, p = 0;
    int starP = -1, starT = -1;
    while (t < n) {
      if (p < kinds.length && kinds[p] != STAR && one(p, text.charAt(t))) {
        p++;
        t++;
      } else if (p < kinds.length && kinds[p] == STAR) {
        starP = p++;
        starT = t;
      } else if (starP >= 0) {
        p = starP + 1;
        t = ++starT;
      } else {
        return false;
      }
    }
    while (p < kinds.length && kinds[p] == STAR) p++;
    return p == kinds.length;
  }

  private boolean one(int p, char c) {
    switch (kinds[p]) {
      case LITERAL:
        return literals[p] == c;
      case ANY:
        return true;
      default:
        char[] r = classes[p];
        boolean in = false;
        for (int i = 0; i < r.length; i += 2) {
          if (c >= r[i] && c <= r[i + 1]) {
            in = true;
            break;
          }
        }
        return in != negated[p];
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Glob && ((Glob) o).pattern.equals(pattern);
  }

  @Override
  public int hashCode() {
    return pattern.hashCode();
  }

  @Override
  public String toString() {
    return pattern;
  }
}
