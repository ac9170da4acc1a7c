package io.wsmsg.cluster;

import io.wsmsg.cluster.Claims.Claim;
import io.wsmsg.gateway.RateLimitedLog;
import io.wsmsg.metrics.Counters;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The checks a decoded peer message must pass against this member's membership, claims and
 * handoffs in progress before anything of it is applied, and what is done with one refused:
 * counted in wsmsg_peer_rejected_total and logged. Gateway event loop only.
 */
final class PeerChecks {
  /** The clustered ownership's log, where refusals have been reported. */
  private static final Logger LOG = Logger.getLogger(ClusteredOwnership.class.getName());
  private final Membership membership;
  private final Claims claims;
  private final String self;
  private final QueueTransfer transfers;
  private final Counters counters;
  /** Refused peer messages: one line per 10 s at most, a flood must not flood the log too. */
  private final RateLimitedLog refusedLog = new RateLimitedLog(LOG, 10_000);

  PeerChecks(Membership membership, Claims claims, String self, QueueTransfer transfers, Counters counters) {
    this.membership = membership;
    this.claims = claims;
    this.self = self;
    this.transfers = transfers;
    this.counters = counters;
  }

  /** Every claim must be acceptable, or none of them is applied. */
  void checkClaims(Map<String, Claim> cs) {
    List<String> members = membership.members();
    for (Map.Entry<String, Claim> e : cs.entrySet()) {
      PeerWireException no = claims.refusal(e.getKey(), e.getValue(), members);
      if (no != null) throw no;
    }
  }

  /** The checks that need this member's membership and claims. */
  void check(PeerMessage m) {
    if (m instanceof PeerMessage.ClaimSet c) {
      checkClaims(c.claims());
    } else if (m instanceof PeerMessage.Handoff h) {
      if (!h.claim().owner().equals(self)) {
        throw new PeerWireException(PeerWireException.Reason.MISDIRECTED, "a handoff of endpoint " + h.endpoint()
            + " names owner " + h.claim().owner() + ", not this member");
      }
      PeerWireException no = claims.refusal(h.endpoint(), h.claim(), membership.members());
      if (no != null) throw no;
      transfers.check(h);
    } else if (m instanceof PeerMessage.Attach a) {
      member(a.member(), "attaching gateway");
    } else if (m instanceof PeerMessage.ToNode t) {
      member(t.owner(), "owner");
    } else if (m instanceof PeerMessage.ClaimsPull p) {
      member(p.starter(), "starter");
    } else if (m instanceof PeerMessage.StopAll st) {
      member(st.sender(), "sender");
    } else if (m instanceof PeerMessage.Release rl) {
      member(rl.claim().owner(), "owner");
    } else if (m instanceof PeerMessage.View v) {
      member(v.requester(), "requester"); // the view names endpoints: members only
    } else if (m instanceof PeerMessage.Leaving l) {
      member(l.member(), "leaving member");
    }
  }

  private void member(String m, String what) {
    if (!membership.members().contains(m)) {
      throw new PeerWireException(PeerWireException.Reason.UNKNOWN_MEMBER, what + " " + m + " is not a member of the cluster");
    }
  }

  /** The member a message says it comes from, when it names one (the event bus does not say). */
  static String claimedSender(PeerMessage m) {
    if (m instanceof PeerMessage.Attach a) return a.member();
    if (m instanceof PeerMessage.ToNode t) return t.owner();
    if (m instanceof PeerMessage.ClaimsPull p) return p.starter();
    if (m instanceof PeerMessage.StopAll st) return st.sender();
    if (m instanceof PeerMessage.View v) return v.requester();
    if (m instanceof PeerMessage.Leaving l) return l.member();
    return null;
  }

  /** Counts and logs (rate-limited) a refused peer message: type, reason, what was wrong and who. */
  void refused(String type, PeerWireException e, String from) {
    counters.peerRejected(type, e.reason().label());
    refusedLog.log("refused a peer message of type " + type + " (" + e.getMessage() + ")"
        + (from == null ? " (the sender is not named in it)" : " from " + from + " (as it says)")
        + "; it was dropped, nothing of it applied");
  }
}
