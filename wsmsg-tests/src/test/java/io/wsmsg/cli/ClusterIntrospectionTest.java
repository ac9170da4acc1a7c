package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.cli.Cli.Result;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestCluster;
import io.wsmsg.testkit.TestNode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code wsmsg endpoints} asked of a member that does not own the endpoint: the member gathers
 * the owner's figures over the peer messaging; with {@code --this-member} it shows the owner and
 * what it sees itself, the queue as unknown.
 */
class ClusterIntrospectionTest {
  static TestCluster cluster;
  static String admin;

  @BeforeAll
  static void startCluster() {
    cluster = TestCluster.start(2, null);
    admin = cluster.adminToken();
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  static String[] args(TestCluster.Member m, String command, String... more) {
    List<String> a = new java.util.ArrayList<>(List.of(command, "--management-url",
        "http://127.0.0.1:" + m.server.managementPort(), "--token", admin));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  static JsonObject json(TestCluster.Member m, String command, String... more) {
    List<String> a = new java.util.ArrayList<>(List.of(more));
    a.add("--json");
    Result r = Cli.run(args(m, command, a.toArray(String[]::new)));
    assertThat(r.code()).as(r.toString()).isZero();
    return new JsonObject(r.out());
  }

  @Test
  void aMemberShowsTheOwnersQueueAndTheNodesOnEveryMember() {
    TestCluster.Member m0 = cluster.member(0);
    TestCluster.Member m1 = cluster.member(1);
    String base = "ci-" + com.github.f4b6a3.ulid.Ulid.fast().toString().toLowerCase();
    String jobs = base + ".jobs";
    String channel = base + ".work";
    try (TestNode a = m0.node(jobs)) {
      a.command("subscribe.channel", jobs, channel);
      a.sync(jobs); // first used at member 0: it owns the queue
      cluster.awaitOwner(jobs, m0.id());
      cluster.awaitRouted(channel, "job", jobs);
      try (TestNode b = m1.node(jobs); TestNode publisher = m1.node(base + ".pub")) {
        Await.until("both nodes attached at the owner", () -> json(m1, "endpoints", "--filter", jobs),
            d -> d.getJsonArray("endpoints").size() == 1
                && d.getJsonArray("endpoints").getJsonObject(0).getInteger("nodes") == 2);
        for (int i = 0; i < 6; i++) publisher.publish(channel, "job", i);
        // each node holds one unacknowledged (window 1); the owner may also have handed one more
        // to member 1 ahead of b's window (prefetch): in flight either way, the rest stay queued
        a.nextMessage();
        b.nextMessage();
        JsonObject doc = Await.until("the owner's figures, asked of the other member",
            () -> json(m1, "endpoints", "--filter", base + ".*"),
            d -> IntrospectionCommandTest.row(d, "endpoints", jobs).getInteger("queued")
                + IntrospectionCommandTest.row(d, "endpoints", jobs).getInteger("inFlight") == 6
                && IntrospectionCommandTest.row(d, "endpoints", jobs).getInteger("inFlight") >= 2);
        assertThat(doc.getString("mode")).isEqualTo("clustered");
        assertThat(doc.getString("member")).isEqualTo(m1.id());
        assertThat(doc.getJsonArray("membersAnswered").getList()).containsExactlyInAnyOrder(m0.id(), m1.id());
        assertThat(doc.getJsonObject("membersMissing")).isEmpty();
        JsonObject row = IntrospectionCommandTest.row(doc, "endpoints", jobs);
        assertThat(row.getString("owner")).isEqualTo(m0.id());
        assertThat(row.getInteger("nodes")).isEqualTo(2);
        assertThat(row.getInteger("localNodes")).as("on the owner").isEqualTo(1);
        assertThat(row.getInteger("remoteNodes")).as("on member 1").isEqualTo(1);
        assertThat(row.getInteger("subscriptions")).isEqualTo(1);

        Result table = Cli.run(args(m1, "endpoints", "--filter", jobs));
        assertThat(table.code()).as(table.toString()).isZero();
        List<List<String>> t = IntrospectionCommandTest.cells(table);
        assertThat(t.get(0)).containsExactly("ENDPOINT", "QUEUED", "IN-FLIGHT", "NODES", "REMOTE", "DROPPED", "SUBS",
            "SIZE", "OWNER");
        assertThat(t.get(1)).hasSize(9);
        assertThat(List.of(t.get(1).get(0), t.get(1).get(3), t.get(1).get(4), t.get(1).get(5), t.get(1).get(6),
            t.get(1).get(7), t.get(1).get(8))).containsExactly(jobs, "2", "1", "0", "1", "10000", m0.id());
        assertThat(Integer.parseInt(t.get(1).get(1)) + Integer.parseInt(t.get(1).get(2))).as("queued + in flight")
            .isEqualTo(6);

        // this member alone: it knows the owner and its own node, not the queue
        JsonObject mine = json(m1, "endpoints", "--filter", jobs, "--this-member");
        assertThat(mine.getJsonArray("membersAnswered").getList()).containsExactly(m1.id());
        JsonObject own = IntrospectionCommandTest.row(mine, "endpoints", jobs);
        assertThat(own.getString("owner")).isEqualTo(m0.id());
        assertThat(own.getValue("queued")).isNull();
        assertThat(own.getValue("inFlight")).isNull();
        assertThat(own.getInteger("remoteNodes")).isEqualTo(1);
        Result partial = Cli.run(args(m1, "endpoints", "--filter", jobs, "--this-member"));
        assertThat(IntrospectionCommandTest.cells(partial).get(1)).containsExactly(jobs, "?", "?", "1", "1", "?", "1",
            "10000", m0.id());

        // the channel is routed where it is published: member 1's router
        JsonObject channels = json(m0, "channels", "--filter", channel);
        JsonObject ch = IntrospectionCommandTest.row(channels, "channels", channel);
        assertThat(ch.getString("router")).isEqualTo("deployed");
        assertThat(ch.getInteger("routers")).isEqualTo(1);
        assertThat(ch.getInteger("subscriptions")).isEqualTo(1);
      }
    }
  }
}
