package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.WireOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What {@link PeerBudgets} keeps of the messages sent to a member: forgotten once the member
 * confirms them (it answers a PING sent after them), handed to the lost handler, in the order
 * sent, when the confirmation times out or finds no one to answer. The "member" is an
 * event-bus consumer on a plain Vert.x instance.
 */
@ExtendWith(VertxExtension.class)
class PeerBudgetsTest {
  private static Frame frame(int n) {
    return FrameCodec.encode(new byte[16], "C", "s" + n, null, new byte[] {(byte) n}, WireOrder.SEED);
  }

  /** Sends three messages' worth to member {@code m} and asks for a confirmation. */
  private static void sendThree(Vertx vertx, PeerBudgets b, String m) {
    for (int i = 0; i < 3; i++) assertThat(b.take(m, 100, frame(i), List.of("ep" + i), i)).isTrue();
    b.sent(vertx, m);
  }

  @Test
  void whatTheMemberConfirmedIsForgotten(Vertx vertx, VertxTestContext ctx) {
    Counters counters = new Counters();
    PeerBudgets b = new PeerBudgets(10_000, 5000, counters);
    b.lostHandler((m, lost, timedOut, why) -> ctx.failNow("nothing is lost: " + lost.size() + " " + why));
    vertx.eventBus().consumer(PeerWire.gatewayAddress("m1"), msg -> msg.reply(null)).completion()
        .onComplete(ctx.succeeding(v -> {
          sendThree(vertx, b, "m1");
          vertx.setPeriodic(20, t -> {
            if (b.unconfirmedBytes("m1") != 0) return;
            vertx.cancelTimer(t);
            ctx.verify(() -> {
              assertThat(b.takeUnconfirmed("m1")).as("confirmed, so nothing kept").isEmpty();
              assertThat(counters.dropped(Counters.Drop.UNREACHABLE)).isZero();
            });
            ctx.completeNow();
          });
        }));
  }

  @Test
  void aMemberSilentPastTheTimeoutHandsBackEverythingInOrder(Vertx vertx, VertxTestContext ctx) throws Exception {
    PeerBudgets b = new PeerBudgets(10_000, 300, new Counters());
    b.lostHandler((m, lost, timedOut, why) -> ctx.verify(() -> {
      assertThat(m).isEqualTo("m2");
      assertThat(timedOut).isTrue();
      assertThat(lost).extracting(PeerBudgets.Unconfirmed::priority).containsExactly(0, 1, 2);
      assertThat(lost).extracting(u -> u.frame().subject()).containsExactly("s0", "s1", "s2");
      assertThat(lost.get(2).endpoints()).containsExactly("ep2");
      assertThat(b.unconfirmedBytes("m2")).isZero();
      ctx.completeNow();
    }));
    // registered, never answers: a hung member
    vertx.eventBus().consumer(PeerWire.gatewayAddress("m2"), msg -> {}).completion()
        .onComplete(ctx.succeeding(v -> sendThree(vertx, b, "m2")));
    assertThat(ctx.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aMemberWithNoOneListeningHandsBackEverythingAtOnce(Vertx vertx, VertxTestContext ctx) throws Exception {
    PeerBudgets b = new PeerBudgets(10_000, 60_000, new Counters());
    b.lostHandler((m, lost, timedOut, why) -> ctx.verify(() -> {
      assertThat(timedOut).as("no handler is not a timeout").isFalse();
      assertThat(lost).hasSize(3);
      ctx.completeNow();
    }));
    sendThree(vertx, b, "m3");
    assertThat(ctx.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void takingTheUnconfirmedEmptiesTheBudget() {
    PeerBudgets b = new PeerBudgets(250, 60_000, new Counters());
    assertThat(b.take("m4", 100, frame(0), List.of("a"), 0)).isTrue();
    assertThat(b.take("m4", 100, frame(1), List.of("b"), 0)).isTrue();
    assertThat(b.take("m4", 100, frame(2), List.of("c"), 0)).as("past the budget").isFalse();
    assertThat(b.takeUnconfirmed("m4")).extracting(u -> u.endpoints().get(0)).containsExactly("a", "b");
    assertThat(b.unconfirmedBytes("m4")).isZero();
    assertThat(b.take("m4", 100, frame(3), List.of("d"), 0)).as("room again").isTrue();
  }
}
