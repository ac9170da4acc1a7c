package io.wsmsg.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class TokenRefusalsTest {
  private static final WsmsgException REFUSED = new WsmsgException(WsmsgException.UNAUTHORIZED, "HTTP 401");
  private static final WsmsgException UNREACHABLE = new WsmsgException(WsmsgException.CONNECT_FAILED, "refused");

  @Test
  void aFixedTokenGivesUpOnceEveryUrlRefusedIt() {
    TokenRefusals r = new TokenRefusals(2, false);
    assertThat(r.refused(REFUSED, "t")).isFalse();
    assertThat(r.refused(REFUSED, "t")).isTrue();
  }

  @Test
  void aSupplierIsAskedOnceMore() {
    TokenRefusals r = new TokenRefusals(2, true);
    assertThat(r.refused(REFUSED, "t")).isFalse();
    assertThat(r.refused(REFUSED, "t")).isFalse();
    assertThat(r.refused(REFUSED, "t")).isTrue();
  }

  @Test
  void aNewTokenStartsTheCountAgain() {
    TokenRefusals r = new TokenRefusals(1, true);
    assertThat(r.refused(REFUSED, "old")).isFalse();
    assertThat(r.refused(REFUSED, "new")).isFalse();
    assertThat(r.refused(REFUSED, "new")).isTrue();
  }

  @Test
  void anyOtherFailureInBetweenStartsTheCountAgain() {
    TokenRefusals r = new TokenRefusals(2, false);
    assertThat(r.refused(REFUSED, "t")).isFalse();
    assertThat(r.refused(UNREACHABLE, "t")).isFalse();
    assertThat(r.refused(REFUSED, "t")).isFalse();
    assertThat(r.refused(new IOException("reset"), "t")).isFalse();
    assertThat(r.refused(REFUSED, "t")).isFalse();
    assertThat(r.refused(REFUSED, "t")).isTrue();
  }

  @Test
  void noTokenAtAllCountsAsTheSameToken() {
    TokenRefusals r = new TokenRefusals(2, false);
    assertThat(r.refused(REFUSED, null)).isFalse();
    assertThat(r.refused(REFUSED, null)).isTrue();
  }

  @Test
  void resetAfterASuccessfulConnectionStartsTheCountAgain() {
    TokenRefusals r = new TokenRefusals(2, false);
    assertThat(r.refused(REFUSED, "t")).isFalse();
    r.reset();
    assertThat(r.refused(REFUSED, "t")).isFalse();
    assertThat(r.refused(REFUSED, "t")).isTrue();
  }
}
