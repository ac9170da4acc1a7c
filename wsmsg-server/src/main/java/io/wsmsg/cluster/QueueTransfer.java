package io.wsmsg.cluster;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.wsmsg.cluster.Claims.Claim;
import io.wsmsg.gateway.OwnershipHost;
import io.wsmsg.gateway.Queued;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An endpoint's queue moving between members (HANDOFF) in parts: sending one, and gathering
 * one that arrives until its last part, within bounds. Gateway event loop only.
 */
final class QueueTransfer {
  /** Messages per HANDOFF part: a big queue must not hold an event loop or exceed a buffer. */
  private static final int HANDOFF_CHUNK = PeerMessage.HANDOFF_CHUNK;
  /** Handoffs arriving in parts at once: more is not a leaving member but a flood. */
  private static final int MAX_PENDING_HANDOFFS = 1024;

  private final OwnershipHost gw;
  /** Parts of handoffs still arriving, by handoff id. */
  private final Map<String, List<Queued>> pendingHandoffs = new HashMap<>();
  /** Frame bytes held in {@link #pendingHandoffs}: bounded by limits.maxQueuedMiB. */
  private long pendingHandoffBytes;

  QueueTransfer(OwnershipHost gw) {
    this.gw = gw;
  }

  /**
   * Sends an endpoint's queue to its new owner, in parts of at most {@link #HANDOFF_CHUNK}
   * messages or about 4 MiB, one after the other; completes when the owner has taken the last.
   */
  Future<Void> send(String ep, String to, Claim claim, List<Queued> queued) {
    String id = java.util.UUID.randomUUID().toString();
    return sendChunk(ep, to, claim, id, queued, 0);
  }

  private Future<Void> sendChunk(String ep, String to, Claim claim, String id, List<Queued> queued, int from) {
    int end = from;
    long bytes = 0;
    while (end < queued.size() && end - from < HANDOFF_CHUNK && bytes < (4 << 20)) {
      bytes += queued.get(end).frame().size() + 32;
      end++;
    }
    boolean last = end >= queued.size();
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.HANDOFF, (int) bytes + 256);
    w.str(ep).str(claim.owner()).i64(claim.epoch()).str(id).bool(last).i32(end - from);
    for (int i = from; i < end; i++) {
      Queued q = queued.get(i);
      w.i32(q.priority()).i64(q.enqueuedAt()).bytes(q.frame().rawBytes());
    }
    int next = end;
    Future<Void> sent = gw.vertx().eventBus().<Buffer>request(PeerWire.gatewayAddress(to), w.buffer(),
        new DeliveryOptions().setSendTimeout(Math.max(100, gw.serverConfig().handoffTimeoutMillis))).mapEmpty();
    return last ? sent : sent.compose(v -> sendChunk(ep, to, claim, id, queued, next));
  }

  /** Refuses a part that would make the handoffs arriving in parts too many or too large. */
  void check(PeerMessage.Handoff h) {
    if (!h.last() || pendingHandoffs.containsKey(h.id())) {
      if (!pendingHandoffs.containsKey(h.id()) && pendingHandoffs.size() >= MAX_PENDING_HANDOFFS) {
        throw new PeerWireException(PeerWireException.Reason.OVER_LIMIT, "more than " + MAX_PENDING_HANDOFFS
            + " handoffs arriving at once");
      }
      if (pendingHandoffBytes + h.bytes() > gw.serverConfig().maxQueuedBytes) {
        throw new PeerWireException(PeerWireException.Reason.OVER_LIMIT, "handoffs arriving in parts would hold more"
            + " than limits.maxQueuedMiB");
      }
    }
  }

  /** A part that is not the last: kept until the last one arrives (or for two minutes). */
  void addPart(String id, List<Queued> chunk, long bytes) {
    pendingHandoffs.computeIfAbsent(id, k -> {
      gw.vertx().setTimer(120_000, t -> forget(k)); // an abandoned handoff
      return new ArrayList<>();
    }).addAll(chunk);
    pendingHandoffBytes += bytes;
  }

  /** The last part arrived: the whole queue, in order. */
  List<Queued> complete(String id, List<Queued> lastChunk) {
    List<Queued> queued = forget(id);
    if (queued == null) return lastChunk;
    queued.addAll(lastChunk);
    return queued;
  }

  /** Takes the parts of a handoff out of {@link #pendingHandoffs}, keeping the byte count right. */
  List<Queued> forget(String id) {
    List<Queued> parts = pendingHandoffs.remove(id);
    if (parts != null) for (Queued q : parts) pendingHandoffBytes -= q.frame().size();
    return parts;
  }
}
