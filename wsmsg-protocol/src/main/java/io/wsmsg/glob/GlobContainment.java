package io.wsmsg.glob;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Decides whether every name a glob can match is matched by at least one of a list of granted
 * globs: {@code L(pattern) ⊆ L(grant1) ∪ L(grant2) ∪ ...}, with {@link Glob}'s semantics
 * (Python's {@code fnmatchcase}, over Unicode code points).
 *
 * <p>How: each glob is a small automaton whose states are positions in the pattern ({@code *}
 * loops, every other token moves one position on one code point). The pattern and all grants
 * are run together as one subset construction over <em>character classes</em>: the code
 * points are cut at every character that appears in any of the globs, and code points that
 * every token treats alike form one class, so one representative per class stands for all of
 * them. A reachable state where the pattern has accepted but no grant has is a name the
 * pattern matches and no grant does: refused. Whether a {@code [...]} token accepts a class is
 * asked of {@link Glob} itself (a one-token glob), so the class syntax (ranges, {@code !},
 * Python's handling of reversed ranges) is never parsed twice.
 *
 * <p>Bounded: the work (states explored × positions) is capped at {@link #DEFAULT_BUDGET}
 * units, about 10 ms at worst on one core for 255-byte globs; past the cap the answer is
 * {@code false} (refuse when unsure). Realistic patterns ("orders.*" against a few grants)
 * use a few hundred units.
 *
 * <p>Stateless and thread-safe.
 */
public final class GlobContainment {
  /** Work units (position steps) before giving up and answering false. */
  static final long DEFAULT_BUDGET = 250_000;
  private static final int STAR = 0, ANY = 1, LITERAL = 2, CLASS = 3;

  private GlobContainment() {}

  /** True when every name {@code pattern} matches is matched by some glob of {@code grants}. */
  public static boolean contains(List<String> grants, String pattern) {
    return contains(grants, pattern, DEFAULT_BUDGET);
  }

  static boolean contains(List<String> grants, String pattern, long budget) {
    if (grants.isEmpty()) return false;
    for (String g : grants) if (g.equals("*") || g.equals(pattern)) return true;
    Glob p = Glob.compile(pattern);
    if (p.isLiteral()) { // one name: it is contained when a grant matches it
      for (String g : grants) if (Glob.compile(g).matches(pattern)) return true;
      return false;
    }
    return new Search(grants, pattern, budget).run();
  }

  /** One token of a glob: its kind, and for literals and classes what it accepts. */
  private record Token(int kind, int literal, Glob oneClass, String classText) {}

  /** Splits a glob into tokens exactly where {@link Glob} does ("**" is one star). */
  private static List<Token> tokens(String pattern) {
    int[] cp = pattern.codePoints().toArray();
    int n = cp.length;
    List<Token> out = new ArrayList<>();
    int i = 0;
    while (i < n) {
      int c = cp[i++];
      if (c == '*') {
        if (!out.isEmpty() && out.get(out.size() - 1).kind == STAR) continue;
        out.add(new Token(STAR, 0, null, null));
      } else if (c == '?') {
        out.add(new Token(ANY, 0, null, null));
      } else if (c == '[') {
        int j = i;
        if (j < n && cp[j] == '!') j++;
        if (j < n && cp[j] == ']') j++;
        while (j < n && cp[j] != ']') j++;
        if (j >= n) {
          out.add(new Token(LITERAL, '[', null, null));
          continue;
        }
        String text = new String(cp, i - 1, j - i + 2); // "[...]"
        out.add(new Token(CLASS, 0, Glob.compile(text), text));
        i = j + 1;
      } else {
        out.add(new Token(LITERAL, c, null, null));
      }
    }
    return out;
  }

  private static final class Search {
    private final Token[] tok; // all positions; an accepting position has a null token
    private final int patternEnd; // positions [0, patternEnd] belong to the pattern, patternEnd accepts
    private final BitSet grantAccept = new BitSet();
    private final BitSet grantStarts = new BitSet();
    private final int[][] classesAccepting; // per character class: the positions it moves past
    private long budget;

    Search(List<String> grants, String pattern, long budget) {
      this.budget = budget;
      List<Token> all = new ArrayList<>(tokens(pattern));
      all.add(null);
      patternEnd = all.size() - 1;
      for (String g : grants) {
        grantStarts.set(all.size());
        all.addAll(tokens(g));
        grantAccept.set(all.size());
        all.add(null);
      }
      tok = all.toArray(new Token[0]);
      classesAccepting = characterClasses();
    }

    /**
     * One list of positions per class of code points every token treats alike: the positions
     * a code point of that class moves past. Identical tokens are looked at once, and a
     * {@code [...]} token is asked about only at its own cut points (its answer cannot change
     * between two of them), so the cost stays near (cuts x distinct tokens).
     */
    private int[][] characterClasses() {
      TreeSet<Integer> cuts = new TreeSet<>();
      cuts.add(0);
      Map<String, Integer> keyIndex = new HashMap<>(); // distinct literal / class tokens
      List<Token> keys = new ArrayList<>();
      int[] keyOf = new int[tok.length];
      for (int i = 0; i < tok.length; i++) {
        Token t = tok[i];
        keyOf[i] = -1;
        if (t == null || t.kind == STAR || t.kind == ANY) continue;
        String key = t.kind == LITERAL ? "L" + t.literal : "C" + t.classText;
        Integer k = keyIndex.get(key);
        if (k == null) {
          k = keys.size();
          keyIndex.put(key, k);
          keys.add(t);
          if (t.kind == LITERAL) cut(cuts, t.literal);
          else {
            t.classText.codePoints().forEach(c -> cut(cuts, c));
            cut(cuts, '-'); // Glob may read a glued range hyphen as a literal '-'
          }
        }
        keyOf[i] = k;
      }
      // per class token: its own cut points and whether each starts a run it accepts
      int[][] ownCuts = new int[keys.size()][];
      boolean[][] ownIn = new boolean[keys.size()][];
      for (int k = 0; k < keys.size(); k++) {
        Token t = keys.get(k);
        if (t.kind != CLASS) continue;
        TreeSet<Integer> own = new TreeSet<>();
        own.add(0);
        t.classText.codePoints().forEach(c -> cut(own, c));
        cut(own, '-');
        ownCuts[k] = own.stream().mapToInt(Integer::intValue).toArray();
        ownIn[k] = new boolean[ownCuts[k].length];
        for (int c = 0; c < ownCuts[k].length; c++) {
          ownIn[k][c] = t.oneClass.matches(new String(Character.toChars(ownCuts[k][c])));
        }
      }
      Map<BitSet, Boolean> signatures = new HashMap<>();
      List<int[]> out = new ArrayList<>();
      for (int from : cuts) {
        BitSet accepted = new BitSet(keys.size());
        for (int k = 0; k < keys.size(); k++) {
          Token t = keys.get(k);
          boolean in;
          if (t.kind == LITERAL) {
            in = t.literal == from;
          } else {
            int at = java.util.Arrays.binarySearch(ownCuts[k], from);
            if (at < 0) at = -at - 2; // the run of the greatest own cut below
            in = ownIn[k][at];
          }
          if (in) accepted.set(k);
        }
        if (signatures.putIfAbsent(accepted, Boolean.TRUE) != null) continue;
        int n = 0;
        int[] moves = new int[tok.length];
        for (int i = 0; i < tok.length; i++) {
          Token t = tok[i];
          if (t == null || t.kind == STAR) continue;
          if (t.kind == ANY || accepted.get(keyOf[i])) moves[n++] = i;
        }
        out.add(java.util.Arrays.copyOf(moves, n));
      }
      return out.toArray(new int[0][]);
    }

    private static void cut(TreeSet<Integer> cuts, int c) {
      cuts.add(c);
      if (c < Character.MAX_CODE_POINT) cuts.add(c + 1);
    }

    /** Adds the positions reachable by skipping stars (a star may match the empty run). */
    private void close(BitSet s) {
      for (int i = s.nextSetBit(0); i >= 0; i = s.nextSetBit(i + 1)) {
        if (tok[i] != null && tok[i].kind == STAR) s.set(i + 1);
      }
    }

    boolean run() {
      BitSet start = new BitSet();
      start.set(0);
      start.or(grantStarts);
      close(start);
      Set<BitSet> visited = new HashSet<>();
      ArrayDeque<BitSet> todo = new ArrayDeque<>();
      visited.add(start);
      todo.add(start);
      while (!todo.isEmpty()) {
        BitSet s = todo.poll();
        if (s.get(patternEnd) && !s.intersects(grantAccept)) return false; // a name only the pattern matches
        for (int[] moves : classesAccepting) {
          budget -= tok.length;
          if (budget < 0) return false; // too costly to decide: refuse
          BitSet next = new BitSet();
          int j = 0;
          for (int i = s.nextSetBit(0); i >= 0; i = s.nextSetBit(i + 1)) {
            Token t = tok[i];
            if (t == null) continue;
            if (t.kind == STAR) {
              next.set(i);
              continue;
            }
            while (j < moves.length && moves[j] < i) j++;
            if (j < moves.length && moves[j] == i) next.set(i + 1);
          }
          if (next.nextSetBit(0) > patternEnd || next.isEmpty()) continue; // the pattern is dead here
          close(next);
          if (visited.add(next)) todo.add(next);
        }
      }
      return true;
    }
  }
}
