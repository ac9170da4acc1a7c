package io.wsmsg.glob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Glob against Python's {@code fnmatch.fnmatchcase}: every row of glob-cases.tsv was computed
 * by Python (see src/test/resources/glob-cases.py).
 */
class GlobTest {

  /** One row of glob-cases.tsv. */
  record Case(int line, String pattern, String text, boolean expected) {}

  static List<Case> cases() {
    List<Case> out = new ArrayList<>();
    try (InputStream in = GlobTest.class.getResourceAsStream("/glob-cases.tsv")) {
      assertThat(in).as("glob-cases.tsv on the test class path").isNotNull();
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.startsWith("#")) continue;
        String[] f = line.split("\t", -1);
        if (f.length != 3 || !(f[2].equals("true") || f[2].equals("false"))) {
          throw new IllegalStateException("glob-cases.tsv line " + n + " is malformed: " + line);
        }
        out.add(new Case(n, unescape(f[0]), unescape(f[1]), Boolean.parseBoolean(f[2])));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  static String unescape(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char d = s.charAt(++i);
      b.append(d == 't' ? '\t' : d == 'n' ? '\n' : d == 'r' ? '\r' : d);
    }
    return b.toString();
  }

  static Stream<Arguments> table() {
    return cases().stream()
        .map(c -> Arguments.of(c.line(), c.pattern(), c.text(), c.expected()));
  }

  @ParameterizedTest(name = "line {0}: fnmatchcase({2}, {1}) = {3}")
  @MethodSource("table")
  void agreesWithPythonFnmatchcase(int line, String pattern, String text, boolean expected) {
    assertThat(Glob.matches(pattern, text))
        .as("line %d: pattern [%s] text [%s]", line, pattern, text)
        .isEqualTo(expected);
    // a compiled glob gives the same answer, and keeps giving it (no state kept between calls)
    Glob g = Glob.compile(pattern);
    assertThat(g.matches(text)).isEqualTo(expected);
    assertThat(g.matches(text)).isEqualTo(expected);
  }

  @Test
  void theTableIsLargeAndCoversBothOutcomesAndTheRequiredShapes() {
    List<Case> all = cases();
    assertThat(all).hasSizeGreaterThan(500);
    assertThat(all).anyMatch(Case::expected).anyMatch(c -> !c.expected());
    for (String p : List.of("*", "**", "?", "[abc]", "[a-z]", "[!abc]", "[]]", "[!]]", "[", "[a-]", "[-a]",
        "[z-a]", "order.*", "", "\uD83D\uDE00")) {
      assertThat(all).as("rows for pattern [%s]", p).anyMatch(c -> c.pattern().equals(p));
    }
    assertThat(all).anyMatch(c -> c.text().isEmpty() && c.pattern().isEmpty() && c.expected());
    assertThat(all).anyMatch(c -> c.pattern().equals("order.*") && c.text().equals("order.get.request")
        && c.expected());
  }

  @ParameterizedTest(name = "[{0}] ~ [{1}] = {2}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
      "order.*          | order.get.request | true",
      "order.*          | order            | false",
      "order.*          | order.           | true",
      "*                | ''               | true",
      "''               | ''               | true",
      "''               | a                | false",
      "a*b              | a.b.c.b          | true",
      "?                | ''               | false",
      "[!a]             | b                | true",
      "[!a]             | a                | false",
      "[]]              | ]                | true",
      "[!]]             | ]                | false",
      "[!]]             | x                | true",
      "[a-]             | -                | true",
      "[-a]             | -                | true",
      "[z-a]            | z                | false",
      "[!z-a]           | q                | true",
      "[                | [                | true",
      "[a               | [a               | true",
      "[a               | a                | false",
      "ABC              | abc              | false",
      "a\\b             | a\\b             | true",
  })
  void spotChecks(String pattern, String text, boolean expected) {
    assertThat(Glob.matches(pattern, text)).isEqualTo(expected);
  }

  @Test
  void questionMarkTakesOneCodePointNotOneUtf16Unit() {
    String emoji = "\uD83D\uDE00"; // U+1F600, a surrogate pair
    assertThat(Glob.matches("?", emoji)).isTrue();
    assertThat(Glob.matches("??", emoji)).isFalse();
    assertThat(Glob.matches("a?c", "a" + emoji + "c")).isTrue();
    assertThat(Glob.matches("[" + emoji + "]", emoji)).isTrue();
    assertThat(Glob.matches("[!" + emoji + "]", emoji)).isFalse();
    assertThat(Glob.matches("[!a]", emoji)).isTrue();
    assertThat(Glob.matches("[\uD83D\uDE00-\uD83D\uDE02]", "\uD83D\uDE01")).isTrue();
    assertThat(Glob.matches("*" + emoji, "xx" + emoji)).isTrue();
    // star backtracking steps over whole code points
    assertThat(Glob.matches("*?" + emoji, emoji + emoji)).isTrue();
    // half a pair never matches a whole one, and a lone surrogate is one character (as in
    // Python: fnmatchcase('\U0001F600', '*\ude00') is False, fnmatchcase('\ud83d', '?') True)
    assertThat(Glob.matches("*\uDE00", emoji)).isFalse();
    assertThat(Glob.matches("\uD83D*", emoji)).isFalse();
    assertThat(Glob.matches("?", "\uD83D")).isTrue();
    assertThat(Glob.matches("a?", "a\uD83D")).isTrue();
  }

  @Test
  void classQuirksOfPythonAfterDroppingAReversedRange() {
    // Python removes z-a and only then looks for '!', so the '!' becomes a negation
    assertThat(Glob.matches("[z-a!x]", "q")).isTrue();
    assertThat(Glob.matches("[z-a!x]", "x")).isFalse();
    assertThat(Glob.matches("[z-a!x]", "!")).as("the '!' is the negation, not a member").isTrue();
    // ... and "[!]" left over matches any character
    assertThat(Glob.matches("[z-a!]", "q")).isTrue();
    assertThat(Glob.matches("[]-?!z]", "\n")).isTrue();
    assertThat(Glob.matches("[]-?!z]", "z")).isFalse();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS) // a hang guard only; the assertions are on results
  void pathologicalPatternsFinishWithTheRightAnswer() {
    String as = "a".repeat(10_000);
    assertThat(Glob.matches("*a*a*a*a*a*a*b", as)).isFalse();
    assertThat(Glob.matches("*a*a*a*a*a*a*b", as + "b")).isTrue();
    assertThat(Glob.matches("*a*a*a*a*a*a*a", as)).isTrue();
    assertThat(Glob.matches("*?*?*?*?*?*?*b", as)).isFalse();
    assertThat(Glob.matches("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c", as)).isFalse();
    Glob g = Glob.compile("*[a]*[!b]*a*a*a*a*ab");
    assertThat(g.matches(as)).isFalse();
    assertThat(g.matches(as + "b")).isTrue();
  }

  @Test
  void literalPatternsAreRecognised() {
    assertThat(Glob.compile("order.get").isLiteral()).isTrue();
    assertThat(Glob.compile("").isLiteral()).isTrue();
    assertThat(Glob.compile("[").isLiteral()).as("an unclosed [ is a literal").isTrue();
    assertThat(Glob.compile("a[b").isLiteral()).isTrue();
    assertThat(Glob.compile("a*").isLiteral()).isFalse();
    assertThat(Glob.compile("a?").isLiteral()).isFalse();
    assertThat(Glob.compile("[ab]").isLiteral()).isFalse();
    assertThat(Glob.compile("[ab]").matches("[ab]")).isFalse();
    assertThat(Glob.compile("a[b").matches("a[b")).isTrue();
  }

  @Test
  void valueSemanticsAndNull() {
    Glob a = Glob.compile("order.*");
    assertThat(a).isEqualTo(Glob.compile("order.*")).hasSameHashCodeAs(Glob.compile("order.*"));
    assertThat(a).isNotEqualTo(Glob.compile("order.?"));
    assertThat(a.pattern()).isEqualTo("order.*");
    assertThat(a.toString()).isEqualTo("order.*");
    assertThatThrownBy(() -> Glob.compile(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("null");
  }
}
