package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.wsmsg.cli.Cli.Background;
import io.wsmsg.cli.Cli.Result;
import io.wsmsg.client.BlockingClient;
import io.wsmsg.client.ClientOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code wsmsg req} and {@code wsmsg reply} end to end against a real server. */
class ReqReplyCommandTest extends CliServerTestBase {
  /** A generous request timeout: the machine is shared, and a test never waits for it to pass. */
  private static final String T = "20s";

  @Test
  void reqGetsTheEchoOfReplyEcho() {
    String ch = fresh("echo");
    Background reply = new Background(cli("reply", ch, "*.request", "--echo", "--count", "1")).awaitListening();
    Result r = Cli.run(cli("req", ch, "ping.request", "{\"a\": [1, 2.5, \"x\", {\"$bin\": \"AQI=\"}]}", "--timeout", T));
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out().strip()).isEqualTo("{\"a\":[1,2.5,\"x\",{\"$bin\":\"AQI=\"}]}");
    Result served = reply.join();
    assertThat(served.code()).as(served.toString()).isZero();
    assertThat(served.lines()).singleElement().asString().contains(" " + ch + " ping.request ")
        .endsWith(" - {\"a\":[1,2.5,\"x\",{\"$bin\":\"AQI=\"}]}");
  }

  @Test
  void reqGetsTheOutputOfReplyExecCat() {
    String ch = fresh("cat");
    Background reply = new Background(cli("reply", ch, "*", "--exec", "cat", "--count", "2")).awaitListening();
    Result r = Cli.run(cli("req", ch, "add.request", "[2, 3]", "--timeout", T));
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out().strip()).isEqualTo("[2,3]");
    Result nil = Cli.run(cli("req", ch, "nothing.request", "--timeout", T));
    assertThat(nil.out().strip()).isEqualTo("null");
    assertThat(reply.join().code()).isZero();
  }

  @Test
  void replyExecComputesFromStdinAndSeesTheRequestInItsEnvironment() {
    String ch = fresh("calc");
    Background reply = new Background(cli("reply", ch, "*.request", "--count", "2", "--exec",
        "case \"$WSMSG_SUBJECT\" in add.request) awk -F'[][,]' '{print $2+$3}';; *) echo \"$WSMSG_CHANNEL says hi\";; esac"))
        .awaitListening();
    Result sum = Cli.run(cli("req", ch, "add.request", "[2,3]", "--timeout", T));
    assertThat(sum.code()).as(sum.toString()).isZero();
    assertThat(sum.out().strip()).isEqualTo("5");
    Result text = Cli.run(cli("req", ch, "hi.request", "--timeout", T));
    assertThat(text.code()).as(text.toString()).isZero();
    assertThat(text.out().strip()).isEqualTo("\"" + ch + " says hi\""); // not JSON: sent as a string
    assertThat(reply.join().code()).isZero();
  }

  @Test
  void aFailingExecBecomesARemoteExceptionAndReqExits5() {
    String ch = fresh("fail");
    Background reply = new Background(cli("reply", ch, "*.request", "--count", "1", "--exec",
        "cat >/dev/null; echo 'division by zero' >&2; exit 3")).awaitListening();
    Result r = Cli.run(cli("req", ch, "div.request", "[1, 0]", "--timeout", T));
    assertThat(r.code()).as(r.toString()).isEqualTo(5);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip()).isEqualTo("wsmsg req: the replier failed: division by zero");
    Result served = reply.join();
    assertThat(served.code()).isZero();
    assertThat(served.err()).contains("the command exited with status 3").contains("division by zero");
  }

  @Test
  void aRemoteExceptionFromALibraryReplierExits5() {
    String ch = fresh("lib");
    try (BlockingClient c = BlockingClient.connect(new ClientOptions().url("ws://127.0.0.1:" + server.port() + "/")
        .token(admin))) {
      c.async().reply(ch, "*.request", m -> Future.failedFuture(new IllegalStateException("no such user"))).toCompletionStage()
          .toCompletableFuture().join();
      Result r = Cli.run(cli("req", ch, "user.get.request", "{\"id\": 7}", "--timeout", T));
      assertThat(r.code()).as(r.toString()).isEqualTo(5);
      assertThat(r.err().strip()).isEqualTo("wsmsg req: the replier failed: no such user");
    }
  }

  @Test
  void noReplyExits4WithASentence() {
    String ch = fresh("nobody");
    Result r = Cli.run(cli("req", ch, "x.request", "1", "--timeout", "300ms"));
    assertThat(r.code()).as(r.toString()).isEqualTo(4);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip()).isEqualTo("wsmsg req: no reply to x.request on channel " + ch + " within 300 ms");
    Result all = Cli.run(cli("req", ch, "x.request", "--all", "--timeout", "300ms"));
    assertThat(all.code()).as(all.toString()).isEqualTo(4);
  }

  @Test
  void reqAllPrintsEveryReply() {
    String ch = fresh("scatter");
    Background r1 = new Background(cli("reply", ch, "*.request", "--echo", "--count", "1")).awaitListening();
    Background r2 = new Background(cli("reply", ch, "*.request", "--exec", "echo 2", "--count", "1")).awaitListening();
    Result r = Cli.run(cli("req", ch, "who.request", "1", "--all", "--count", "2", "--timeout", T));
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.lines()).containsExactlyInAnyOrder("1", "2");
    assertThat(r1.join().code()).isZero();
    assertThat(r2.join().code()).isZero();
  }

  @Test
  void reqJsonPrintsTheWholeReplyAndReplyQuietPrintsNothing() throws Exception {
    String ch = fresh("whole");
    // --quiet prints no "answering" note: watch the server apply the replier's subscribe.channel instead
    java.util.concurrent.CountDownLatch subscribed = new java.util.concurrent.CountDownLatch(1);
    try (BlockingClient monitor = BlockingClient.connect(new ClientOptions()
        .url("ws://127.0.0.1:" + server.port() + "/").token(admin))) {
      monitor.subscribe("system", "subscribe.channel", m -> {
        if (m.data() instanceof List<?> args && args.size() > 1 && ch.equals(args.get(1))) subscribed.countDown();
      });
      Background reply = new Background(cli("reply", ch, "*", "--echo", "--count", "1", "--quiet"));
      assertThat(subscribed.await(Cli.WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)).isTrue();
      Result r = Cli.run(cli("req", ch, "get.request", "\"x\"", "--json", "--timeout", T));
      assertThat(r.code()).as(r.toString()).isZero();
      JsonObject o = new JsonObject(r.out().strip());
      assertThat(o.getString("channel")).isEqualTo(ch);
      assertThat(o.getString("subject")).isEqualTo("get.reply");
      assertThat(o.getString("reference")).isNotNull();
      assertThat(o.getString("data")).isEqualTo("x");
      Result served = reply.join();
      assertThat(served.code()).isZero();
      assertThat(served.out()).isEmpty();
      assertThat(served.err()).isEmpty();
    }
  }

  @Test
  void replyNeedsEitherEchoOrExec() {
    assertThat(Cli.run(cli("reply", "c", "*")).code()).isEqualTo(2);
    assertThat(Cli.run(cli("reply", "c", "*", "--echo", "--exec", "cat")).code()).isEqualTo(2);
  }

  @Test
  void aForbiddenRequestExits1() {
    String token = server.token(new JsonObject().put("publish", List.of("ok")));
    Result r = Cli.run(Cli.client(server, token, "req", "calc", "add.request", "[1]", "--timeout", T));
    assertThat(r.code()).as(r.toString()).isEqualTo(1);
    assertThat(r.err().strip()).isEqualTo("wsmsg req: the server refused the request: forbidden: your token does not"
        + " allow publishing to channel calc");
  }
}
