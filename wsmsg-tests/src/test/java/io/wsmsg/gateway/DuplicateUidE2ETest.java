package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.E2E;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** Publishers choose uids: deliveries sharing one are still counted one by one in the window. */
class DuplicateUidE2ETest extends ServerTestBase {
  TestServer ts;


  @Test
  void theWindowCountsDeliveriesNotUids() {
    ts = startServer(new JsonObject().put("delivery", new JsonObject().put("ackTimeoutSeconds", 1)));
    byte[] same = Ulids.next();
    try (TestNode admin = ts.node("admin"); TestNode node = ts.node("dup?window=2")) {
      E2E.subscribe(ts, admin, "dup", "retries");
      for (int i = 0; i < 5; i++) {
        admin.sendRaw(FrameCodec.encode(same, "retries", "try" + i, null, MsgPack.pack(i), WireOrder.SEED).rawBytes());
      }
      Frame a = node.nextMessage();
      Frame b = node.nextMessage();
      assertThat(a.uid()).isEqualTo(same);
      assertThat(b.uid()).isEqualTo(same);
      node.expectNothing(E2E.QUIET_MS); // window 2: two deliveries held, whatever their uids

      node.ack(a); // settles one delivery, so exactly one more comes
      assertThat(node.nextMessage().subject()).isEqualTo("try2");
      node.expectNothing(E2E.QUIET_MS);

      // the two left unacknowledged time out one by one and each frees its own slot
      E2E.awaitDrops(ts, Counters.Drop.ACK_TIMEOUT, 2);
      assertThat(node.nextMessage().subject()).isEqualTo("try3");
    }
  }
}
