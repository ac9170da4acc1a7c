package io.wsmsg.registry;

import static io.wsmsg.testkit.E2E.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.Uid;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SPEC 6 {@code subscribe.message [endpoint, uid, expires]}: relative seconds, unix time
 * (10^9 and more), the default when absent, and the configured cap.
 */
class MessageSubscriptionExpiryE2ETest extends ServerTestBase {
  TestServer ts;
  TestNode node;

  @BeforeEach
  void start() {
    ts = startServer();
    node = node("rpc");
  }

  /** Subscribes and returns the expiry the registry recorded, in epoch millis. */
  private long subscribeAndGetExpiry(Object... args) {
    byte[] uid = (byte[]) args[1];
    node.command("subscribe.message", args);
    until("message subscription recorded", () ->
        ts.server.registry().messageSubscriptions().copy().containsKey(Uid.of(uid)));
    Map<String, Long> m = ts.server.registry().messageSubscriptions().copy().get(Uid.of(uid));
    assertThat(m).containsOnlyKeys("rpc");
    return m.get("rpc");
  }

  @Test
  void expiresIsRelativeSecondsUnixTimeOrTheDefault() {
    long now = System.currentTimeMillis();
    long relative = subscribeAndGetExpiry("rpc", Ulids.next(), 30);
    assertThat(relative - now).isCloseTo(30_000L, within(10_000L));

    long unix = now / 1000 + 120;
    long absolute = subscribeAndGetExpiry("rpc", Ulids.next(), unix);
    assertThat(absolute).isEqualTo(unix * 1000);

    long dflt = subscribeAndGetExpiry("rpc", Ulids.next());
    assertThat(dflt - now).as("default 60 s").isCloseTo(60_000L, within(10_000L));

    long fractional = subscribeAndGetExpiry("rpc", Ulids.next(), 0.5);
    assertThat(fractional - now).isCloseTo(500L, within(10_000L));
  }

  @Test
  void expiresIsCappedByTheConfiguredMaximum() {
    long now = System.currentTimeMillis();
    long capped = subscribeAndGetExpiry("rpc", Ulids.next(), 10L * 3600);
    assertThat(capped - now).as("maximum 3600 s").isCloseTo(3_600_000L, within(10_000L));
    long cappedUnix = subscribeAndGetExpiry("rpc", Ulids.next(), now / 1000 + 7200);
    assertThat(cappedUnix - now).isCloseTo(3_600_000L, within(10_000L));
  }

  @Test
  void badExpiresIsRefused() {
    byte[] cmd = node.command("subscribe.message", "rpc", Ulids.next(), -5);
    Frame error = nextSystem(node, "error");
    assertThat(error.reference()).isEqualTo(cmd);
    assertThat(((List<?>) data(error)).get(0)).isEqualTo("bad_arguments");
    assertThat(ts.server.registry().messageSubscriptions().size()).isZero();
  }
}
