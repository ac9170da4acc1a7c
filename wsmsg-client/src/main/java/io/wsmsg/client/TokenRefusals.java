package io.wsmsg.client;

import java.util.Objects;

/**
 * Decides when reconnecting should stop: the upgrade was refused with 401/403 for the same
 * token by every gateway URL in a row. A fixed token cannot change, so trying it again only
 * knocks on the door for ever (and fills the server's log). A token supplier is asked once
 * more: it stops only when it hands out the refused token again and that is refused too (as
 * NATS clients give up on the same authorization error twice in a row). Any other kind of
 * failure in between starts the count again.
 */
final class TokenRefusals {
  private final int urls;
  private final boolean suppliesTokens;
  /** The token last refused with 401/403, and how many attempts in a row refused it. */
  private String refusedToken;
  private int refusals;

  TokenRefusals(int urls, boolean suppliesTokens) {
    this.urls = urls;
    this.suppliesTokens = suppliesTokens;
  }

  /** Counts one failed attempt made with {@code triedToken}; true when the client should give up. */
  boolean refused(Throwable failure, String triedToken) {
    if (!(failure instanceof WsmsgException e) || !WsmsgException.UNAUTHORIZED.equals(e.code())) {
      reset();
      return false;
    }
    if (refusals > 0 && Objects.equals(refusedToken, triedToken)) {
      refusals++;
    } else {
      refusedToken = triedToken;
      refusals = 1;
    }
    return refusals >= urls + (suppliesTokens ? 1 : 0);
  }

  /** An attempt succeeded (or the client closed): the count starts again. */
  void reset() {
    refusals = 0;
    refusedToken = null;
  }
}
