package io.wsmsg.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.Frame;
import io.wsmsg.registry.SubscriptionTable;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.time.Duration;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Item 8 of the hardening issue, matching cost: a subscriber's pattern such as
 * {@code orders.*a*a*a*a*a*b} against fresh 255-character subjects must not stall a router's
 * event loop (a backtracking matcher tries every placement of the five a's: about 10^10 steps
 * per subject), and a flood of unique subjects must not grow the routing cache.
 */
class GlobCostTest extends ServerTestBase {
  private static final String HOSTILE = "orders.*a*a*a*a*a*b";

  TestServer ts;


  /** A fresh 255-character subject full of a's that the hostile pattern does not match. */
  private static String freshSubject(Random r, boolean endsWithB) {
    StringBuilder b = new StringBuilder(255).append("orders.");
    while (b.length() < 254) b.append(r.nextInt(8) == 0 ? 'c' : 'a');
    // ending in 'b' passes the anchored tail: the middle must then be searched
    return b.append(endsWithB ? 'b' : 'c').toString();
  }

  @Test
  void tenThousandHostileMatchesFinishInSecondsNotHours() {
    Glob g = Glob.compile(HOSTILE);
    Random r = new Random(8);
    String[] misses = new String[10_000];
    String[] hits = new String[10_000];
    for (int i = 0; i < misses.length; i++) {
      misses[i] = freshSubject(r, false);
      hits[i] = freshSubject(r, true);
    }
    // thousands of times the few milliseconds this takes; a backtracking matcher needs years
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      for (String s : misses) assertThat(g.matches(s)).isFalse();
      for (String s : hits) assertThat(g.matches(s)).isTrue();
      // the worst place for a scanning matcher: one 'a', then 246 characters without one
      String inside = "orders.a" + "c".repeat(246) + "b";
      for (int i = 0; i < 10_000; i++) assertThat(g.matches(inside)).isFalse();
    });
  }

  /** The matcher, rewritten for cost, still agrees with fnmatch (here: its regex translation). */
  @Test
  void theLinearMatcherAgreesWithTheRegexTranslationOnRandomPatterns() {
    String[] atoms = {"a", "b", ".", "*", "?", "[ab]", "[!a]", "[a-b]", "*"};
    Random r = new Random(9);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder p = new StringBuilder();
      StringBuilder re = new StringBuilder();
      for (int k = r.nextInt(7); k >= 0; k--) {
        String a = atoms[r.nextInt(atoms.length)];
        p.append(a);
        re.append(switch (a) {
          case "*" -> ".*";
          case "?" -> ".";
          case "." -> "\\.";
          case "[!a]" -> "[^a]";
          default -> a;
        });
      }
      StringBuilder t = new StringBuilder();
      for (int k = r.nextInt(9); k > 0; k--) t.append("ab.c".charAt(r.nextInt(4)));
      boolean expected = Pattern.compile(re.toString(), Pattern.DOTALL).matcher(t).matches();
      assertThat(Glob.compile(p.toString()).matches(t.toString())).as("%s against %s", p, t).isEqualTo(expected);
    }
  }

  @Test
  void aFloodOfFreshSubjectsAgainstHostilePatternsKeepsTheServerResponsiveAndTheCacheBounded() {
    ts = startServer();
    try (TestNode attacker = ts.node("attacker"); TestNode healthy = ts.node("healthy")) {
      // 20 endpoints each with the hostile pattern: every subject is matched 20 times
      for (int i = 0; i < 20; i++) attacker.command("subscribe.channel", "hostile-" + i, "orders", HOSTILE);
      attacker.command("subscribe.channel", "healthy", "ping", "*");
      until("subscriptions in place", () -> ts.server.registry().subscriptions().size() == 21);

      Random r = new Random(10);
      for (int i = 0; i < 3_000; i++) attacker.publish("orders", freshSubject(r, i % 10 == 0), i);
      attacker.publish("ping", "after-flood", 1);
      Frame f = healthy.next(30_000);
      assertThat(f.subject()).isEqualTo("after-flood");
      healthy.ack(f);

      // the same table the routers use, driven past its cache bound with fresh subjects
      SubscriptionTable table = ts.server.registry().subscriptions();
      for (int i = 0; i < 3 * SubscriptionTable.CACHE_LIMIT; i++) {
        table.match("orders", freshSubject(r, false));
        assertThat(table.cachedRoutes()).isLessThanOrEqualTo(SubscriptionTable.CACHE_LIMIT + 8);
      }
    }
  }

  private static void until(String what, BooleanSupplier condition) {
    io.wsmsg.testkit.Await.until(what, condition);
  }
}
