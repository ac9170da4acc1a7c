package io.wsmsg.glob;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * GlobContainment decides L(pattern) ⊆ L(grant1) ∪ ...: fixed cases (including the ones the
 * old "pattern taken literally" rule got wrong) and random globs checked against brute force.
 */
class GlobContainmentTest {

  @ParameterizedTest(name = "[{index}] grants {0} contain {1}: {2}")
  @CsvSource(delimiter = '|', value = {
      "orders.*|orders.*|true",
      "orders.*|orders.eu|true",
      "orders.*|orders.eu.*|true",
      "orders.*|orders.[ab]|true",
      "orders.*|orders.?x*|true",
      "orders.*|*|false",
      "orders.*|order*|false",
      "orders.*|orders|false",
      // the old literal reading admitted these
      "orders.?|orders.*|false",
      "orders.?|orders.?|true",
      "orders.?|orders.[xy]|true",
      "orders.?|orders.??|false",
      "[!x]*|*|false",
      "[!x]*|system|true",
      "[!x]*|[!x]*|true",
      "[!x]*|[a-w]*|true",
      "[!x]*|[a-y]*|false",
      "room-[0-9]|room-[0-9]|true",
      "room-[0-9]|room-[0-5]|true",
      "room-[0-9]|room-?|false",
      "room-[0-5]|room-[0-9]|false",
      "a*b|a*b|true",
      "a*b|a*ab|true",
      "a*b|ab*|false",
      "*a*|*a*a*|true",
      "*a*a*|*a*|false",
      "*|system|true",
      "x[]]y|x]y|true",
      "x[!]]y|x]y|false",
  })
  void decides(String grants, String pattern, boolean expected) {
    assertThat(GlobContainment.contains(List.of(grants.split(",")), pattern)).isEqualTo(expected);
  }

  @Test
  void unionOfGrantsCounts() {
    // neither grant alone holds "[ab]x", both together do
    assertThat(GlobContainment.contains(List.of("ax"), "[ab]x")).isFalse();
    assertThat(GlobContainment.contains(List.of("ax", "bx"), "[ab]x")).isTrue();
    assertThat(GlobContainment.contains(List.of("[!a]*", "a*"), "*")).as("not the empty name").isFalse();
    assertThat(GlobContainment.contains(List.of("[!a]*", "a*", ""), "*")).as("complementary grants").isTrue();
    assertThat(GlobContainment.contains(List.of("?*", ""), "*")).as("the empty name too").isTrue();
    assertThat(GlobContainment.contains(List.of("?*"), "*")).as("'*' matches the empty name").isFalse();
  }

  @Test
  void noGrantsContainNothing() {
    assertThat(GlobContainment.contains(List.of(), "x")).isFalse();
  }

  @Test
  void codePointsBeyondTheBmpAreOneCharacter() {
    String emoji = "\uD83D\uDE00";
    assertThat(GlobContainment.contains(List.of("a?"), "a" + emoji)).isTrue();
    assertThat(GlobContainment.contains(List.of("a?"), "a[" + emoji + "x]")).isTrue();
    assertThat(GlobContainment.contains(List.of("a[!" + emoji + "]"), "a?")).isFalse();
    assertThat(GlobContainment.contains(List.of("a[!" + emoji + "]", "a" + emoji), "a?")).isTrue();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void longPatternsAreDecidedOrRefusedQuickly() {
    String p = "orders." + "*a".repeat(100) + "*b";
    String g = "orders." + "*a".repeat(50) + "*";
    long t0 = System.nanoTime();
    boolean r = GlobContainment.contains(List.of(g, "x*", "[!o]*", "o?ders.*"), p);
    assertThat(System.nanoTime() - t0).as("nanoseconds").isLessThan(TimeUnit.SECONDS.toNanos(20));
    assertThat(r).as("true here, or false when over budget").isIn(true, false);
    // a tiny budget refuses rather than guesses
    assertThat(GlobContainment.contains(List.of("a*"), "a*b*c", 5)).isFalse();
    assertThat(GlobContainment.contains(List.of("a*"), "a*b*c")).isTrue();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void adversarialPatternsCostLittle() {
    // a subscribe command is decided on an event loop: long random globs against long grants
    String[] pieces = {"*", "?", "[a-m]", "[!n-z]", "a", "b", "[ab]"};
    Random r = new Random(7);
    long worst = 0;
    for (int k = 0; k < 60; k++) {
      String p = randomLong(r, pieces);
      String g = randomLong(r, pieces);
      long t0 = System.nanoTime();
      GlobContainment.contains(List.of(g, "*" + g.substring(0, 100), "[!a]*"), p);
      worst = Math.max(worst, System.nanoTime() - t0);
    }
    // about 10 ms on one core; generous for a loaded shared machine
    assertThat(worst).as("worst nanoseconds").isLessThan(TimeUnit.SECONDS.toNanos(2));
  }

  private static String randomLong(Random r, String[] pieces) {
    StringBuilder sb = new StringBuilder();
    while (sb.length() < 240) sb.append(pieces[r.nextInt(pieces.length)]);
    return sb.toString();
  }

  // ---- random globs against brute force over a small alphabet ----

  private static final String[] PIECES = {"a", "b", ".", "*", "?", "[ab]", "[!a]", "[a-b]", "[!.]", "[.b]"};
  /** Names over these letters: 'z' stands for every character no glob mentions. */
  private static final char[] ALPHABET = {'a', 'b', '.', 'z'};
  private static final List<String> NAMES = names(6);

  private static List<String> names(int maxLength) {
    List<String> out = new ArrayList<>();
    out.add("");
    int from = 0;
    for (int len = 1; len <= maxLength; len++) {
      int to = out.size();
      for (int i = from; i < to; i++) for (char c : ALPHABET) out.add(out.get(i) + c);
      from = to;
    }
    return out;
  }

  private static String randomGlob(Random r) {
    int n = r.nextInt(5);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) sb.append(PIECES[r.nextInt(PIECES.length)]);
    return sb.toString();
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void agreesWithBruteForceOnRandomGlobs() {
    Random r = new Random(20261204);
    int contained = 0;
    for (int trial = 0; trial < 1500; trial++) {
      String pattern = randomGlob(r);
      List<String> grants = new ArrayList<>();
      int k = 1 + r.nextInt(3);
      for (int i = 0; i < k; i++) grants.add(randomGlob(r));
      if (r.nextInt(4) == 0) grants.add(pattern.replace('*', '?')); // near misses
      Glob p = Glob.compile(pattern);
      List<Glob> gs = grants.stream().map(Glob::compile).toList();
      String counterexample = null;
      for (String name : NAMES) {
        if (p.matches(name) && gs.stream().noneMatch(g -> g.matches(name))) {
          counterexample = name;
          break;
        }
      }
      boolean decided = GlobContainment.contains(grants, pattern);
      if (decided) contained++;
      assertThat(decided).as("grants %s contain %s (counterexample %s)", grants, pattern, counterexample)
          .isEqualTo(counterexample == null);
    }
    assertThat(contained).as("both answers were exercised").isBetween(100, 1400);
  }
}
