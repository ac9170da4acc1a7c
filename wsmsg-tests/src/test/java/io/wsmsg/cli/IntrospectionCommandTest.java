package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.TokenSigner;
import io.wsmsg.cli.Cli.Result;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code wsmsg status}, {@code endpoints} and {@code channels} against a real server: nodes on
 * real sockets build a backlog, the commands read it through the management port with an
 * admin token, as tables and as JSON; tokens that are missing, bad or not admin are refused.
 */
class IntrospectionCommandTest extends CliServerTestBase {
  String managementUrl() {
    return "http://127.0.0.1:" + server.server.managementPort();
  }

  /** {@code command --management-url <server's> --token <token> args...}. */
  String[] admin(String command, String token, String... args) {
    List<String> a = new ArrayList<>(List.of(command, "--management-url", managementUrl(), "--token", token));
    a.addAll(Arrays.asList(args));
    return a.toArray(String[]::new);
  }

  JsonObject json(String command, String... args) {
    List<String> a = new ArrayList<>(Arrays.asList(args));
    a.add("--json");
    Result r = Cli.run(admin(command, admin, a.toArray(String[]::new)));
    assertThat(r.code()).as(r.toString()).isZero();
    return new JsonObject(r.out());
  }

  static JsonObject row(JsonObject doc, String list, String name) {
    for (Object o : doc.getJsonArray(list)) if (name.equals(((JsonObject) o).getString("name"))) return (JsonObject) o;
    return null;
  }

  /** The table's lines, each split into its cells (cells hold no blanks here). */
  static List<List<String>> cells(Result r) {
    return r.lines().stream().map(l -> List.of(l.trim().split("\\s+"))).toList();
  }

  @Test
  void endpointsShowQueuedInFlightNodesDropsAndSubscriptions() {
    String base = fresh("ep");
    String jobs = base + ".jobs";
    String idle = base + ".idle";
    String channel = base + ".work";
    try (TestNode worker = server.node(jobs); TestNode publisher = server.node(base + ".pub")) {
      worker.command("subscribe.channel", jobs, channel);
      worker.sync(jobs);
      try (TestNode gone = server.node(idle)) {
        gone.command("subscribe.channel", idle, channel);
        gone.sync(idle);
      }
      for (int i = 0; i < 5; i++) publisher.publish(channel, "job", i);
      publisher.sync(base + ".pub");
      worker.nextMessage(); // delivered, not acknowledged: in flight (window 1); four stay queued

      JsonObject doc = Await.until("the backlog seen by wsmsg endpoints", () -> json("endpoints", "--filter", base + ".*"),
          d -> row(d, "endpoints", jobs) != null && row(d, "endpoints", jobs).getInteger("queued") == 4
              && row(d, "endpoints", jobs).getInteger("inFlight") == 1
              && row(d, "endpoints", idle).getInteger("queued") == 5
              && row(d, "endpoints", idle).getInteger("nodes") == 0);
      assertThat(doc.getString("mode")).isEqualTo("standalone");
      assertThat(doc.getInteger("total")).isEqualTo(3);
      JsonObject j = row(doc, "endpoints", jobs);
      assertThat(j.getInteger("nodes")).isEqualTo(1);
      assertThat(j.getInteger("localNodes")).isEqualTo(1);
      assertThat(j.getInteger("remoteNodes")).isZero();
      assertThat(j.getInteger("subscriptions")).isEqualTo(1);
      assertThat(j.getInteger("size")).isEqualTo(10_000);
      assertThat(j.getLong("dropped")).isZero();
      assertThat(j.getLong("bytes")).isPositive();
      assertThat(j.getString("owner")).isNotBlank();
      // most queued first
      assertThat(doc.getJsonArray("endpoints").stream().map(o -> ((JsonObject) o).getString("name")).toList())
          .containsExactly(idle, jobs, base + ".pub");

      Result table = Cli.run(admin("endpoints", admin, "--filter", base + ".*"));
      assertThat(table.code()).as(table.toString()).isZero();
      List<List<String>> t = cells(table);
      assertThat(t.get(0)).containsExactly("ENDPOINT", "QUEUED", "IN-FLIGHT", "NODES", "DROPPED", "SUBS", "SIZE");
      assertThat(t.get(1)).containsExactly(idle, "5", "0", "0", "0", "1", "10000");
      assertThat(t.get(2)).containsExactly(jobs, "4", "1", "1", "0", "1", "10000");
      assertThat(t.get(3)).containsExactly(base + ".pub", "0", "0", "1", "0", "0", "10000");
      assertThat(t).hasSize(4);
      // columns line up: every row is as wide as the header up to the last column
      assertThat(table.lines().get(1).indexOf(" 10000")).isEqualTo(table.lines().get(0).indexOf("  SIZE"));

      Result limited = Cli.run(admin("endpoints", admin, "--filter", base + ".*", "--limit", "1"));
      assertThat(limited.lines()).hasSize(3);
      assertThat(limited.lines().get(1)).startsWith(idle + " ");
      assertThat(limited.lines().get(2)).isEqualTo("(1 of 3 endpoints shown; --limit 0 shows all)");

      // a smaller bound drops the oldest: counted per endpoint
      publisher.command("endpoint.size", idle, 3);
      JsonObject trimmed = Await.until("the idle endpoint trimmed to 3", () -> json("endpoints", "--filter", idle),
          d -> row(d, "endpoints", idle).getInteger("queued") == 3);
      assertThat(row(trimmed, "endpoints", idle).getLong("dropped")).isEqualTo(2);
      assertThat(row(trimmed, "endpoints", idle).getInteger("size")).isEqualTo(3);
      assertThat(trimmed.getJsonArray("endpoints")).hasSize(1);

      JsonObject status = json("status");
      assertThat(status.getLong("endpointQueueDepth")).isGreaterThanOrEqualTo(7);
      assertThat(status.getLong("inFlight")).isGreaterThanOrEqualTo(1);
      assertThat(status.getInteger("connections")).isGreaterThanOrEqualTo(2);
      assertThat(status.getJsonObject("messages").getJsonObject("dropped").getLong("endpoint_full")).isGreaterThanOrEqualTo(2);
      Result statusTable = Cli.run(admin("status", admin));
      assertThat(statusTable.code()).as(statusTable.toString()).isZero();
      assertThat(statusTable.out()).containsPattern("cluster +standalone").containsPattern("connections +\\d+")
          .containsPattern("endpoints +\\d+, \\d+ queued, \\d+ in flight\\R")
          .containsPattern("channels +\\d+, \\d+ queued, \\d+ with a router deployed")
          .containsPattern("dropped \\d+ \\(.*endpoint_full \\d+");
    }
  }

  @Test
  void channelsShowTheirQueueWhileHeldBehindAHigherPriority() {
    String base = fresh("ch");
    String held = base + ".held";
    String quiet = base + ".quiet";
    String sink = base + ".sink";
    try (TestNode node = server.node(sink)) {
      node.autoAck(true);
      node.command("subscribe.channel", sink, held);
      node.command("subscribe.channel", sink, base + ".*");
      node.command("channel.priority", held, 7);
      node.command("channel.size", quiet, 50);
      node.publish(held, "first", 0); // deploys the channel's router
      node.sync(sink);
      // the sync probe travels another channel's router: wait for "first" itself, or the gate
      // below may catch it still queued and the count would be four
      assertThat(node.nextMessage().subject()).isEqualTo("first");
      // a message pending at the system priority holds every lower channel's router back
      server.server.routers().gate().add(100, 1);
      try {
        for (int i = 0; i < 3; i++) node.publish(held, "held", i);
        JsonObject doc = Await.until("three messages held in the channel queue",
            () -> json("channels", "--filter", base + ".*"), d -> row(d, "channels", held).getInteger("queued") == 3);
        JsonObject h = row(doc, "channels", held);
        assertThat(h.getInteger("priority")).isEqualTo(7);
        assertThat(h.getInteger("size")).isEqualTo(10_000);
        assertThat(h.getInteger("subscriptions")).isEqualTo(2); // the literal one and base.*
        assertThat(h.getInteger("endpoints")).isEqualTo(1);
        assertThat(h.getString("router")).isEqualTo("deployed");
        JsonObject q = row(doc, "channels", quiet);
        assertThat(q.getInteger("queued")).isZero();
        assertThat(q.getInteger("size")).isEqualTo(50);
        assertThat(q.getInteger("subscriptions")).isEqualTo(1);
        assertThat(q.getString("router")).isEqualTo("idle");
        assertThat(doc.getJsonArray("channels").stream().map(o -> ((JsonObject) o).getString("name")).toList())
            .containsExactly(held, quiet);

        Result table = Cli.run(admin("channels", admin, "--filter", base + ".*"));
        assertThat(table.code()).as(table.toString()).isZero();
        List<List<String>> t = cells(table);
        assertThat(t.get(0)).containsExactly("CHANNEL", "QUEUED", "PRIORITY", "SIZE", "SUBS", "ENDPOINTS", "ROUTER");
        assertThat(t.get(1)).containsExactly(held, "3", "7", "10000", "2", "1", "deployed");
        assertThat(t.get(2)).containsExactly(quiet, "0", "0", "50", "1", "1", "idle");
        assertThat(t).hasSize(3);
      } finally {
        server.server.routers().gate().add(100, -1);
      }
      // released, the queue drains: the figure is live
      Await.until("the channel queue drained", () -> json("channels", "--filter", held),
          d -> row(d, "channels", held).getInteger("queued") == 0);
    }
  }

  @Test
  void withoutAnAdminTokenTheRoutesAndCommandsRefuse() throws Exception {
    String nonAdmin = server.token("bob", new JsonObject().put("endpoints", new JsonArray().add("*"))
        .put("publish", new JsonArray().add("*")).put("subscribe", new JsonArray().add("*")).put("admin", false));
    String otherSecret = new TokenSigner(server.vertx, "another-secret-of-at-least-32-bytes-length")
        .sign("mallory", io.wsmsg.auth.Permissions.ALL.toJson(), 3600);
    HttpClient http = HttpClient.newHttpClient();
    for (String path : List.of("/v1/status", "/v1/endpoints", "/v1/channels")) {
      assertThat(status(http, path, null)).as(path + " without a token").isEqualTo(401);
      assertThat(status(http, path, "Bearer not.a.token")).as(path + " with garbage").isEqualTo(401);
      assertThat(status(http, path, "Bearer " + otherSecret)).as(path + " signed elsewhere").isEqualTo(401);
      assertThat(status(http, path, "Bearer " + nonAdmin)).as(path + " not admin").isEqualTo(403);
      assertThat(status(http, path, "Bearer " + admin)).as(path + " admin").isEqualTo(200);
    }
    HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(managementUrl() + "/v1/endpoints?limit=-1"))
        .header("Authorization", "Bearer " + admin).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(bad.body()).getString("error")).contains("limit");

    Result none = Cli.run(admin("endpoints", ""));
    assertThat(none.code()).as(none.toString()).isEqualTo(3);
    assertThat(none.err()).startsWith("wsmsg endpoints: refused (HTTP 401): ").contains("no token")
        .contains("give an admin token with --token or WSMSG_TOKEN").doesNotContain("Usage");
    assertThat(none.err().lines().count()).isEqualTo(1);

    Result forged = Cli.run(admin("channels", otherSecret));
    assertThat(forged.code()).as(forged.toString()).isEqualTo(3);
    assertThat(forged.err()).contains("HTTP 401").contains("signature").doesNotContain(otherSecret);

    Result notAdmin = Cli.run(admin("status", nonAdmin));
    assertThat(notAdmin.code()).as(notAdmin.toString()).isEqualTo(1);
    assertThat(notAdmin.err()).startsWith("wsmsg status: refused (HTTP 403): the token of bob is not an admin token");
    assertThat(notAdmin.out()).isEmpty();

    Result unreachable = Cli.run("endpoints", "--management-url", "http://127.0.0.1:1", "--token", "x");
    assertThat(unreachable.code()).as(unreachable.toString()).isEqualTo(3);
    assertThat(unreachable.err()).contains("cannot connect to the management port at http://127.0.0.1:1")
        .contains("--management-url");

    Result wsUrl = Cli.run("endpoints", "--management-url", "ws://127.0.0.1:8765/", "--token", "x");
    assertThat(wsUrl.code()).as(wsUrl.toString()).isEqualTo(2);
    assertThat(wsUrl.err()).contains("--management-url must be http://host:port");
  }

  private int status(HttpClient http, String path, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(managementUrl() + path));
    if (authorization != null) b.header("Authorization", authorization);
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      assertThat(new JsonObject(r.body()).getString("error")).as(path + " says why").isNotBlank();
      assertThat(r.body()).doesNotContain("\n  \"error\" : \"\"");
    }
    return r.statusCode();
  }
}
