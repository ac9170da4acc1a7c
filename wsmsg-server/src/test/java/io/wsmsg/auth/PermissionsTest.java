package io.wsmsg.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.config.ServerConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class PermissionsTest {
  private static Permissions of(List<String> endpoints, List<String> publish, List<String> subscribe) {
    return new Permissions(endpoints, publish, subscribe, false);
  }

  @Test
  void subscribePatternsMustBeContainedInTheGrant() {
    Permissions p = of(List.of(), List.of(), List.of("orders.*"));
    assertThat(p.maySubscribe("orders.*")).isTrue();
    assertThat(p.maySubscribe("orders.eu")).isTrue();
    assertThat(p.maySubscribe("orders.eu.*")).isTrue();
    assertThat(p.maySubscribe("*")).as("wider than granted").isFalse();
    assertThat(p.maySubscribe("order*")).isFalse();
    assertThat(p.maySubscribe("invoices.*")).isFalse();
  }

  @Test
  void subscribeWithClassAndQuestionMark() {
    Permissions p = of(List.of(), List.of(), List.of("room-[0-9]", "chat.?"));
    assertThat(p.maySubscribe("room-7")).isTrue();
    assertThat(p.maySubscribe("room-[0-9]")).as("every room it matches is granted").isTrue();
    assertThat(p.maySubscribe("room-?")).as("room-x is not granted").isFalse();
    assertThat(p.maySubscribe("room-[3-5]")).as("a narrower class").isTrue();
    assertThat(p.maySubscribe("chat.x")).isTrue();
    assertThat(p.maySubscribe("chat.?")).as("'?' is one character, as granted").isTrue();
    // the old rule read the pattern literally, so "chat.*" (one character '*') was admitted
    assertThat(p.maySubscribe("chat.*")).as("'*' matches chat.xy, which chat.? does not").isFalse();
    assertThat(p.maySubscribe("chat.xy")).isFalse();
  }

  @Test
  void aNegatedClassGrantDoesNotAdmitStar() {
    Permissions p = of(List.of(), List.of(), List.of("[!x]*"));
    assertThat(p.maySubscribe("*")).as("'*' matches x..., which [!x]* does not").isFalse();
    assertThat(p.maySubscribe("a*")).isTrue();
    assertThat(p.maySubscribe("system")).as("system needs a grant naming it").isFalse();
    assertThat(p.maySubscribe("s*")).isFalse();
  }

  @Test
  void systemNeedsAnExplicitGrantOrAdmin() {
    Permissions star = of(List.of(), List.of(), List.of("*"));
    for (String pattern : List.of("system", "*", "sys*", "[s]ystem", "?ystem", "system*", "*m")) {
      assertThat(star.maySubscribe(pattern)).as("a bare * grant and pattern %s", pattern).isFalse();
    }
    assertThat(star.maySubscribe("orders.*")).isTrue();
    assertThat(star.maySubscribe("s*x")).as("cannot match system").isTrue();

    Permissions named = of(List.of(), List.of(), List.of("system", "orders.*"));
    assertThat(named.maySubscribe("system")).isTrue();
    assertThat(named.maySubscribe("[s]ystem")).as("matches system only").isTrue();
    assertThat(named.maySubscribe("sys*")).as("matches more than granted").isFalse();
    assertThat(of(List.of(), List.of(), List.of("system", "*")).maySubscribe("*")).isTrue();
    assertThat(of(List.of(), List.of(), List.of("system*")).maySubscribe("system")).isTrue();
    assertThat(of(List.of(), List.of(), List.of("sys*")).maySubscribe("system"))
        .as("a grant that does not spell system out").isFalse();
    assertThat(of(List.of(), List.of(), List.of("[s]ystem")).maySubscribe("system")).isFalse();

    Permissions admin = new Permissions(List.of(), List.of(), List.of("orders.*"), true);
    assertThat(admin.maySubscribe("system")).as("admin is granted system").isTrue();
    assertThat(admin.maySubscribe("*")).as("but not what its list omits").isFalse();
    assertThat(Permissions.ALL.maySubscribe("*")).isTrue();
    assertThat(Permissions.ALL.seesCommands()).isTrue();
    assertThat(star.seesCommands()).isFalse();
  }

  @Test
  void aSubjectOwnsItsOwnEndpoints() {
    Permissions none = new Permissions(List.of(), List.of(), List.of(), false);
    assertThat(none.mayAttach("alice")).isFalse();
    Permissions alice = none.withOwner("alice");
    assertThat(alice.owner()).isEqualTo("alice");
    assertThat(alice.mayAttach("alice")).as("not the bare sub: a shared endpoint may have that name").isFalse();
    assertThat(alice.mayAttach("alice~cli-01hx")).isTrue();
    assertThat(alice.mayAttach("alice~")).as("something after the separator").isFalse();
    assertThat(alice.mayAttach("alicex")).isFalse();
    assertThat(alice.mayAttach("alice.x")).isFalse();
    assertThat(alice.mayAttach("bob")).isFalse();
    assertThat(alice.mayPublish("alice")).as("only endpoints").isFalse();
    // a subject with the separator would own another's names ("a~b" is a's): it owns none
    assertThat(none.withOwner("a~b").mayAttach("a~b")).isFalse();
    assertThat(none.withOwner("").mayAttach("")).isFalse();
    assertThat(alice).isNotEqualTo(none);
  }

  @Test
  void attachMatchesEndpointGlobs() {
    Permissions p = of(List.of("svc-*", "admin"), List.of(), List.of());
    assertThat(p.mayAttach("svc-")).isTrue();
    assertThat(p.mayAttach("svc-billing")).isTrue();
    assertThat(p.mayAttach("admin")).isTrue();
    assertThat(p.mayAttach("administrator")).isFalse();
    assertThat(p.mayAttach("Svc-billing")).as("case-sensitive").isFalse();
    assertThat(p.mayAttach(null)).isFalse();
  }

  @Test
  void publishMatchesChannelGlobs() {
    Permissions p = of(List.of(), List.of("events.*", "log"), List.of());
    assertThat(p.mayPublish("events.created")).isTrue();
    assertThat(p.mayPublish("log")).isTrue();
    assertThat(p.mayPublish("logs")).isFalse();
    assertThat(p.mayPublish("other")).isFalse();
  }

  @Test
  void emptyListsAllowNothing() {
    Permissions p = new Permissions(List.of(), List.of(), List.of(), false);
    assertThat(p.mayAttach("a")).isFalse();
    assertThat(p.mayPublish("a")).isFalse();
    assertThat(p.maySubscribe("a")).isFalse();
    assertThat(p.admin()).isFalse();
  }

  @Test
  void allAllowsEverythingAndAdmin() {
    assertThat(Permissions.ALL.mayAttach("anything")).isTrue();
    assertThat(Permissions.ALL.mayPublish("x.y.z")).isTrue();
    assertThat(Permissions.ALL.maySubscribe("*")).isTrue();
    assertThat(Permissions.ALL.admin()).isTrue();
  }

  @Test
  void aClaimGrantsNothingForTheKeysItOmits() {
    // SPEC section 2: "a claim that names some keys grants nothing for the keys it omits"
    Permissions defaults = new Permissions(List.of("d-*"), List.of("dp"), List.of("ds"), true);
    Permissions p = Permissions.fromJson(new JsonObject()
        .put("publish", new JsonArray().add("news.*")), defaults);
    assertThat(p.endpoints()).isEmpty();
    assertThat(p.publish()).containsExactly("news.*");
    assertThat(p.subscribe()).isEmpty();
    assertThat(p.admin()).isFalse();
    assertThat(p.mayAttach("d-1")).isFalse();
    assertThat(p.maySubscribe("ds")).isFalse();
    assertThat(Permissions.fromJson(null, defaults)).as("no claim: the defaults").isSameAs(defaults);
    assertThat(Permissions.fromJson(new JsonObject(), defaults))
        .isEqualTo(new Permissions(List.of(), List.of(), List.of(), false));
    // quotas are not permissions: a claim that only sets quotas keeps the defaults
    assertThat(Permissions.fromJson(new JsonObject().put("quotas", new JsonObject().put("channels", 5)), defaults))
        .isEqualTo(defaults);
  }

  @Test
  void wrongTypesAreRefusedWithASentence() {
    Permissions d = Permissions.ALL;
    assertThatThrownBy(() -> Permissions.fromJson(new JsonObject().put("publish", "news.*"), d))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the wsmsg claim: \"publish\" must be a list of glob strings, not the string \"news.*\"");
    assertThatThrownBy(() -> Permissions.fromJson(new JsonObject().put("endpoints", new JsonArray().add(3)), d))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the wsmsg claim: \"endpoints\" must hold only glob strings, not 3");
    assertThatThrownBy(() -> Permissions.fromJson(new JsonObject().put("admin", "yes"), d))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the wsmsg claim: \"admin\" must be true or false, not the string \"yes\"");
    assertThatThrownBy(() -> Permissions.fromJson(new JsonObject().putNull("subscribe"), d))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"subscribe\" must be a list of glob strings, not null");
    assertThatThrownBy(() -> Permissions.fromJson(new JsonObject().put("publsh", new JsonArray()), d))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown key \"publsh\"");
  }

  @Test
  void configuredDefaults() {
    Permissions builtIn = Permissions.fromJson(ServerConfig.of(new JsonObject()).defaultPermissions);
    assertThat(builtIn.endpoints()).containsExactly("*");
    assertThat(builtIn.publish()).containsExactly("*");
    assertThat(builtIn.subscribe()).containsExactly("*");
    assertThat(builtIn.admin()).isFalse();

    // A partial defaults object keeps the built-in values for the keys it leaves out.
    Permissions partial = Permissions.fromJson(new JsonObject().put("publish", new JsonArray().add("p.*")));
    assertThat(partial.publish()).containsExactly("p.*");
    assertThat(partial.subscribe()).containsExactly("*");
    assertThat(partial.admin()).isFalse();

    assertThatThrownBy(() -> Permissions.fromJson(new JsonObject().put("admin", 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("auth.defaultPermissions: \"admin\" must be true or false, not 1");
  }

  @Test
  void toJsonRoundTrips() {
    Permissions p = new Permissions(List.of("e"), List.of("p.*"), List.of("s.?"), true);
    assertThat(Permissions.fromJson(p.toJson(), Permissions.ALL)).isEqualTo(p);
    assertThat(p.toJson().getBoolean("admin")).isTrue();
  }
}
