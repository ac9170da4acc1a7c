package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.cli.Cli.Background;
import io.wsmsg.cli.Cli.Result;
import io.wsmsg.client.BlockingClient;
import io.wsmsg.client.ClientOptions;
import io.wsmsg.testkit.Await;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's "RPC with channel subscriptions" from a shell, run as written: a replier, a
 * sub collecting the replies on its named endpoint, one-shot publishers. Every reply reaches
 * the sub; a one-shot command never takes a message of a named endpoint's real nodes.
 */
class PatternFourCommandTest extends CliServerTestBase {
  static final int N = 8;

  /** {@code reply --endpoint calc calc '*.request' --exec <sum>}, {@code sub --endpoint app calc '*.reply'}, N pubs. */
  void patternFour(boolean pubOnTheRequestersEndpoint) {
    String calc = fresh("calc");
    String app = fresh("app");
    Background replier = new Background(cli("reply", "--endpoint", calc, calc, "*.request", "--count",
        String.valueOf(N), "--exec", "awk -F'[][,]' '{print $2+$3}'")).awaitListening();
    Background sub = new Background(cli("sub", "--endpoint", app, calc, "*.reply", "--count", String.valueOf(N)))
        .awaitListening();
    List<String> requests = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      String[] args = pubOnTheRequestersEndpoint
          ? cli("pub", "--endpoint", app, calc, "add.request", "[" + i + ",3]")
          : cli("pub", calc, "add.request", "[" + i + ",3]");
      Result p = Cli.run(args);
      assertThat(p.code()).as(p.toString()).isZero();
      requests.add(p.out().strip());
    }
    Result replies = sub.join();
    assertThat(replies.code()).as(replies.toString()).isZero();
    assertThat(replies.lines()).hasSize(N);
    List<String> sums = new ArrayList<>();
    List<String> references = new ArrayList<>();
    for (String line : replies.lines()) {
      String[] f = line.split(" ");
      assertThat(f[1] + " " + f[2]).isEqualTo(calc + " add.reply");
      references.add(f[4]);
      sums.add(f[5]);
    }
    assertThat(references).containsExactlyInAnyOrderElementsOf(requests);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < N; i++) expected.add(String.valueOf(i + 3));
    assertThat(sums).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(replier.join().code()).isZero();
  }

  @Test
  void everyReplyReachesTheSubAsTheReadmeWritesIt() {
    patternFour(false);
  }

  @Test
  void pubOnTheSubsNamedEndpointAttachesPausedAndTakesNoReply() {
    // the README used to say pub --endpoint app: the publisher competed with the sub for app's
    // messages and acked away 3 replies of 8
    patternFour(true);
  }

  @Test
  void reqWithANamedEndpointWarnsThatItsRepliesGoToASharedQueue() {
    String ch = fresh("warn");
    Background reply = new Background(cli("reply", ch, "*.request", "--echo", "--count", "1")).awaitListening();
    Result r = Cli.run(cli("req", "--endpoint", fresh("mine"), ch, "x.request", "7", "--timeout", "20s"));
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out().strip()).isEqualTo("7");
    assertThat(r.err()).startsWith("wsmsg req: warning: replies to this request go to endpoint mine-")
        .contains("leave out --endpoint");
    assertThat(reply.join().code()).isZero();
    Result quiet = Cli.run(cli("req", ch, "x.request", "1", "--timeout", "300ms"));
    assertThat(quiet.err()).doesNotContain("warning");
  }

  @Test
  void subOnANamedEndpointWithABacklogPrintsEveryQueuedMessage() {
    String ch = fresh("backlog");
    String ep = fresh("workers");
    try (BlockingClient c = BlockingClient.connect(new ClientOptions()
        .url("ws://127.0.0.1:" + server.port() + "/").token(admin))) {
      c.subscribeChannel(ep, ch, "*");
      for (int i = 0; i < 5; i++) c.publish(ch, "job", i);
      c.sync();
    }
    Await.until("five jobs queued", () -> server.queueDepth(ep), d -> d == 5);
    Result r = new Background(cli("sub", "--endpoint", ep, ch, "--count", "5")).join();
    assertThat(r.code()).as(r.toString()).isZero();
    List<String> data = r.lines().stream().map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList();
    assertThat(data).containsExactly("0", "1", "2", "3", "4");
  }
}
