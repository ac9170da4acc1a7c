package io.wsmsg.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SmokeTest extends ServerTestBase {
  TestServer server;

  @BeforeEach
  void start() {
    server = startServer();
  }


  @Test
  void publishReachesSubscriber() {
    try (TestNode sub = server.node("workers"); TestNode pub = server.node("producer")) {
      // Sent by the publisher: a command is visible to the sending node's next message at once,
      // to other nodes only "within milliseconds" (SPEC 8), which a busy machine can exceed.
      pub.command("subscribe.channel", "workers", "jobs.*", "*");
      pub.publish("jobs.new", "hello", List.of(1, 2, 3));
      Frame got = sub.nextMessage();
      assertThat(got.channel()).isEqualTo("jobs.new");
      assertThat(TestNode.data(got)).isEqualTo(List.of(1L, 2L, 3L));
    }
  }
}
