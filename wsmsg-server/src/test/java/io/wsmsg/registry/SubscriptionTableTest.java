package io.wsmsg.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.glob.Glob;
import org.junit.jupiter.api.Test;

/** Channel subscriptions: adding and removing them, and which endpoints a (channel, subject) goes to. */
class SubscriptionTableTest {
  private static Subscription sub(String endpoint, String channel, String subject) {
    return new Subscription(endpoint, Glob.compile(channel), Glob.compile(subject));
  }

  private static SubscriptionTable table(Subscription... subs) {
    SubscriptionTable t = SubscriptionTable.EMPTY;
    for (Subscription s : subs) t = t.with(s);
    return t;
  }

  @Test
  void matchesLiteralAndWildcardChannelPatternsAndTheSubjectPattern() {
    SubscriptionTable t = table(
        sub("literal", "orders.new", "*"),
        sub("star", "orders.*", "*"),
        sub("other", "payments", "*"),
        sub("filtered", "orders.new", "eu.*"));

    assertThat(t.match("orders.new", "eu.paris")).containsExactlyInAnyOrder("literal", "star", "filtered");
    assertThat(t.match("orders.new", "us.nyc")).containsExactlyInAnyOrder("literal", "star");
    assertThat(t.match("orders.old", "x")).containsExactly("star");
    assertThat(t.match("payments", "x")).containsExactly("other");
    assertThat(t.match("shipping", "x")).isEmpty();
  }

  @Test
  void anEndpointMatchingByManySubscriptionsIsNamedOnce() {
    SubscriptionTable t = table(sub("ep", "orders.new", "*"), sub("ep", "orders.*", "*"), sub("ep", "*", "*"));
    assertThat(t.size()).isEqualTo(3);
    assertThat(t.match("orders.new", "s")).containsExactly("ep");
    assertThat(t.compute("orders.new", "s")).containsExactly("ep");
  }

  @Test
  void theSameSubscriptionTwiceIsKeptOnce() {
    SubscriptionTable once = table(sub("ep", "orders.*", "*"));
    assertThat(once.with(sub("ep", "orders.*", "*"))).isSameAs(once);
    assertThat(once.size()).isEqualTo(1);
    // a different subject pattern is a different subscription
    assertThat(once.with(sub("ep", "orders.*", "eu.*")).size()).isEqualTo(2);
  }

  @Test
  void tablesAreImmutableAndAChangeIsSeenInTheNewTableOnly() {
    SubscriptionTable before = table(sub("a", "orders", "*"));
    assertThat(before.match("orders", "s")).containsExactly("a");

    SubscriptionTable after = before.with(sub("b", "orders", "*"));

    assertThat(after.match("orders", "s")).containsExactlyInAnyOrder("a", "b");
    assertThat(before.match("orders", "s")).as("the old table and its cache are unchanged").containsExactly("a");
  }

  @Test
  void withoutRemovesExactlyThatSubscription() {
    Subscription star = sub("ep", "orders.*", "*");
    SubscriptionTable t = table(star, sub("ep", "orders.new", "*"), sub("other", "orders.*", "*"));

    SubscriptionTable less = t.without(star);

    assertThat(less.size()).isEqualTo(2);
    assertThat(less.match("orders.old", "s")).containsExactly("other");
    assertThat(less.match("orders.new", "s")).containsExactlyInAnyOrder("ep", "other");
    assertThat(less.without(star)).as("already gone").isSameAs(less);
  }

  @Test
  void unsubscribingByPatternRemovesEverySubscriptionThePatternMatchesLiterally() {
    SubscriptionTable t = table(sub("ep", "orders.*", "*"), sub("ep", "orders.new", "*"), sub("ep", "payments", "*"),
        sub("other", "orders.new", "*"));

    SubscriptionTable less = t.without("ep", Glob.compile("orders.*"));

    assertThat(less.of("ep")).extracting(s -> s.channel().pattern()).containsExactly("payments");
    assertThat(less.of("other")).hasSize(1);
    assertThat(less.match("orders.new", "s")).containsExactly("other");
    assertThat(less.without("ep", Glob.compile("shipping"))).as("nothing matched").isSameAs(less);
    assertThat(less.without("nobody", Glob.compile("*"))).isSameAs(less);
  }

  @Test
  void removingAnEndpointRemovesAllItsSubscriptionsAndNoOthers() {
    SubscriptionTable t = table(sub("ep", "orders.*", "*"), sub("ep", "payments", "*"), sub("other", "orders.*", "*"));

    SubscriptionTable less = t.without("ep");

    assertThat(less.of("ep")).isEmpty();
    assertThat(less.all()).containsOnlyKeys("other");
    assertThat(less.size()).isEqualTo(1);
    assertThat(less.match("payments", "s")).isEmpty();
    assertThat(less.match("orders.x", "s")).containsExactly("other");
    assertThat(less.without("ep")).isSameAs(less);
  }

  @Test
  void anEndpointsSubscriptionsAreListedInTheOrderTheyWereMade() {
    SubscriptionTable t = table(sub("ep", "b", "*"), sub("ep", "a", "*"), sub("ep", "c", "x"));
    assertThat(t.of("ep")).extracting(s -> s.channel().pattern()).containsExactly("b", "a", "c");
    assertThat(t.find("ep", "c", "x")).isNotNull();
    assertThat(t.find("ep", "c", "*")).isNull();
  }

  @Test
  void putReplacesTheSameSubscriptionInPlaceWithItsAdminMark() {
    SubscriptionTable t = table(sub("ep", "a", "*"), sub("ep", "system", "*"));
    Subscription marked = new Subscription("ep", Glob.compile("system"), Glob.compile("*"), true);

    SubscriptionTable put = t.put(marked);

    assertThat(put.size()).isEqualTo(2);
    assertThat(put.of("ep").get(1)).isEqualTo(marked);
    assertThat(put.put(marked)).isSameAs(put);
    assertThat(put.put(sub("ep", "system", "*")).of("ep").get(1).admin()).as("put may unmark, unlike with").isFalse();
  }

  @Test
  void anyMatchesTellsWhetherAnySubscriptionCanWantAChannel() {
    SubscriptionTable t = table(sub("ep", "orders.*", "eu.*"), sub("ep", "payments", "*"));
    assertThat(t.anyMatches("orders.new")).isTrue();
    assertThat(t.anyMatches("payments")).isTrue();
    assertThat(t.anyMatches("shipping")).isFalse();
    assertThat(SubscriptionTable.EMPTY.anyMatches("orders")).isFalse();
  }

  @Test
  void theRouteCacheStartsOverInsteadOfGrowingPastItsLimit() {
    SubscriptionTable t = table(sub("ep", "orders", "*"));
    for (int i = 0; i < SubscriptionTable.CACHE_LIMIT; i++) t.match("orders", "s" + i);
    assertThat(t.cachedRoutes()).isEqualTo(SubscriptionTable.CACHE_LIMIT);

    assertThat(t.match("orders", "one-more")).containsExactly("ep");

    assertThat(t.cachedRoutes()).isEqualTo(1);
  }
}
