package io.wsmsg.server;

import static io.wsmsg.testkit.E2E.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.wsmsg.auth.TokenSigner;
import io.wsmsg.protocol.ErrorCodes;
import io.wsmsg.protocol.Frame;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SPEC 7 stop: an admin {@code stop} command tells every node {@code stopping}, refuses new
 * publishes with {@code error stopping}, closes every connection with 1001 and completes
 * {@link WsmsgServer#stopped()}.
 */
@ExtendWith(VertxExtension.class)
class StopTest extends ServerTestBase {
  TestServer ts;

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void stopCommandStopsTheServerCleanly(VertxTestContext ctx) {
    // a grace period long enough to publish during it on a busy machine
    ts = startServer(new JsonObject().put("stop", new JsonObject().put("graceMillis", 3000)));
    Checkpoint stopped = ctx.checkpoint();
    ts.server.stopped().onComplete(ctx.succeeding(v -> stopped.flag()));

    TestNode admin = node("ops");
    TestNode worker = node("workers");
    TestNode monitor = node("monitor");
    subscribe(ts, monitor, "monitor", "system", "stop");
    subscribe(ts, admin, "workers", "jobs"); // nobody else matches "stop": only monitor sees it
    awaitConnections(ts, 3);

    byte[] stopUid = admin.command("stop");

    for (TestNode n : List.of(admin, worker)) {
      Frame notice = nextSystem(n, "stopping");
      ctx.verify(() -> assertThat(data(notice)).isEqualTo(List.of()));
    }
    var seen = nextSystemAll(monitor, "stopping", "stop");
    ctx.verify(() -> assertThat(data(seen.get("stopping"))).isEqualTo(List.of()));
    Frame forwarded = seen.get("stop");
    ctx.verify(() -> assertThat(forwarded.uid()).as("the stop command is forwarded to system subscribers")
        .isEqualTo(stopUid));

    byte[] refused = worker.publish("jobs", "late", 1);
    Frame error = nextSystem(worker, "error");
    ctx.verify(() -> {
      assertThat(error.reference()).isEqualTo(refused);
      assertThat(((List<?>) data(error)).get(0)).isEqualTo(ErrorCodes.STOPPING);
    });

    for (TestNode n : List.of(admin, worker, monitor)) {
      short code = awaitClose(n);
      ctx.verify(() -> assertThat(code).as("close code").isEqualTo((short) 1001));
    }
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void stopNeedsAnAdminToken(VertxTestContext ctx) {
    ts = startServer();
    String plain = new TokenSigner(ts.vertx, TestServer.SECRET).sign("plain", null, 3600);
    TestNode user = closeAfterTest(ts.node("user", plain, null));
    byte[] uid = user.command("stop");
    Frame error = nextSystem(user, "error");
    ctx.verify(() -> {
      assertThat(error.reference()).isEqualTo(uid);
      assertThat(((List<?>) data(error)).get(0)).isEqualTo(ErrorCodes.FORBIDDEN);
      assertThat(ts.server.stopped().isComplete()).isFalse();
    });
    // still serving
    subscribe(ts, user, "user", "chat");
    user.publish("chat", "hi", 1);
    Frame echo = nextUnacked(user);
    ctx.verify(() -> assertThat(data(echo)).isEqualTo(1L));
    ctx.completeNow();
  }

  /** Waits for the close longer than {@link TestNode#awaitClose()} (grace period plus a busy machine). */
  private static short awaitClose(TestNode n) {
    until("connection closed", n::isClosed);
    return n.awaitClose();
  }
}
