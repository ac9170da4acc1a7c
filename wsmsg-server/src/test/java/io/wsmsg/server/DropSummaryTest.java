package io.wsmsg.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.metrics.Counters;
import org.junit.jupiter.api.Test;

/** Drops reach the log as one summary line per interval, by reason, most first. */
class DropSummaryTest {
  @Test
  void oneLinePerIntervalByReasonMostFirst() {
    Counters c = new Counters();
    c.drop(Counters.Drop.TTL, 5); // before the summary starts: not counted
    DropSummary s = new DropSummary(c, 0);
    assertThat(s.next(60_000)).isNull();
    c.drop(Counters.Drop.ENDPOINT_FULL, 1200);
    c.drop(Counters.Drop.TTL, 34);
    assertThat(s.next(120_000)).startsWith("dropped 1,234 messages in the last 60 s: 1,200 endpoint_full, 34 ttl");
    assertThat(s.lost()).as("messages a node would have received: a warning").isTrue();
    assertThat(s.next(180_000)).as("nothing new").isNull();
    c.drop(Counters.Drop.NO_ROUTE);
    assertThat(s.next(190_000)).startsWith("dropped 1 message in the last 10 s: 1 no_route");
    assertThat(s.lost()).as("nobody subscribed: information").isFalse();
  }
}
