package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.RogueMember;
import io.wsmsg.testkit.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: two members in their own JVMs with the event bus over mutual TLS, and a third JVM
 * that joins their Hazelcast (right cluster name, no certificate) and tries everything a peer
 * could do. Each attempt is refused, the members say so, nothing stops, nothing is claimed by
 * the rogue, and pub/sub and requests keep crossing the gateways.
 */
class RogueMemberTest {
  @TempDir Path dir;

  private static final List<String> ATTEMPTS = List.of("stop", "claim", "attach", "handoff", "channel-size-0", "dump");

  @Test
  void aJvmWithoutTheClusterCertificateCanNeitherStopClaimAttachNorInject() throws Exception {
    try (MemberProcesses c = new MemberProcesses(dir, 2, 1)) {
      try {
        run(c);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "\n--- gateway 0 ---\n" + warnings(c.log(0)) + "\n--- gateway 1 ---\n"
            + warnings(c.log(1)) + "\n--- rogue ---\n" + read(dir.resolve("rogue.log")).lines()
                .filter(l -> l.startsWith("ROGUE")).reduce("", (a, b) -> a + b + "\n"), e);
      }
    }
  }

  private static String warnings(String log) {
    return log.lines().filter(l -> l.contains(" WARN ") || l.contains("SEVERE") || l.contains("ERROR"))
        .reduce("", (a, b) -> a + b + "\n");
  }

  private void run(MemberProcesses c) throws Exception {
    {
      c.start(0);
      c.start(1);
      c.awaitMembers(0, 2);
      c.awaitMembers(1, 2);
      String gw0 = c.status(0).getJsonObject("cluster").getString("member");

      // endpoint jobs, owned by gateway 0, holding three messages
      try (TestNode first = TestNode.connect(c.clientVertx, c.ws[0], "jobs", c.token, WireOrder.SEED)) {
        first.command("subscribe.channel", "jobs", "work", "*");
        first.sync("jobs");
      }
      Await.until("gateway 1 to route work to jobs", () -> c.status(1), s -> s != null && s.getInteger("subscriptions") > 0);
      Await.until("gateway 1 to say gateway 0 owns jobs", () -> MemberProcesses.owner(c.status(1), "jobs"), gw0::equals);
      try (TestNode boss = TestNode.connect(c.clientVertx, c.ws[1], "boss", c.token, WireOrder.SEED)) {
        for (int i = 0; i < 3; i++) boss.publish("work", "job" + i, i);
        boss.sync("boss");
      }

      Path rogueLog = dir.resolve("rogue.log");
      c.startJvm(rogueLog, RogueMember.class.getName(), List.of("--name", c.clusterName, "--members", c.memberList(),
          "--port", String.valueOf(c.hz[2]), "--endpoint", "jobs", "--channel", "work", "--expect", "2",
          "--stay", "20"));
      String out = Await.until("the rogue to finish its attempts", () -> read(rogueLog), s -> s.contains("ROGUE done"),
          Duration.ofSeconds(90));
      Matcher joined = Pattern.compile("ROGUE joined (\\S+)").matcher(out);
      assertThat(joined.find()).as(out).isTrue();
      String rogue = joined.group(1);

      // every attempt against every member was refused: none got an answer
      for (String attempt : ATTEMPTS) {
        List<String> lines = out.lines().filter(l -> l.startsWith("ROGUE " + attempt + " ")).toList();
        assertThat(lines).as("%s attempts in%n%s", attempt, out).hasSize(2);
        assertThat(lines).as(out).allMatch(l -> l.split(" ")[3].equals("refused"));
      }
      assertThat(out).doesNotContain("ROGUE read a queued message");

      // the members name the rogue as a Hazelcast member that never proved membership
      for (int i = 0; i < 2; i++) {
        int m = i;
        JsonObject st = Await.until("gateway " + m + " to list the rogue as unproven",
            () -> c.status(m), s -> s != null && s.getJsonObject("cluster").getJsonObject("unproven").containsKey(rogue),
            Duration.ofSeconds(30));
        assertThat(st.getJsonObject("cluster").getJsonArray("members").getList()).doesNotContain(rogue).hasSize(2);
        Await.until("gateway " + m + "'s log to warn about " + rogue, () -> c.log(m),
            l -> l.contains("cluster member " + rogue) && l.contains("without proving membership")
                && l.contains("Connecting to server " + rogue + " failed (event bus"));
        assertThat(c.processes.get(m).isAlive()).isTrue();
        assertThat(c.ready(m)).as("gateway %d /ready", m).isEqualTo(200);
        assertThat(MemberProcesses.owner(c.status(m), "jobs")).isEqualTo(gw0);
      }

      // pub/sub across gateways: the queue is intact (nothing read, nothing injected, the channel not sized to 0)
      // a window wider than the queue: sync's probe queues behind the three jobs
      try (TestNode worker = TestNode.connect(c.clientVertx, c.ws[1], "jobs?window=16", c.token, WireOrder.SEED);
          TestNode boss = TestNode.connect(c.clientVertx, c.ws[0], "boss", c.token, WireOrder.SEED)) {
        worker.sync("jobs");
        boss.publish("work", "job3", 3);
        for (int i = 0; i < 4; i++) {
          Frame f = worker.nextMessage();
          assertThat(f.subject()).isEqualTo("job" + i);
          worker.ack(f);
        }
        worker.expectNothing(500);
      }

      // a request and its reply across gateways
      int known = c.status(1).getInteger("subscriptions");
      try (TestNode service = TestNode.connect(c.clientVertx, c.ws[0], "svc", c.token, WireOrder.SEED);
          TestNode caller = TestNode.connect(c.clientVertx, c.ws[1], "caller", c.token, WireOrder.SEED)) {
        service.command("subscribe.channel", "svc", "svc.request", "*");
        service.sync("svc");
        caller.sync("caller");
        Await.until("gateway 1 to route svc.request", () -> c.status(1).getInteger("subscriptions"), n -> n > known);
        byte[] uid = Ulids.next();
        caller.command("subscribe.message", "caller", uid, 30);
        caller.publishAs(uid, "svc.request", "double", 21, null);
        Frame req = service.nextMessage();
        service.ack(req);
        service.publish("svc.reply", "double", 42, req.uid());
        Frame reply = caller.nextMessage();
        assertThat(reply.reference()).isEqualTo(uid);
        assertThat(((Number) TestNode.data(reply)).intValue()).isEqualTo(42);
        caller.ack(reply);
      }
      for (int i = 0; i < 2; i++) assertThat(c.processes.get(i).isAlive()).as("gateway %d still running", i).isTrue();
    }
  }

  static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
