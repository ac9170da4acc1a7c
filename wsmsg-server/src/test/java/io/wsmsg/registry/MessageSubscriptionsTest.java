package io.wsmsg.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.protocol.Uid;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Subscriptions to replies of one message (by uid), each with its own expiry. */
class MessageSubscriptionsTest {
  private static final byte[] REQUEST = {1, 2, 3};
  private static final Uid REQUEST_UID = Uid.of(REQUEST);
  private static final Uid OTHER_UID = Uid.of(new byte[] {9});

  private final MessageSubscriptions subs = new MessageSubscriptions();

  @Test
  void aReplyGoesToTheEndpointsWaitingForItsReferenceUntilTheyExpire() {
    assertThat(subs.put(REQUEST_UID, "a", 1000)).isTrue();
    assertThat(subs.put(REQUEST_UID, "b", 2000)).isTrue();

    assertThat(subs.endpointsFor(REQUEST, 999)).containsExactly("a", "b");
    assertThat(subs.endpointsFor(REQUEST, 1000)).as("expired at its time").containsExactly("b");
    assertThat(subs.endpointsFor(REQUEST, 2000)).isEmpty();
    assertThat(subs.endpointsFor(new byte[] {9}, 0)).isEmpty();
  }

  @Test
  void subscribingAgainExtendsTheTimeLimitAndIsNotNew() {
    subs.put(REQUEST_UID, "a", 1000);

    assertThat(subs.put(REQUEST_UID, "a", 5000)).isFalse();

    assertThat(subs.size()).isEqualTo(1);
    assertThat(subs.endpointsFor(REQUEST, 4000)).containsExactly("a");
    assertThat(subs.copy()).isEqualTo(Map.of(REQUEST_UID, Map.of("a", 5000L)));
  }

  @Test
  void expiredSubscriptionsCountUntilSweptAndTheSweepRemovesOnlyThose() {
    subs.put(REQUEST_UID, "a", 1000);
    subs.put(REQUEST_UID, "b", 3000);
    subs.put(OTHER_UID, "a", 1000);

    assertThat(subs.endpointsFor(REQUEST, 2000)).containsExactly("b");
    assertThat(subs.size()).as("not swept yet").isEqualTo(3);
    assertThat(subs.has(REQUEST_UID, "a")).isTrue();

    assertThat(subs.expire(2000)).isEqualTo(2);

    assertThat(subs.size()).isEqualTo(1);
    assertThat(subs.has(REQUEST_UID, "a")).isFalse();
    assertThat(subs.hasEndpoint("a")).isFalse();
    assertThat(subs.copy()).isEqualTo(Map.of(REQUEST_UID, Map.of("b", 3000L)));
    assertThat(subs.expire(2000)).isZero();
  }

  @Test
  void unsubscribingRemovesOneEndpointOfAUid() {
    subs.put(REQUEST_UID, "a", 1000);
    subs.put(REQUEST_UID, "b", 1000);

    assertThat(subs.remove(REQUEST_UID, "a")).isTrue();
    assertThat(subs.remove(REQUEST_UID, "a")).isFalse();
    assertThat(subs.remove(OTHER_UID, "b")).isFalse();

    assertThat(subs.endpointsFor(REQUEST, 0)).containsExactly("b");
    assertThat(subs.size()).isEqualTo(1);
    subs.remove(REQUEST_UID, "b");
    assertThat(subs.copy()).isEmpty();
  }

  @Test
  void removingAnEndpointRemovesItsSubscriptionsToEveryUid() {
    subs.put(REQUEST_UID, "gone", 1000);
    subs.put(OTHER_UID, "gone", 1000);
    subs.put(REQUEST_UID, "stays", 1000);

    assertThat(subs.removeEndpoint("gone")).isEqualTo(2);

    assertThat(subs.hasEndpoint("gone")).isFalse();
    assertThat(subs.hasEndpoint("stays")).isTrue();
    assertThat(subs.size()).isEqualTo(1);
    assertThat(subs.endpointsFor(REQUEST, 0)).containsExactly("stays");
    assertThat(subs.removeEndpoint("gone")).isZero();
  }

  @Test
  void everyRemovalIsReportedOnceWhateverItsReason() {
    List<String> removed = new ArrayList<>();
    subs.onRemoved((uid, endpoint) -> removed.add(endpoint + "@" + (uid.equals(REQUEST_UID) ? "request" : "other")));
    subs.put(REQUEST_UID, "unsubscribed", 5000);
    subs.put(REQUEST_UID, "expired", 1000);
    subs.put(OTHER_UID, "endpoint-gone", 5000);

    subs.remove(REQUEST_UID, "unsubscribed");
    subs.expire(1000);
    subs.removeEndpoint("endpoint-gone");
    subs.remove(REQUEST_UID, "never-there");

    assertThat(removed).containsExactly("unsubscribed@request", "expired@request", "endpoint-gone@other");
    assertThat(subs.size()).isZero();
  }

  @Test
  void theSizeCountsEachUidAndEndpointPairForTheServersLimit() {
    subs.put(REQUEST_UID, "a", 1000);
    subs.put(REQUEST_UID, "b", 1000);
    subs.put(OTHER_UID, "a", 1000);
    subs.put(OTHER_UID, "a", 2000);
    assertThat(subs.size()).isEqualTo(3);

    subs.clear();
    assertThat(subs.size()).isZero();
    assertThat(subs.hasEndpoint("a")).isFalse();
    assertThat(subs.endpointsFor(REQUEST, 0)).isEmpty();
  }
}
