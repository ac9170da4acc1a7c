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
  void subscribePatternsAreTakenLiterally() {
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
    assertThat(p.maySubscribe("room-[0-9]")).as("a class pattern is wider than one room").isFalse();
    assertThat(p.maySubscribe("chat.x")).isTrue();
    assertThat(p.maySubscribe("chat.?")).as("'?' is one character, matched literally").isTrue();
    assertThat(p.maySubscribe("chat.*")).as("'*' is also one character here").isTrue();
    assertThat(p.maySubscribe("chat.xy")).isFalse();
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
  void claimReplacesOnlyTheKeysItHas() {
    Permissions defaults = new Permissions(List.of("d-*"), List.of("dp"), List.of("ds"), false);
    Permissions p = Permissions.fromJson(new JsonObject()
        .put("publish", new JsonArray().add("news.*"))
        .put("admin", true), defaults);
    assertThat(p.endpoints()).containsExactly("d-*");
    assertThat(p.publish()).containsExactly("news.*");
    assertThat(p.subscribe()).containsExactly("ds");
    assertThat(p.admin()).isTrue();
    assertThat(Permissions.fromJson(null, defaults)).isSameAs(defaults);
    assertThat(Permissions.fromJson(new JsonObject(), defaults)).isEqualTo(defaults);
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
