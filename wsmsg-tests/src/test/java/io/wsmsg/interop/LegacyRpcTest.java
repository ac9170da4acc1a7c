package io.wsmsg.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The original Python client's RPC pattern without Python (PythonLegacyClientTest runs the
 * real thing): the requester subscribes to replies of its request uid with two arguments and
 * publishes the request on a channel that does not exist yet. The first message referencing
 * the request must be the reply: the channel.created event that the publish causes must not
 * reference the request (it did, and the Python client took the event for the reply).
 */
class LegacyRpcTest extends ServerTestBase {
  TestServer server;

  @BeforeEach
  void start() {
    server = startServer(new JsonObject().put("auth", new JsonObject().put("mode", "none")));
  }


  @Test
  void firstMessageReferencingARequestIsItsReply() {
    try (TestNode responder = server.node("calc", null, WireOrder.LEGACY);
        TestNode requester = server.node("caller", null, WireOrder.LEGACY)) {
      // acks are sent from this thread: TestNode's autoAck blocks the client event loop
      responder.command("subscribe.channel", "calc", "calc.request", "*");
      // a message that comes back to the responder proves its subscription is live
      byte[] probe = Ulids.next();
      responder.command("subscribe.message", "calc", probe);
      responder.publish("probe", "probe", null, probe);
      Frame echoed = responder.nextMessage();
      assertThat(echoed.reference()).isEqualTo(probe);
      responder.ack(echoed);

      byte[] request = Ulids.next();
      requester.command("subscribe.message", "caller", request);
      requester.sendRaw(FrameCodec.encode(request, "calc.request", "add", null, MsgPack.pack(List.of(1, 2, 3)),
          WireOrder.LEGACY).rawBytes());

      Frame got = responder.nextMessage();
      assertThat(got.uid()).isEqualTo(request);
      responder.ack(got);
      responder.publish("calc.reply", "sum", 6, got.uid());

      Frame reply = requester.next();
      requester.ack(reply);
      assertThat(reply.channel() + "/" + reply.subject()).isEqualTo("calc.reply/sum");
      assertThat(reply.reference()).isEqualTo(request);
      assertThat(TestNode.data(reply)).isEqualTo(6L);
      assertThat(reply.order()).isEqualTo(WireOrder.LEGACY);
    }
  }
}
