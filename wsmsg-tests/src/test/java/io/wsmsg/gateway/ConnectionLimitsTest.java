package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.RawWs;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Item 3 of issue 9 (connections): a global and a per-address bound, refused before the upgrade. */
class ConnectionLimitsTest extends ServerTestBase {
  TestServer ts;
  final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) c.close();
  }

  private RawWs upgradeFrom(String localHost) throws Exception {
    RawWs ws = RawWs.connect(ts.port(), localHost, 0);
    open.add(ws);
    ws.upgrade("/ep", ts.adminToken());
    return ws;
  }

  private int upgradedAfterFreeing(String localHost) {
    return Await.until("an upgrade from " + localHost + " accepted", () -> {
      try {
        return upgradeFrom(localHost).status;
      } catch (Exception e) {
        throw new AssertionError(e); // a failed connection is a failure, not a "not yet"
      }
    }, status -> status == 101, Duration.ofSeconds(30)); // generous: a busy machine
  }

  @Test
  void oneAddressGetsAtMostMaxConnectionsPerIpOthersAreNotAffected() throws Exception {
    ts = startServer(new JsonObject().put("limits", new JsonObject().put("maxConnectionsPerIp", 3)));
    TestNode a = ts.node("a");
    open.add(a);
    RawWs b = upgradeFrom("127.0.0.1");
    assertThat(b.status).isEqualTo(101);
    RawWs c = upgradeFrom("127.0.0.1");
    assertThat(c.status).isEqualTo(101);

    RawWs refused = upgradeFrom("127.0.0.1");
    assertThat(refused.status).isEqualTo(429);
    assertThat(refused.body).contains("limits.maxConnectionsPerIp").contains("3");
    assertThat(refused.awaitEof()).isTrue();

    // another address is not held back by this one
    assertThat(upgradeFrom("127.0.0.2").status).isEqualTo(101);

    // one of the three leaves: its slot is free again
    b.close();
    assertThat(upgradedAfterFreeing("127.0.0.1")).isEqualTo(101);
  }

  @Test
  void theServerTakesAtMostMaxConnectionsFromAllAddresses() throws Exception {
    ts = startServer(new JsonObject().put("limits", new JsonObject().put("maxConnections", 2)));
    RawWs a = upgradeFrom("127.0.0.1");
    assertThat(a.status).isEqualTo(101);
    assertThat(upgradeFrom("127.0.0.2").status).isEqualTo(101);

    RawWs refused = upgradeFrom("127.0.0.3");
    assertThat(refused.status).isEqualTo(503);
    assertThat(refused.body).contains("limits.maxConnections").contains("2");

    a.close();
    assertThat(upgradedAfterFreeing("127.0.0.3")).isEqualTo(101);
  }
}
