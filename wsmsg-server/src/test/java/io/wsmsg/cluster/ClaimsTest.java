package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.cluster.Claims.Claim;
import io.wsmsg.cluster.PeerWireException.Reason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Who owns each endpoint: conflicting claims settle the same way on every member. */
class ClaimsTest {
  private final Claims claims = new Claims();

  @Test
  void theFirstClaimOfAnEndpointIsRecorded() {
    assertThat(claims.owner("ep")).isNull();
    assertThat(claims.get("ep")).isNull();

    assertThat(claims.offer("ep", new Claim("m2", 1))).isTrue();

    assertThat(claims.owner("ep")).isEqualTo("m2");
    assertThat(claims.get("ep")).isEqualTo(new Claim("m2", 1));
    assertThat(claims.size()).isEqualTo(1);
  }

  @Test
  void aHigherEpochWinsWhateverTheMember() {
    claims.offer("ep", new Claim("a", 1));

    assertThat(claims.offer("ep", new Claim("z", 2))).isTrue();
    assertThat(claims.owner("ep")).isEqualTo("z");
    assertThat(claims.offer("ep", new Claim("a", 1))).as("an older claim comes too late").isFalse();
    assertThat(claims.owner("ep")).isEqualTo("z");
  }

  @Test
  void atTheSameEpochTheSmallerMemberIdWinsInEitherOrder() {
    Claims one = new Claims();
    one.offer("ep", new Claim("m2", 5));
    assertThat(one.offer("ep", new Claim("m1", 5))).isTrue();

    Claims other = new Claims();
    other.offer("ep", new Claim("m1", 5));
    assertThat(other.offer("ep", new Claim("m2", 5))).isFalse();

    assertThat(one.get("ep")).isEqualTo(other.get("ep")).isEqualTo(new Claim("m1", 5));
  }

  @Test
  void theSameClaimAgainChangesNothing() {
    claims.offer("ep", new Claim("m1", 3));
    assertThat(claims.offer("ep", new Claim("m1", 3))).isFalse();
    assertThat(claims.get("ep")).isEqualTo(new Claim("m1", 3));
  }

  @Test
  void beatsOrdersClaimsByEpochThenMemberId() {
    assertThat(new Claim("m9", 0).beats(null)).isTrue();
    assertThat(new Claim("m9", 2).beats(new Claim("m1", 1))).isTrue();
    assertThat(new Claim("m1", 1).beats(new Claim("m9", 2))).isFalse();
    assertThat(new Claim("m1", 2).beats(new Claim("m2", 2))).isTrue();
    assertThat(new Claim("m2", 2).beats(new Claim("m1", 2))).isFalse();
  }

  @Test
  void aReleaseForgetsTheClaimOnlyWhileItIsStillTheOneReleased() {
    Claim old = new Claim("m1", 1);
    claims.offer("ep", old);
    claims.offer("ep", new Claim("m2", 2)); // changed hands before the release arrived

    assertThat(claims.remove("ep", old)).isFalse();
    assertThat(claims.owner("ep")).isEqualTo("m2");

    assertThat(claims.remove("ep", new Claim("m2", 2))).isTrue();
    assertThat(claims.owner("ep")).isNull();
    assertThat(claims.size()).isZero();
    assertThat(claims.offer("ep", new Claim("m3", 1))).as("a released endpoint may be claimed afresh").isTrue();
  }

  @Test
  void theSnapshotIsACopy() {
    claims.offer("a", new Claim("m1", 1));
    Map<String, Claim> snap = claims.snapshot();
    claims.offer("b", new Claim("m1", 1));

    assertThat(snap).containsOnlyKeys("a");
  }

  @Test
  void aPeersClaimMustNameAMemberAndAnEpochWithinRange() {
    List<String> members = List.of("m1", "m2");
    claims.offer("ep", new Claim("m1", 10));

    assertThat(claims.refusal("ep", new Claim("m2", 11), members)).isNull();
    assertThat(claims.refusal("ep", new Claim("m2", 0), members)).as("an older claim is not refused, it just loses")
        .isNull();
    PeerWireException stranger = claims.refusal("ep", new Claim("stranger", 11), members);
    assertThat(stranger.reason()).isEqualTo(Reason.UNKNOWN_MEMBER);
    assertThat(stranger.getMessage()).isEqualTo("unknown_member: claim on endpoint ep names owner stranger,"
        + " not a member of the cluster");
    PeerWireException negative = claims.refusal("ep", new Claim("m2", -1), members);
    assertThat(negative.reason()).isEqualTo(Reason.BAD_EPOCH);
    assertThat(negative.getMessage()).isEqualTo("bad_epoch: claim on endpoint ep has epoch -1, known epoch is 10"
        + " (at most 2^20 ahead is accepted)");
    assertThat(claims.refusal("new", new Claim("m1", PeerMessage.MAX_EPOCH_STEP), members)).isNull();
    assertThat(claims.refusal("new", new Claim("m1", PeerMessage.MAX_EPOCH_STEP + 1), members).reason())
        .isEqualTo(Reason.BAD_EPOCH);
  }

  @Test
  void rendezvousGivesEveryMemberTheSameAnswerWhateverTheOrderOfItsList() {
    List<String> members = List.of("m1", "m2", "m3", "m4");
    List<String> reversed = new ArrayList<>(members);
    java.util.Collections.reverse(reversed);
    for (int i = 0; i < 200; i++) {
      String ep = "ep-" + i;
      assertThat(Claims.rendezvous(ep, reversed)).isEqualTo(Claims.rendezvous(ep, members)).isIn(members);
    }
    assertThat(Claims.rendezvous("ep", List.of())).isNull();
  }

  @Test
  void whenAMemberGoesOnlyItsEndpointsMoveAndTheySpreadOverTheRest() {
    List<String> members = List.of("m1", "m2", "m3", "m4");
    List<String> without = List.of("m1", "m2", "m4");
    Map<String, Integer> share = new HashMap<>();
    for (int i = 0; i < 2000; i++) {
      String ep = "ep-" + i;
      String before = Claims.rendezvous(ep, members);
      String after = Claims.rendezvous(ep, without);
      if (!before.equals("m3")) assertThat(after).as(ep).isEqualTo(before);
      share.merge(before, 1, Integer::sum);
    }
    // 500 each on average: a lopsided hash would leave some member far from its share
    assertThat(share.values()).allSatisfy(n -> assertThat(n).isBetween(350, 650));
  }
}
