package io.wsmsg.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.testkit.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;

class AdminTest extends ClientTestBase {

  @Override
  JsonObject serverOverrides() {
    try {
      Path dir = Files.createTempDirectory("wsmsg-client-test");
      dir.toFile().deleteOnExit();
      return new JsonObject().put("dataDir", dir.toString());
    } catch (java.io.IOException e) {
      throw new RuntimeException(e);
    }
  }

  @Test
  void adminCommandsApplyAndEmitEvents() {
    WsmsgClient admin = connect();
    LinkedBlockingQueue<Message> events = new LinkedBlockingQueue<>();
    await(admin.consume("system", "*.*ed", events::offer));

    await(admin.createChannel("audit"));
    await(admin.sizeChannel("audit", 5));
    await(admin.prioritizeChannel("audit", 7));
    await(admin.createEndpoint("archive"));
    await(admin.sizeEndpoint("archive", 9));

    assertThat(server.server.registry().channel("audit").size()).isEqualTo(5);
    assertThat(server.server.registry().channel("audit").priority()).isEqualTo(7);
    assertThat(server.server.registry().endpointSize("archive")).isEqualTo(9);
    List<String> want = List.of("channel.created", "channel.sized", "channel.prioritized", "endpoint.created",
        "endpoint.sized");
    for (String subject : want) {
      Message m;
      do {
        m = PubSubTest.next(events);
      } while (!m.subject().equals(subject)); // other events (e.g. this client's endpoint) may interleave
      assertThat(((List<?>) m.data()).get(0)).isIn("audit", "archive");
    }
  }

  @Test
  void adminCommandsNeedAnAdminToken() {
    WsmsgClient plain = connect(options().token(server.token(null)));
    WsmsgException e = (WsmsgException) failure(plain.sizeChannel("x", 5));
    assertThat(e.code()).isEqualTo("forbidden");
    assertThat(e.getMessage()).contains("admin");
    e = (WsmsgException) failure(plain.stopServer());
    assertThat(e.code()).isEqualTo("forbidden");
    await(plain.createChannel("anyone-may")); // not an admin command
  }

  @Test
  void badArgumentsAndUnknownCommandsFail() {
    WsmsgClient admin = connect();
    assertThat(((WsmsgException) failure(admin.prioritizeChannel("x", 500))).code()).isEqualTo("bad_arguments");
    assertThat(((WsmsgException) failure(admin.command("no.such.command"))).code()).isEqualTo("unknown_command");
    assertThat(((WsmsgException) failure(admin.sizeEndpoint("x", 0))).code()).isEqualTo("bad_arguments");
  }

  @Test
  void rawSubscriptionCommandsActOnOtherEndpoints() {
    WsmsgClient admin = connect();
    try (TestNode watcher = server.node("watcher")) {
      await(admin.subscribeChannel("watcher", "raw", "*"));
      await(admin.publish("raw", "x", 1));
      Frame f = watcher.nextMessage();
      assertThat(f.channel()).isEqualTo("raw");
      watcher.ack(f);

      await(admin.unsubscribeChannel("watcher", "raw"));
      await(admin.publish("raw", "x", 2));

      byte[] uid = Ulids.next();
      await(admin.subscribeMessage("watcher", uid, Duration.ofSeconds(30)));
      await(admin.publishWithReference("elsewhere", "re", 3, uid));
      Frame g = watcher.nextMessage();
      assertThat(TestNode.data(g)).isEqualTo(3L); // not the 2: unsubscribed
      watcher.ack(g);

      await(admin.unsubscribeMessage("watcher", uid));
      await(admin.publishWithReference("elsewhere", "re", 4, uid));
      await(admin.subscribeMessage("watcher", Ulids.next(), null)); // server default expiry
      await(admin.sync());
      Frame h = watcher.poll(300);
      assertThat(h == null || "system".equals(h.channel())).isTrue();
    }
  }

  @Test
  void stopServerStopsTheServer() {
    WsmsgClient admin = connect(options().reconnect(false));
    WsmsgClient other = connect(options().reconnect(false));
    LinkedBlockingQueue<Message> notices = new LinkedBlockingQueue<>();
    other.onSystemEvent(m -> {
      if (m.subject().equals("stopping")) notices.offer(m);
    });
    await(admin.stopServer());
    assertThat(PubSubTest.next(notices).channel()).isEqualTo("system");
    await(server.server.stopped());
    waitUntil("the client sees the close", () -> other.state() == ConnectionState.CLOSED);
  }
}
