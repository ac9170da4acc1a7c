package io.wsmsg.cluster;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who owns each endpoint (holds its queue), as this member knows it. Every member keeps the
 * whole table, so a router picks the owning gateway without asking anyone. Written only on
 * the gateway's event loop; read from any thread.
 *
 * <p>Conflicting claims (two members creating one endpoint at once, or both sides of a
 * healed partition) are settled the same way everywhere: the higher epoch wins, then the
 * smaller member id. An epoch goes up each time an endpoint changes hands.
 */
public final class Claims {
  /** One endpoint's owner and the epoch of that ownership. */
  public record Claim(String owner, long epoch) {
    /** True when this claim beats {@code other} (null: any claim beats none). */
    public boolean beats(Claim other) {
      if (other == null) return true;
      if (epoch != other.epoch) return epoch > other.epoch;
      return owner.compareTo(other.owner) < 0;
    }
  }

  private final ConcurrentHashMap<String, Claim> table = new ConcurrentHashMap<>();

  public Claim get(String endpoint) {
    return table.get(endpoint);
  }

  /** The owning member, or null when nobody has claimed the endpoint yet. */
  public String owner(String endpoint) {
    Claim c = table.get(endpoint);
    return c == null ? null : c.owner;
  }

  /** Records {@code c} if it beats the current claim; true when it did. */
  public boolean offer(String endpoint, Claim c) {
    boolean[] won = {false};
    table.compute(endpoint, (k, cur) -> {
      if (c.beats(cur)) {
        won[0] = true;
        return c;
      }
      return cur;
    });
    return won[0];
  }

  /** Forgets the endpoint's claim if it is still {@code c} (a released endpoint); true when it did. */
  public boolean remove(String endpoint, Claim c) {
    return table.remove(endpoint, c);
  }

  /**
   * Why this member refuses claim {@code c} for {@code endpoint} from a peer, or null when it
   * may be considered: the owner must be a current member, and the epoch within 0..2^62 and at
   * most 2^20 ahead of the epoch known here (0 for an unknown endpoint). Epochs go up by one
   * per change of hands, so a huge one is not a real claim but a hijack that no honest claim
   * could ever beat.
   */
  public PeerWireException refusal(String endpoint, Claim c, Collection<String> members) {
    if (!members.contains(c.owner())) {
      return new PeerWireException(PeerWireException.Reason.UNKNOWN_MEMBER, "claim on endpoint " + endpoint
          + " names owner " + c.owner() + ", not a member of the cluster");
    }
    Claim cur = table.get(endpoint);
    long known = cur == null ? 0 : cur.epoch;
    if (c.epoch < 0 || c.epoch > PeerMessage.MAX_EPOCH || c.epoch - known > PeerMessage.MAX_EPOCH_STEP) {
      return new PeerWireException(PeerWireException.Reason.BAD_EPOCH, "claim on endpoint " + endpoint + " has epoch "
          + c.epoch + ", known epoch is " + known + " (at most 2^20 ahead is accepted)");
    }
    return null;
  }

  public Map<String, Claim> snapshot() {
    return new HashMap<>(table);
  }

  public int size() {
    return table.size();
  }

  /**
   * Rendezvous (highest random weight) choice of a member for an endpoint: every member
   * computes the same answer from the same member list, with no messages, and when a member
   * goes only its own endpoints move.
   */
  public static String rendezvous(String endpoint, Collection<String> members) {
    String best = null;
    long bestScore = 0;
    for (String m : members) {
      long score = score(endpoint, m);
      if (best == null || Long.compareUnsigned(score, bestScore) > 0
          || score == bestScore && m.compareTo(best) < 0) {
        best = m;
        bestScore = score;
      }
    }
    return best;
  }

  private static long score(String endpoint, String member) {
    long h = 0xcbf29ce484222325L; // FNV-1a 64 over member, a separator and the endpoint
    for (byte b : member.getBytes(StandardCharsets.UTF_8)) h = (h ^ (b & 0xff)) * 0x100000001b3L;
    h = (h ^ 0xff) * 0x100000001b3L;
    for (byte b : endpoint.getBytes(StandardCharsets.UTF_8)) h = (h ^ (b & 0xff)) * 0x100000001b3L;
    // finish with a mix so that similar names spread out
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h;
  }
}
