package io.wsmsg.management;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.Permissions;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import io.wsmsg.testkit.TestServer.HttpReply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The dashboard on the management port over real HTTP: its page and files are served from the
 * jar to anyone (they hold no data), its live stream (/v1/live, server-sent events) only to
 * admin tokens, and the stream's figures move with the traffic.
 */
class DashboardTest extends ServerTestBase {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void thePageAndItsFilesAreServedWithAPolicyThatKeepsThemOnThisPort() {
    TestServer ts = startServer();
    HttpReply page = ts.management("/", null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("Content-Type")).startsWith("text/html");
    assertThat(page.header("Content-Security-Policy")).contains("default-src 'self'").contains("connect-src 'self'");
    assertThat(page.body()).contains("<script src=\"/dashboard.js\">").doesNotContain("http://").doesNotContain("https://");
    HttpReply script = ts.management("/dashboard.js", null);
    assertThat(script.status()).isEqualTo(200);
    assertThat(script.header("Content-Type")).startsWith("text/javascript");
    assertThat(script.body()).contains("/v1/live").contains("Authorization");
    assertThat(ts.management("/dashboard.css", null).header("Content-Type")).startsWith("text/css");
  }

  @Test
  void theLiveStreamIsForAdminsOnly() {
    TestServer ts = startServer();
    HttpReply none = ts.management(Dashboard.LIVE, null);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.json().getString("reason")).isEqualTo("no_token");
    String alice = ts.token("alice", Permissions.ALL.toJson().put("admin", false));
    HttpReply notAdmin = ts.management(Dashboard.LIVE, "Bearer " + alice);
    assertThat(notAdmin.status()).isEqualTo(403);
    assertThat(notAdmin.json().getString("error")).contains("not an admin token");
  }

  @Test
  void theLiveStreamSendsASnapshotEverySecondWhoseFiguresMoveWithTheTraffic() throws Exception {
    TestServer ts = startServer();
    try (TestNode sub = ts.node("dash-sub");
        TestNode pub = ts.node("dash-pub?paused=1")) {
      sub.command("subscribe.channel", "dash-sub", "dash.orders", "*");
      sub.sync("dash-sub");
      HttpResponse<Stream<String>> live = HTTP.send(HttpRequest.newBuilder(URI.create(ts.managementUrl() + Dashboard.LIVE))
          .header("Authorization", "Bearer " + ts.adminToken()).build(), HttpResponse.BodyHandlers.ofLines());
      assertThat(live.statusCode()).isEqualTo(200);
      assertThat(live.headers().firstValue("Content-Type")).hasValue("text/event-stream");
      Iterator<String> lines = live.body().iterator();
      try {
        JsonObject first = nextSnapshot(lines);
        long inBefore = first.getJsonObject("messages").getLong("in");
        for (int i = 0; i < 5; i++) pub.publish("dash.orders", "new", "order " + i);
        for (int i = 0; i < 5; i++) {
          Frame f = sub.nextMessage();
          sub.ack(f);
        }
        JsonObject moved = null;
        for (int i = 0; i < 5 && moved == null; i++) {
          JsonObject s = nextSnapshot(lines);
          JsonObject ch = find(s.getJsonArray("channels"), "dash.orders");
          if (s.getJsonObject("messages").getLong("in") >= inBefore + 5 && ch != null && ch.getLong("published") >= 5) moved = s;
        }
        assertThat(moved).as("a snapshot with the 5 messages published on dash.orders").isNotNull();
        assertThat(moved.getLong("time")).isGreaterThan(first.getLong("time"));
        assertThat(moved.getLong("connections")).isGreaterThanOrEqualTo(2);
        JsonObject ep = find(moved.getJsonArray("endpoints"), "dash-sub");
        assertThat(ep).isNotNull();
        assertThat(ep.getInteger("nodes")).isEqualTo(1);
        assertThat(moved.getJsonObject("cluster").getString("mode")).isEqualTo("standalone");
        assertThat(moved.getJsonObject("messages").getJsonObject("dropped")).isNotNull();
      } finally {
        live.body().close();
      }
    }
  }

  /** The next "data:" line of the stream, read on another thread so a silent stream fails the test in 10 s. */
  private static JsonObject nextSnapshot(Iterator<String> lines) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      while (lines.hasNext()) {
        String l = lines.next();
        if (l.startsWith("data: ")) return new JsonObject(l.substring(6));
      }
      throw new IllegalStateException("the live stream ended");
    }).get(10, TimeUnit.SECONDS);
  }

  private static JsonObject find(JsonArray rows, String name) {
    for (Object o : rows) {
      JsonObject j = (JsonObject) o;
      if (name.equals(j.getString("name"))) return j;
    }
    return null;
  }
}
