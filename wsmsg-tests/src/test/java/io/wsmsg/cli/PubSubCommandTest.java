package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.f4b6a3.ulid.Ulid;
import io.vertx.core.json.JsonObject;
import io.wsmsg.cli.Cli.Background;
import io.wsmsg.cli.Cli.Result;
import io.wsmsg.client.BlockingClient;
import io.wsmsg.client.ClientOptions;
import io.wsmsg.testkit.Await;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code wsmsg pub} and {@code wsmsg sub} end to end against a real server. */
class PubSubCommandTest extends CliServerTestBase {
  private static final String TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

  @Test
  void subPrintsOneLinePerMessagePublishedByPub() {
    String ch = fresh("orders");
    Background sub = new Background(cli("sub", ch, "--count", "2")).awaitListening();

    Result p1 = Cli.run(cli("pub", ch, "order.new", "{\"id\": 42, \"items\": [\"a\", 1.5, null, true]}"));
    assertThat(p1.code()).as(p1.toString()).isZero();
    assertThat(p1.lines()).hasSize(1);
    String uid1 = p1.lines().get(0);
    assertThat(Ulid.isValid(uid1)).isTrue();

    Result p2 = Cli.run(cli("pub", ch, "order.note", "\"hello world\"", "--reference", uid1));
    assertThat(p2.code()).as(p2.toString()).isZero();
    String uid2 = p2.lines().get(0);

    Result s = sub.join();
    assertThat(s.code()).as(s.toString()).isZero();
    assertThat(s.lines()).hasSize(2);
    assertThat(s.lines().get(0)).matches(TIME + " " + ch + " order\\.new " + uid1 + " - .*")
        .endsWith(" {\"id\":42,\"items\":[\"a\",1.5,null,true]}");
    assertThat(s.lines().get(1)).matches(TIME + " " + ch + " order\\.note " + uid2 + " " + uid1 + " \"hello world\"");
    // each run's own cli-<ulid> endpoint is ephemeral: the server removes it once the run is over
    for (String ep : server.server.registry().endpoints().keySet()) {
      if (ep.startsWith("cli-")) assertThat(server.server.registry().isEphemeral(ep)).as(ep).isTrue();
    }
  }

  @Test
  void subJsonPrintsOneObjectPerLineAndBytesAsBin() {
    String ch = fresh("bin");
    Background sub = new Background(cli("sub", ch, "--json", "--count", "2")).awaitListening();
    assertThat(Cli.run(cli("pub", ch, "raw", "{\"$bin\": \"aGVsbG8=\"}")).code()).isZero();
    try (BlockingClient c = BlockingClient.connect(new ClientOptions().url("ws://127.0.0.1:" + server.port() + "/")
        .token(admin))) {
      c.publish(ch, "map", Map.of("k", new byte[] {0, 1, 2}));
    }
    Result s = sub.join();
    assertThat(s.code()).as(s.toString()).isZero();
    JsonObject first = new JsonObject(s.lines().get(0));
    assertThat(first.fieldNames()).containsExactly("time", "channel", "subject", "uid", "reference", "data");
    assertThat(first.getString("channel")).isEqualTo(ch);
    assertThat(first.getString("subject")).isEqualTo("raw");
    assertThat(first.getValue("reference")).isNull();
    assertThat(first.getJsonObject("data")).isEqualTo(new JsonObject().put("$bin", "aGVsbG8="));
    JsonObject second = new JsonObject(s.lines().get(1));
    assertThat(second.getJsonObject("data")).isEqualTo(new JsonObject().put("k", new JsonObject().put("$bin", "AAEC")));
  }

  @Test
  void pubCountPublishesEachWithItsOwnUidAndSubFiltersOnSubject() {
    String ch = fresh("jobs");
    Background sub = new Background(cli("sub", ch, "resize", "--count", "3")).awaitListening();
    assertThat(Cli.run(cli("pub", ch, "other", "1")).code()).isZero(); // filtered out by the subject pattern
    Result p = Cli.run(cli("pub", ch, "resize", "{\"image\": \"a.png\"}", "--count", "3"));
    assertThat(p.code()).as(p.toString()).isZero();
    assertThat(p.lines()).hasSize(3);
    assertThat(Set.copyOf(p.lines())).hasSize(3);
    Result s = sub.join();
    assertThat(s.code()).as(s.toString()).isZero();
    assertThat(s.lines()).hasSize(3).allSatisfy(l -> assertThat(l).contains(" resize ").endsWith("{\"image\":\"a.png\"}"));
    for (int i = 0; i < 3; i++) assertThat(s.lines().get(i)).contains(" " + p.lines().get(i) + " ");
  }

  @Test
  void pubReadsTheDataFromStdinWithADashAndSendsNilWithoutData() {
    String ch = fresh("stdin");
    Background sub = new Background(cli("sub", ch, "--count", "2")).awaitListening();
    InputStream in = System.in;
    try {
      System.setIn(new ByteArrayInputStream("[1, {\"a\": 2}]\n".getBytes(StandardCharsets.UTF_8)));
      assertThat(Cli.run(cli("pub", ch, "from-stdin", "-")).code()).isZero();
    } finally {
      System.setIn(in);
    }
    assertThat(Cli.run(cli("pub", ch, "nothing")).code()).isZero();
    Result s = sub.join();
    assertThat(s.lines().get(0)).endsWith(" from-stdin " + s.lines().get(0).split(" ")[3] + " - [1,{\"a\":2}]");
    assertThat(s.lines().get(1)).endsWith(" - null");
  }

  @Test
  void aSharedEndpointSplitsTheMessagesBetweenItsSubscribers() {
    String ch = fresh("work");
    String ep = fresh("workers");
    Background a = new Background(cli("sub", "--endpoint", ep, ch, "--count", "1")).awaitListening();
    Background b = new Background(cli("sub", "--endpoint", ep, ch, "--count", "1")).awaitListening();
    Result p = Cli.run(cli("pub", ch, "job", "1", "--count", "2"));
    assertThat(p.code()).isZero();
    Result ra = a.join();
    Result rb = b.join();
    assertThat(ra.code()).isZero();
    assertThat(rb.code()).isZero();
    String uidA = ra.lines().get(0).split(" ")[3];
    String uidB = rb.lines().get(0).split(" ")[3];
    assertThat(List.of(uidA, uidB)).containsExactlyInAnyOrderElementsOf(p.lines());
  }

  @Test
  void aPrivateEndpointsSubscriptionIsRemovedOnExitANamedOneStays() throws Exception {
    String ch = fresh("private");
    String named = fresh("named");
    List<List<?>> unsubscribes = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (BlockingClient monitor = BlockingClient.connect(new ClientOptions()
        .url("ws://127.0.0.1:" + server.port() + "/").token(admin))) {
      monitor.subscribe("system", "unsubscribe.channel", m -> unsubscribes.add((List<?>) m.data()));
      Background priv = new Background(cli("sub", ch, "--count", "1")).awaitListening();
      Background kept = new Background(cli("sub", "--endpoint", named, ch, "--count", "1")).awaitListening();
      assertThat(Cli.run(cli("pub", ch, "x", "1")).code()).isZero();
      Result p = priv.join();
      Result k = kept.join();
      assertThat(p.code()).isZero();
      assertThat(k.code()).isZero();
      String privateEndpoint = p.err().replaceAll("(?s).*listening on endpoint (\\S+) .*", "$1");
      assertThat(privateEndpoint).as("the token's sub owns <sub>~...").startsWith("test~cli-");
      // the monitor sees the private endpoint's unsubscribe (forwarded once applied)
      Await.until("the private endpoint's unsubscribe forwarded",
          () -> unsubscribes.stream().anyMatch(a -> a.get(0).equals(privateEndpoint)), Duration.ofMillis(Cli.WAIT_MS));
      assertThat(unsubscribes).anySatisfy(a -> assertThat(a.get(0)).isEqualTo(privateEndpoint));
      assertThat(unsubscribes).noneSatisfy(a -> assertThat(a.get(0)).isEqualTo(named));
    }
  }

  @Test
  void subStopsQuietlyWhenItsOutputIsClosed() {
    String ch = fresh("pipe");
    java.io.StringWriter err = new java.io.StringWriter();
    java.util.concurrent.atomic.AtomicInteger lines = new java.util.concurrent.atomic.AtomicInteger();
    java.io.Writer closedAfterOneLine = new java.io.Writer() {
      @Override
      public void write(char[] buf, int off, int len) throws java.io.IOException {
        if (lines.get() >= 1) throw new java.io.IOException("Broken pipe");
        if (new String(buf, off, len).contains("\n")) lines.incrementAndGet();
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    int[] code = {-1};
    Thread t = new Thread(() -> {
      picocli.CommandLine cl = new picocli.CommandLine(new Main());
      cl.setOut(new java.io.PrintWriter(closedAfterOneLine, true));
      cl.setErr(new java.io.PrintWriter(err, true));
      code[0] = cl.execute(cli("sub", ch));
    });
    t.start();
    Await.until("sub listening", () -> err.toString().contains("listening on endpoint"), Duration.ofMillis(Cli.WAIT_MS));
    assertThat(Cli.run(cli("pub", ch, "x", "1", "--count", "2")).code()).isZero();
    try {
      t.join(Cli.WAIT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    assertThat(t.isAlive()).as("sub still running; stderr=" + err).isFalse();
    assertThat(code[0]).isZero();
    assertThat(lines.get()).isEqualTo(1);
  }

  @Test
  void aForbiddenPublishExits1WithTheServersReasonAsASentence() {
    String token = server.token(new JsonObject().put("publish", List.of("allowed.*")));
    Result r = Cli.run(Cli.client(server, token, "pub", "secret", "x", "1"));
    assertThat(r.code()).as(r.toString()).isEqualTo(1);
    assertThat(r.err().strip()).isEqualTo("wsmsg pub: the server refused the message: forbidden: your token does not"
        + " allow publishing to channel secret");
    Result ok = Cli.run(Cli.client(server, token, "pub", "allowed.x", "x", "1"));
    assertThat(ok.code()).as(ok.toString()).isZero();
  }

  @Test
  void aForbiddenSubscriptionExits1() {
    String token = server.token(new JsonObject().put("subscribe", List.of("mine.*")));
    Result r = Cli.run(Cli.client(server, token, "sub", "theirs", "--count", "1"));
    assertThat(r.code()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).startsWith("wsmsg sub: the server refused the subscription: forbidden: ");
  }

  @Test
  void aBadTokenExits3WithTheReason() {
    Result r = Cli.run(Cli.client(server, "not-a-jwt", "pub", "x", "y"));
    assertThat(r.code()).as(r.toString()).isEqualTo(3);
    assertThat(r.err()).startsWith("wsmsg pub: cannot connect: ").contains("HTTP 401");
    assertThat(r.err().strip()).doesNotEndWith("HTTP 401"); // the server's reason follows
    assertThat(r.out()).isEmpty();

    String wrongSecret = new io.wsmsg.auth.TokenSigner(server.vertx, "another-secret-of-at-least-32-bytes!!!")
        .sign("x", null, 600);
    Result sub = Cli.run(Cli.client(server, wrongSecret, "sub", "x"));
    assertThat(sub.code()).as(sub.toString()).isEqualTo(3);
    assertThat(sub.err()).startsWith("wsmsg sub: cannot connect: ").contains("HTTP 401");
  }

  @Test
  void noTokenExits3AndSaysHowToGiveOne() {
    Result r = Cli.run(Cli.client(server, null, "pub", "--token", "", "x", "y"));
    assertThat(r.code()).as(r.toString()).isEqualTo(3);
    assertThat(r.err()).contains("HTTP 401").contains("pass --token or set WSMSG_TOKEN");
  }

  @Test
  void aForbiddenEndpointExits3WithHttp403() {
    String token = server.token(new JsonObject().put("endpoints", List.of("app-*")));
    Result r = Cli.run(Cli.client(server, token, "sub", "--endpoint", "other", "x"));
    assertThat(r.code()).as(r.toString()).isEqualTo(3);
    assertThat(r.err()).contains("HTTP 403").contains("your token does not allow endpoint other");
  }

  @Test
  void nothingListeningExits3() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Result r = Cli.run("pub", "--url", "ws://127.0.0.1:" + port + "/", "--token", admin, "x", "y");
    assertThat(r.code()).as(r.toString()).isEqualTo(3);
    assertThat(r.err()).startsWith("wsmsg pub: cannot connect: ");
  }

  @Test
  void usageErrorsExit2() {
    assertThat(Cli.run("pub", "only-a-channel").code()).isEqualTo(2);
    assertThat(Cli.run("sub").code()).isEqualTo(2);
    assertThat(Cli.run("pub", "--url", "ftp://x/", "c", "s").code()).isEqualTo(2);
    assertThat(Cli.run("pub", "--timeout", "soon", "c", "s").code()).isEqualTo(2);
    assertThat(Cli.run("pub", "--reference", "not-a-uid", "c", "s").code()).isEqualTo(2);
    Result notJson = Cli.run(cli("pub", "c", "s", "hello"));
    assertThat(notJson.code()).isEqualTo(2);
    assertThat(notJson.err()).startsWith("wsmsg pub: the data is not JSON");
    assertThat(Cli.run("no-such-command").code()).isEqualTo(2);
  }
}
