package io.wsmsg.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.gateway.RateLimitedLog;
import io.wsmsg.metrics.Counters;
import io.wsmsg.registry.Registry;
import io.wsmsg.registry.RegistryCommand;
import io.wsmsg.registry.RegistryWriter;
import io.wsmsg.registry.Replication;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The registry of every member kept the same: each change made here goes to every other
 * member (REPLICATE, on {@link PeerWire#registryAddress}), a joining member copies the registry
 * of the oldest one (DUMP), and after a partition both sides send and copy everything. What a
 * member sends is decoded whole and checked ({@link RegistryCodec#decode}, and its growth)
 * before any of it is applied; a refused message is counted, logged and answered with a failure.
 */
public final class RegistryReplication implements Replication {
  private static final Logger LOG = Logger.getLogger(RegistryReplication.class.getName());

  private final Membership membership;
  private final ServerConfig config;
  /** Where refused peer messages are counted (wsmsg_peer_rejected_total). */
  private final Counters counters;
  private final RateLimitedLog refusedLog = new RateLimitedLog(LOG, 10_000);
  private Vertx vertx;
  private RegistryWriter writer;
  private Registry registry;

  private RegistryReplication(Membership membership, ServerConfig config, Counters counters) {
    this.membership = membership;
    this.config = config;
    this.counters = counters;
  }

  /** The registry replication of {@code membership}: none when standalone. */
  public static Replication of(Membership membership, ServerConfig config, Counters counters) {
    return membership.clustered() ? new RegistryReplication(membership, config, counters) : Replication.NONE;
  }

  @Override
  public String self() {
    return membership.self();
  }

  /** One member per channel (rendezvous hashing over the members) decides. */
  @Override
  public boolean reclaims(String channel) {
    return membership.self().equals(Claims.rendezvous(channel, membership.members()));
  }

  @Override
  public Future<Void> start(Vertx vertx, RegistryWriter writer) {
    this.vertx = vertx;
    this.writer = writer;
    this.registry = writer.registry();
    Context context = vertx.getOrCreateContext();
    boolean restored = registry.endpointCount() > 0 || registry.subscriptions().size() > 0;
    MessageConsumer<Buffer> peer = vertx.eventBus().consumer(PeerWire.registryAddress(membership.self()), this::onPeer);
    membership.listen(new Membership.Listener() {
      @Override
      public void joined(String member) {}

      @Override
      public void left(String member) {}

      @Override
      public void merged() {
        // after a partition each side may hold what the other lacks: both send everything
        context.runOnContext(v -> {
          pushAll();
          pullFromAll();
        });
      }
    });
    return peer.completion()
        .compose(v -> pullFromPeer(30))
        .transform(ar -> {
          if (restored) pushAll(); // this member's snapshot may hold what the others lack
          return Future.succeededFuture();
        });
  }

  /** A joining member copies the registry of the oldest other member (nothing when alone). */
  private Future<Void> pullFromPeer(int attemptsLeft) {
    List<String> others = new ArrayList<>(membership.members());
    others.remove(membership.self());
    if (others.isEmpty()) return Future.succeededFuture();
    String from = others.get(0);
    Buffer ask = new PeerWire.Writer(PeerWire.DUMP, 64).str(membership.self()).buffer();
    return vertx.eventBus().<Buffer>request(PeerWire.registryAddress(from), ask, new DeliveryOptions().setSendTimeout(10_000))
        .map(reply -> {
          applyDump(reply.body(), from);
          LOG.info("copied the registry from member " + from + ": " + registry.subscriptions().size() + " subscriptions, "
              + registry.endpointCount() + " endpoints, " + registry.channelCount() + " channels");
          return (Void) null;
        })
        .recover(e -> {
          if (attemptsLeft <= 0) {
            LOG.warning("could not copy the registry from member " + from + " (" + e.getMessage()
                + "); starting with what this member has, later changes still arrive");
            return Future.succeededFuture();
          }
          Promise<Void> later = Promise.promise();
          vertx.setTimer(200, t -> pullFromPeer(attemptsLeft - 1).onComplete(later));
          return later.future();
        });
  }

  /** After a partition: copies what every other member holds (the other side of the split). */
  private void pullFromAll() {
    Buffer ask = new PeerWire.Writer(PeerWire.DUMP, 64).str(membership.self()).buffer();
    for (String m : membership.members()) {
      if (m.equals(membership.self())) continue;
      vertx.eventBus().<Buffer>request(PeerWire.registryAddress(m), ask, new DeliveryOptions().setSendTimeout(10_000))
          .onSuccess(reply -> applyDump(reply.body(), m));
    }
  }

  /** Merges another member's whole registry (a DUMP answer) into this one: all of it, or nothing if any is refused. */
  private void applyDump(Buffer dump, String from) {
    List<RegistryCommand> cmds;
    try {
      cmds = RegistryCodec.decode(dump.getBytes(), 0, dump.length(), config);
    } catch (PeerWireException e) {
      refused("dump", e, from);
      return;
    }
    PeerWireException growth = growthRefusal(cmds);
    if (growth != null) {
      refused("dump", growth, from);
      return;
    }
    for (RegistryCommand c : cmds) writer.applyReplica(c);
  }

  /** Commands that would grow the registry too far as replicas ({@link RegistryWriter#replicaGrowthRefusal}), or null. */
  private PeerWireException growthRefusal(List<RegistryCommand> cmds) {
    String over = writer.replicaGrowthRefusal(cmds);
    return over == null ? null : new PeerWireException(PeerWireException.Reason.OVER_LIMIT, over);
  }

  /** Counts and logs (rate-limited) a refused registry message from a peer. */
  private void refused(String type, PeerWireException e, String from) {
    counters.peerRejected(type, e.reason().label());
    refusedLog.log("refused a registry message of type " + type + " (" + e.getMessage() + ")"
        + (from == null ? " (the sender is not named in it)" : " from member " + from)
        + "; it was dropped, nothing of it applied");
  }

  /** Sends this member's whole registry to every other member (they merge it in). */
  private void pushAll() {
    replicate(RegistryCodec.encode(RegistryCodec.dump(registry)));
  }

  /** A registry message from a peer: a DUMP request is answered with the whole registry, REPLICATE applied. */
  private void onPeer(Message<Buffer> msg) {
    Buffer b = msg.body();
    String typeName = b == null || b.length() == 0 ? "unknown" : b.getByte(0) == PeerWire.DUMP ? "dump"
        : b.getByte(0) == PeerWire.REPLICATE ? "replicate" : "unknown";
    List<RegistryCommand> cmds = null;
    try {
      if (b == null || b.length() == 0) {
        throw new PeerWireException(PeerWireException.Reason.TRUNCATED, "an empty message");
      }
      byte type = b.getByte(0);
      if (type == PeerWire.DUMP) {
        // the whole registry goes to members only: the request names one
        PeerWire.Reader r = new PeerWire.Reader(b);
        r.type();
        String requester = r.str("requester", 1, PeerMessage.MAX_MEMBER_BYTES);
        r.end();
        if (!membership.members().contains(requester)) {
          throw new PeerWireException(PeerWireException.Reason.UNKNOWN_MEMBER,
              "requester " + requester + " is not a member of the cluster");
        }
      } else if (type == PeerWire.REPLICATE) {
        cmds = RegistryCodec.decode(b.getBytes(), 1, b.length() - 1, config);
      } else {
        throw new PeerWireException(PeerWireException.Reason.UNKNOWN_TYPE, "registry message type " + type);
      }
    } catch (PeerWireException e) {
      refused(typeName, e, null);
      if (msg.replyAddress() != null) msg.fail(400, "refused: " + e.getMessage());
      return;
    }
    if (cmds == null) {
      msg.reply(Buffer.buffer(RegistryCodec.encode(RegistryCodec.dump(registry))));
      return;
    }
    PeerWireException growth = growthRefusal(cmds);
    if (growth != null) {
      refused(typeName, growth, null);
      if (msg.replyAddress() != null) msg.fail(400, "refused: " + growth.getMessage());
      return;
    }
    for (RegistryCommand c : cmds) {
      try {
        writer.applyReplica(c);
      } catch (RuntimeException e) {
        LOG.warning("a registry update from another member failed: " + e);
      }
    }
    msg.reply(Buffer.buffer("ok"));
  }

  @Override
  public Future<Void> send(List<RegistryCommand> changes) {
    return replicate(RegistryCodec.encode(changes));
  }

  /**
   * Sends commands to every other member and completes when all have applied them (or
   * failed: a member that does not answer within a second is leaving or gone, and one that
   * joins later copies the whole registry).
   */
  private Future<Void> replicate(byte[] encoded) {
    List<String> others = new ArrayList<>(membership.members());
    others.remove(membership.self());
    if (others.isEmpty()) return Future.succeededFuture();
    Buffer msg = Buffer.buffer(encoded.length + 1).appendByte(PeerWire.REPLICATE).appendBytes(encoded);
    List<Future<Void>> acks = new ArrayList<>(others.size());
    for (String m : others) {
      // a member whose registry handler is not yet known here (NO_HANDLERS, right after it
      // joined; on a loaded machine the event bus took over half a second to learn it) is
      // asked again for up to 5 s: given up after 0.5 s, it never had the change
      acks.add(Peers.request(vertx, membership, m, PeerWire.registryAddress(m), msg, 1000, 50, 100)
          .<Void>mapEmpty()
          .onFailure(e -> {
            if (membership.members().contains(m)) {
              LOG.warning("member " + m + " did not confirm a registry change (" + e.getMessage()
                  + "); it may route without it until the next change of the same subscription");
            }
          }));
    }
    return Future.join(acks).<Void>mapEmpty().recover(e -> Future.succeededFuture());
  }
}
