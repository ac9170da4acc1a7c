package io.wsmsg.glob;

import java.util.Arrays;

/**
 * A compiled shell glob with the semantics of Python's {@code fnmatch.fnmatchcase}:
 * {@code *} matches any run of characters (including '.' and the empty run), {@code ?} one
 * character, {@code [abc]}, {@code [a-z]} and {@code [!abc]} one character of a class. A '['
 * without a closing ']' is a literal '['. Matching is case-sensitive and never backtracks:
 * the parts between stars are matched at their leftmost places (see {@link #matches}),
 * O(pattern x text) at worst and linear in the text for the usual patterns.
 * Characters are Unicode code points, as in Python: {@code ?} matches one emoji (a surrogate
 * pair in a Java string), not half of it.
 *
 * <p>Instances are immutable and thread-safe; compile once, match many times.
 */
public final class Glob {
  private static final int LITERAL = 0, ANY = 1, STAR = 2, CLASS = 3;

  private final String pattern;
  private final int[] kinds;
  private final int[] literals; // code points
  private final int[][] classes; // (from, to) code point pairs
  private final boolean[] negated;
  /** Set when the pattern has no wildcard at all: matching is plain equality. */
  private final boolean literal;
  /** Set when the pattern is just "*": everything matches. */
  private final boolean matchAll;
  /** Indices of the STAR tokens, ascending (never two in a row). */
  private final int[] starts;

  private Glob(String pattern) {
    this.pattern = pattern;
    // Python strings are sequences of code points: '?' and classes take one code point, so a
    // character outside the BMP (a surrogate pair in Java) counts as one character.
    int[] cp = pattern.codePoints().toArray();
    int n = cp.length;
    int[] k = new int[n];
    int[] lit = new int[n];
    int[][] cls = new int[n][];
    boolean[] neg = new boolean[n];
    int count = 0;
    boolean wild = false;
    int i = 0;
    while (i < n) {
      int c = cp[i++];
      if (c == '*') {
        wild = true;
        if (count > 0 && k[count - 1] == STAR) continue; // "**" is "*"
        k[count++] = STAR;
      } else if (c == '?') {
        wild = true;
        k[count++] = ANY;
      } else if (c == '[') {
        int j = i;
        if (j < n && cp[j] == '!') j++;
        if (j < n && cp[j] == ']') j++;
        while (j < n && cp[j] != ']') j++;
        if (j >= n) { // no closing bracket: a literal '['
          k[count] = LITERAL;
          lit[count++] = '[';
          continue;
        }
        wild = true;
        int[] spec = parseClass(cp, i, j);
        k[count] = CLASS;
        neg[count] = spec[0] == 1;
        cls[count++] = Arrays.copyOfRange(spec, 1, spec.length);
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
    int stars = 0;
    for (int kind : kinds) if (kind == STAR) stars++;
    this.starts = new int[stars];
    for (int p = 0, s = 0; p < count; p++) if (kinds[p] == STAR) starts[s++] = p;
  }

  /** Marks a range hyphen (one that joins two chunks) among the class's code points. */
  private static final int RANGE_DASH = -1;

  /**
   * Parses the class between '[' and its closing ']' (code points {@code [from, to)}) exactly
   * as Python's {@code fnmatch.translate} and then {@code re} do. Returns {negated, from0, to0,
   * from1, to1, ...}.
   *
   * <p>Python splits the class into chunks at range hyphens (never the first character, nor
   * the one after '!'; after a hyphen the next two characters cannot start a range), drops
   * reversed ranges by gluing their neighbours together, and only then looks at the first
   * character for '!'. So {@code [z-a!x]} becomes {@code [!x]}, a negated class, and
   * {@code [z-a!]} becomes {@code [!]}, which matches any character. Gluing can also leave
   * the range hyphen right after that '!', where the regex engine reads it as a literal '-'.
   */
  private static int[] parseClass(int[] cp, int from, int to) {
    java.util.List<int[]> chunks = new java.util.ArrayList<>();
    int i = from;
    int k = cp[from] == '!' ? from + 2 : from + 1;
    while (true) {
      while (k < to && cp[k] != '-') k++;
      if (k >= to) break;
      chunks.add(Arrays.copyOfRange(cp, i, k));
      i = k + 1;
      k = k + 3;
    }
    if (i < to) {
      chunks.add(Arrays.copyOfRange(cp, i, to));
    } else { // the class ends with a hyphen: a literal '-'
      int[] last = chunks.get(chunks.size() - 1);
      int[] longer = Arrays.copyOf(last, last.length + 1);
      longer[last.length] = '-';
      chunks.set(chunks.size() - 1, longer);
    }
    // drop reversed ranges such as z-a, right to left as Python does
    for (int c = chunks.size() - 1; c > 0; c--) {
      int[] left = chunks.get(c - 1);
      int[] right = chunks.get(c);
      if (left[left.length - 1] > right[0]) {
        int[] glued = new int[left.length - 1 + right.length - 1];
        System.arraycopy(left, 0, glued, 0, left.length - 1);
        System.arraycopy(right, 1, glued, left.length - 1, right.length - 1);
        chunks.set(c - 1, glued);
        chunks.remove(c);
      }
    }
    int size = chunks.size() - 1;
    for (int[] ch : chunks) size += ch.length;
    int[] tokens = new int[size];
    int t = 0;
    for (int c = 0; c < chunks.size(); c++) {
      if (c > 0) tokens[t++] = RANGE_DASH;
      for (int v : chunks.get(c)) tokens[t++] = v;
    }
    boolean negated = t > 0 && tokens[0] == '!';
    int[] out = new int[1 + 2 * t];
    out[0] = negated ? 1 : 0;
    int r = 1;
    int p = negated ? 1 : 0;
    while (p < t) {
      int lo = tokens[p] == RANGE_DASH ? '-' : tokens[p];
      if (p + 2 < t && tokens[p + 1] == RANGE_DASH) {
        int hi = tokens[p + 2];
        if (lo <= hi) {
          out[r++] = lo;
          out[r++] = hi;
        }
        p += 3;
      } else {
        out[r++] = lo;
        out[r++] = lo;
        p++;
      }
    }
    return Arrays.copyOf(out, r);
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
    // Char indices into text, always at the start of a code point. The tokens between stars
    // form segments, each matching a fixed number of code points: the first is anchored at the
    // start, the last at the end, and each one in between is taken at its leftmost place
    // (a star before and after it, so an earlier place never hurts). That is O(text) for
    // patterns like "orders.*a*a*a*a*a*b" and O(text x segment) at worst, never exponential.
    int n = text.length();
    int first = starts.length == 0 ? kinds.length : starts[0];
    int t = matchAt(0, first, text, 0, n);
    if (t < 0) return false;
    if (starts.length == 0) return t == n; // no star: the tokens must cover the text exactly
    // the tail after the last star, anchored at the end
    int lastFrom = starts[starts.length - 1] + 1;
    int end = n;
    for (int k = kinds.length - lastFrom; k > 0; k--) {
      if (end <= t) return false;
      end -= end >= 2 && Character.isLowSurrogate(text.charAt(end - 1))
          && Character.isHighSurrogate(text.charAt(end - 2)) ? 2 : 1;
    }
    if (end < t || matchAt(lastFrom, kinds.length, text, end, n) != n) return false;
    // the segments in between, each at its leftmost place within [t, end)
    for (int s = 0; s + 1 < starts.length; s++) {
      int from = starts[s] + 1, to = starts[s + 1];
      int found = -1;
      for (int at = t; at < end; at += Character.charCount(text.codePointAt(at))) {
        found = matchAt(from, to, text, at, end);
        if (found >= 0) break;
      }
      if (found < 0) return false;
      t = found;
    }
    return true;
  }

  /**
   * Matches the star-free tokens {@code [from, to)} at char index {@code at} without passing
   * {@code limit}; returns the index after them, or -1.
   */
  private int matchAt(int from, int to, String text, int at, int limit) {
    for (int p = from; p < to; p++) {
      if (at >= limit) return -1;
      int c = text.codePointAt(at);
      if (!one(p, c)) return -1;
      at += Character.charCount(c);
    }
    return at <= limit ? at : -1;
  }

  private boolean one(int p, int c) {
    switch (kinds[p]) {
      case LITERAL:
        return literals[p] == c;
      case ANY:
        return true;
      default:
        int[] r = classes[p];
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
