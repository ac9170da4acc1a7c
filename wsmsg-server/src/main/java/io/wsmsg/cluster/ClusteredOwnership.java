package io.wsmsg.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.wsmsg.cluster.Claims.Claim;
import io.wsmsg.gateway.AttachedNode;
import io.wsmsg.gateway.GatewayVerticle;
import io.wsmsg.gateway.HandOff;
import io.wsmsg.gateway.Ownership;
import io.wsmsg.gateway.OwnershipHost;
import io.wsmsg.gateway.Queued;
import io.wsmsg.gateway.RateLimitedLog;
import io.wsmsg.gateway.RemoteNode;
import io.wsmsg.gateway.ServedElsewhere;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * Endpoint ownership in a cluster ({@link Ownership}): who owns each endpoint, and the traffic
 * between gateways.
 *
 * <p>Each endpoint has one owning gateway, which holds its queue. A node attached here to an
 * endpoint owned elsewhere is served by the owner through this gateway (ATTACH, then TO_NODE
 * deliveries one way and ACK / FLOW / DETACH the other); the owner keeps the window and the
 * round-robin, so flow control holds across gateways and local and remote nodes take turns
 * alike. A remote node is given twice its window and its gateway holds the second half ready
 * (see {@link ServedElsewhere}), so the extra hops of its acks do not leave it idle. Ownership is claimed by
 * the first member that needs an endpoint; when a member leaves or fails, the survivors pick
 * the new owner of each of its endpoints by rendezvous hashing, so they agree without asking
 * each other. A member leaving gracefully hands its queues over first.
 *
 * <p>Everything here runs on the gateway's event loop.
 */
public final class ClusteredOwnership implements Ownership {
  private static final Logger LOG = Logger.getLogger(ClusteredOwnership.class.getName());
  /** The gateway's log, where a stop request has always been reported. */
  private static final Logger GATEWAY_LOG = Logger.getLogger(GatewayVerticle.class.getName());
  /** Broadcast address every member's gateway listens on. */
  static final String ALL = "wsmsg.peers.all";
  /** How many times a DELIVER may be passed on to a newer owner before it is dropped. */
  private static final int MAX_HOPS = PeerMessage.MAX_HOPS;
  private static final Buffer OK = Buffer.buffer("ok");
  /** A remote node not renewed for this long is taken for gone (renewals come every 5 s). */
  private static final long LEASE_MILLIS = 20_000;
  /**
   * How long a leaving member keeps relaying after every other member confirmed its heirs'
   * claims: a router that read the old claim just before the change may still send to it.
   */
  private static final long LEAVE_LINGER_MILLIS = 300;

  private OwnershipHost gw;
  /** The cluster as owners: one per gateway instance of each member (see {@link InstanceMembership}). */
  private final InstanceMembership membership;
  /**
   * Every gateway instance's ownership on this member, by instance, this one included; null with
   * one instance. Traffic between them goes by reference on the receiver's loop ({@link #post}).
   */
  private final ClusteredOwnership[] local;
  /**
   * Nodes attached to any gateway instance of this member, by endpoint, shared by the instances:
   * the instance deciding about an endpoint (its owner, or for an unowned one the owner
   * rendezvous hashing picks) counts them as in use before their ATTACH reaches anyone.
   */
  private final java.util.concurrent.ConcurrentHashMap<String, Integer> attachedHere;
  /** The nodes of this instance counted in {@link #attachedHere}. */
  private final java.util.Set<AttachedNode> counted = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
  /** This instance's event loop, once started. */
  private volatile Context context;
  /** Answers a VIEW (the whole member's view, every instance's endpoints); null: this gateway's. */
  private java.util.function.Supplier<Future<io.vertx.core.json.JsonObject>> view;
  private final Claims claims;
  private final String self;
  private final Map<String, RemoteNode> remoteNodes = new HashMap<>();
  /** Writes a delivery to a remote node's gateway (TO_NODE). */
  private final RemoteNode.Link toNode = this::toNode;
  /** The nodes attached here whose endpoint's owner is elsewhere. */
  private ServedElsewhere elsewhere;
  /** When each endpoint's winning claim was last repeated to correct a losing one. */
  private final Map<String, Long> corrected = new HashMap<>();
  /** Queues moving to and from other members (HANDOFF). */
  private QueueTransfer transfers;
  /** What a peer message must satisfy, beyond its own bounds, before anything of it is applied. */
  private PeerChecks checks;
  /** Messages dropped after too many hops between owners: one line per 10 s at most. */
  private final RateLimitedLog hopsLog = new RateLimitedLog(LOG, 10_000);
  /** A message for an endpoint that this leaving member is handing over, held until its heir has the queue. */
  private record Held(Frame frame, int priority, int hops) {}
  /**
   * Endpoints this leaving member is handing over, with the messages that arrived for them
   * meanwhile (see {@link #handOffAll}).
   */
  private final Map<String, List<Held>> handingOver = new HashMap<>();
  private final List<MessageConsumer<Buffer>> consumers = new ArrayList<>();
  private final Runnable onStopAll;

  /** What this member's routers sent other members and they have not confirmed (null in tests without routers). */
  private final PeerBudgets budgets;
  /**
   * Members that said LEAVING, and when: everything sent to them is taken care of, so nothing
   * of theirs is sent again once they are gone. Forgotten when the member joins again, and after
   * {@link #LEAVER_MEMORY_MILLIS} (by then its confirmations have all succeeded or failed).
   */
  private final Map<String, Long> leavers = new HashMap<>();
  private static final long LEAVER_MEMORY_MILLIS = 10 * 60_000;

  /**
   * {@code claims}: shared with the routers; {@code budgets}: the routers' per-member budgets,
   * whose unconfirmed messages this member sends again when a member dies (may be null);
   * {@code onStopAll}: stops this member (the stop command, from any member).
   */
  public ClusteredOwnership(Membership membership, Claims claims, PeerBudgets budgets, Runnable onStopAll) {
    this(new InstanceMembership(membership, 0), claims, budgets, onStopAll, null, null);
  }

  private ClusteredOwnership(InstanceMembership membership, Claims claims, PeerBudgets budgets, Runnable onStopAll,
      ClusteredOwnership[] local, java.util.concurrent.ConcurrentHashMap<String, Integer> attachedHere) {
    this.attachedHere = attachedHere;
    this.membership = membership;
    this.claims = claims;
    this.self = membership.self();
    this.budgets = budgets;
    this.onStopAll = onStopAll;
    this.local = local;
  }

  /**
   * The ownerships of a member running {@code instances} gateway instances, by instance.
   * Instance 0 keeps {@code claims}, the table the routers read; each other instance keeps its
   * own, because a change of owner must reach every instance's {@link #onClaim} as a change
   * (one shared table would show it only to the instance that heard it first).
   */
  public static ClusteredOwnership[] of(Membership cluster, int instances, Claims claims, PeerBudgets budgets,
      Runnable onStopAll) {
    ClusteredOwnership[] all = new ClusteredOwnership[instances];
    var attached = instances > 1 ? new java.util.concurrent.ConcurrentHashMap<String, Integer>() : null;
    for (int i = 0; i < instances; i++) {
      all[i] = new ClusteredOwnership(new InstanceMembership(cluster, i), i == 0 ? claims : new Claims(), budgets,
          onStopAll, instances > 1 ? all : null, attached);
    }
    return all;
  }

  /** Where VIEW requests from other members are answered from (the whole member's view); before start. */
  public void viewFrom(java.util.function.Supplier<Future<io.vertx.core.json.JsonObject>> view) {
    this.view = view;
  }

  /** The sibling instance that is {@code owner}, once started; null when it is on another member (or this one). */
  private ClusteredOwnership sibling(String owner) {
    if (local == null || !membership.here(owner)) return null;
    int i = InstanceMembership.instanceOf(owner);
    if (i < 0 || i >= local.length || local[i] == this) return null;
    ClusteredOwnership o = local[i];
    return o.self.equals(owner) && o.context != null ? o : null;
  }

  /** Applies a peer message on this instance's loop, sent by a sibling by reference (trusted: same process). */
  void post(PeerMessage m) {
    context.runOnContext(v -> {
      try {
        apply(m, null);
      } catch (RuntimeException e) {
        LOG.warning("a message of type " + PeerMessage.typeName(m.type()) + " from a sibling gateway instance failed: "
            + e);
      }
    });
  }

  /** Sends {@code m} to a sibling by reference; false when {@code owner} is not a started sibling. */
  boolean toSibling(String owner, PeerMessage m) {
    ClusteredOwnership sib = sibling(owner);
    if (sib == null) return false;
    if (m instanceof PeerMessage.Deliver d) {
      // counted in the (node-wide) message memory on its way, released once the sibling queued it
      gw.budget().hold(d.frame());
      sib.context.runOnContext(v -> {
        try {
          sib.apply(d, null);
        } finally {
          sib.gw.budget().release(d.frame());
        }
      });
      return true;
    }
    sib.post(m);
    return true;
  }

  /** True for the instance that speaks for the member in the log (one line per member event, not one per instance). */
  private boolean speaksFor(String owner) {
    return membership.instance() == 0 && InstanceMembership.instanceOf(owner) == 0;
  }

  @Override
  public void bind(OwnershipHost gateway) {
    this.gw = gateway;
    this.elsewhere = new ServedElsewhere(gateway, new PeerToOwner(gateway, this));
    this.transfers = new QueueTransfer(gateway);
    this.checks = new PeerChecks(membership, claims, self, transfers, gateway.counters());
  }

  @Override
  public String self() {
    return self;
  }

  /** Listens to peers and membership; announces the endpoints restored from a snapshot. */
  @Override
  public Future<Void> start() {
    EventBus eb = gw.vertx().eventBus();
    // Hazelcast calls listeners on its own threads; from there vertx.runOnContext would pick
    // some other event loop, so hop explicitly onto the gateway's, where all this state lives.
    Context loop = gw.vertx().getOrCreateContext();
    context = loop;
    if (budgets != null && membership.instance() == 0) { // one handler for the member's shared budgets
      budgets.lostHandler((member, lost, timedOut, why) -> loop.runOnContext(v -> unconfirmed(member, lost, timedOut, why, 0)));
    }
    MessageConsumer<Buffer> direct = eb.consumer(PeerWire.gatewayAddress(self), this::onPeer);
    MessageConsumer<Buffer> all = eb.consumer(ALL, this::onPeer);
    consumers.add(direct);
    consumers.add(all);
    membership.listen(new Membership.Listener() {
      @Override
      public void joined(String member) {
        loop.runOnContext(v -> onJoined(member));
      }

      @Override
      public void left(String member) {
        loop.runOnContext(v -> onLeft(member));
      }

      @Override
      public void merged() {
        loop.runOnContext(v -> announce(null));
      }
    });
    // Anti-entropy: owners repeat their claims now and then, so a claim lost in a partition
    // or a race is corrected within seconds.
    gw.vertx().setPeriodic(5000, id -> {
      if (gw.stopping()) return;
      reassignOrphans(); // claims naming a member that is gone (a claim that arrived after it left)
      announce(null);
      renewLeases();
      expireLeases();
    });
    return Future.join(direct.completion(), all.completion())
        .compose(v -> pullClaims())
        .onSuccess(v -> {
          // endpoints restored from a snapshot are this member's unless someone else holds them
          for (String ep : gw.ownedEndpointNames()) {
            Claim c = claims.get(ep);
            if (c == null) claims.offer(ep, new Claim(self, 1));
            else if (!c.owner().equals(self)) ownerChanged(ep, self, c.owner()); // hand the restored queue over
          }
          announce(null);
        });
  }

  /**
   * Before serving, learn who owns what from every other member: a node attaching here
   * right away then goes to the endpoint's real owner instead of this member claiming it anew.
   * Each member answers only after it has reached this one back, because right after a join a
   * member's event-bus handlers are not yet known everywhere, and a delivery sent to it
   * without a reply would be dropped unseen. So by the time this member serves, traffic flows
   * both ways with every member it knows.
   */
  private Future<Void> pullClaims() {
    List<Future<Void>> asks = new ArrayList<>();
    // siblings start together and publish what they claim; the other members' instances are asked
    for (String m : membership.elsewhere()) {
      Buffer pull = new PeerWire.Writer(PeerWire.CLAIMS_PULL, 64).str(self).buffer();
      asks.add(Peers.request(gw.vertx(), membership, m, PeerWire.gatewayAddress(m), pull, 15_000, 25, 200).map(reply -> {
        readClaims(reply, m);
        return (Void) null;
      }).recover(e -> Future.succeededFuture())); // a member that does not answer announces later
    }
    return Future.join(asks).mapEmpty();
  }

  private Future<Buffer> requestWithRetry(String member, Buffer msg, int retries) {
    return Peers.request(gw.vertx(), membership, member, PeerWire.gatewayAddress(member), msg, 2000, retries, 200);
  }

  /** Applies a CLAIMS answer from {@code from}, all or nothing (false when refused). */
  private boolean readClaims(Buffer answer, String from) {
    Map<String, Claim> cs;
    try {
      cs = PeerMessage.decodeClaims(answer, gw.serverConfig());
      checks.checkClaims(cs);
    } catch (PeerWireException e) {
      checks.refused("claims", e, from);
      return false;
    }
    cs.forEach(this::onClaim);
    return true;
  }

  @Override
  public void close() {
    for (MessageConsumer<Buffer> c : consumers) c.unregister();
  }

  // ---- ownership ----

  @Override
  public String ownerOf(String endpoint) {
    return claims.owner(endpoint);
  }

  /** The owner of an endpoint this gateway needs; claims it for this member when nobody has. */
  @Override
  public String claim(String endpoint) {
    Claim c = claims.get(endpoint);
    if (c != null && !c.owner().equals(self) && !gw.stopping() && !membership.live(c.owner())) {
      // its owner is gone and this instance has not heard yet (each instance hears on its own
      // loop, and a sibling may already route by the new owner): reassign now, never send to the dead
      reassignOrphans();
      c = claims.get(endpoint);
    }
    if (c != null) return c.owner();
    if (gw.stopping()) {
      // a leaving member takes on nothing new: the member that would inherit it claims it
      List<String> others = membership.elsewhere();
      if (!others.isEmpty()) return Claims.rendezvous(endpoint, others);
    }
    // the instance the routers send an unowned endpoint to, whichever instance asks
    String owner = membership.defaultOwner(endpoint);
    Claim mine = new Claim(owner, 1);
    claims.offer(endpoint, mine);
    publishClaims(Map.of(endpoint, mine));
    return owner;
  }

  @Override
  public void deliverElsewhere(Frame frame, String endpoint, int priority) {
    String owner = claim(endpoint);
    if (toSibling(owner, new PeerMessage.Deliver(priority, 1, List.of(endpoint), frame))) return;
    gw.vertx().eventBus().send(PeerWire.gatewayAddress(owner), ClusterOutbound.deliver(frame, List.of(endpoint), priority, 1));
  }

  /** Tells every member (or one) about the claims this member holds. */
  private void announce(String member) {
    Map<String, Claim> mine = ownClaims();
    if (mine.isEmpty()) return;
    if (member == null) publishClaims(mine);
    else requestWithRetry(member, claimsMessage(mine), 50);
  }

  /** The claims this member holds. */
  private Map<String, Claim> ownClaims() {
    Map<String, Claim> mine = new HashMap<>();
    claims.snapshot().forEach((ep, c) -> {
      if (c.owner().equals(self)) mine.put(ep, c);
    });
    return mine;
  }

  private void publishClaims(Map<String, Claim> cs) {
    // in parts of at most limits.maxEndpoints claims: receivers refuse bigger CLAIMS messages
    int part = Math.max(1, gw.serverConfig().maxEndpoints);
    if (cs.size() <= part) {
      gw.vertx().eventBus().publish(ALL, claimsMessage(cs));
      return;
    }
    Map<String, Claim> chunk = new HashMap<>();
    for (Map.Entry<String, Claim> e : cs.entrySet()) {
      chunk.put(e.getKey(), e.getValue());
      if (chunk.size() == part) {
        gw.vertx().eventBus().publish(ALL, claimsMessage(chunk));
        chunk = new HashMap<>();
      }
    }
    if (!chunk.isEmpty()) gw.vertx().eventBus().publish(ALL, claimsMessage(chunk));
  }

  private static Buffer claimsMessage(Map<String, Claim> cs) {
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.CLAIMS, 16 + cs.size() * 64);
    w.i32(cs.size());
    cs.forEach((ep, c) -> w.str(ep).str(c.owner()).i64(c.epoch()));
    return w.buffer();
  }

  private void onClaim(String ep, Claim c) {
    Claim cur = claims.get(ep);
    if (c.beats(cur)) {
      claims.offer(ep, c);
      ownerChanged(ep, cur == null ? null : cur.owner(), c.owner());
    } else if (cur != null && !cur.equals(c)) {
      // a stale or losing claim is about: say which one wins (at most twice a second)
      long now = System.currentTimeMillis();
      Long last = corrected.get(ep);
      if (last == null || now - last > 500) {
        corrected.put(ep, now);
        publishClaims(Map.of(ep, cur));
      }
    }
  }

  /** Applies a change of owner to this gateway's endpoints and nodes. */
  private void ownerChanged(String ep, String oldOwner, String newOwner) {
    if (newOwner.equals(oldOwner)) return;
    if (newOwner.equals(self)) {
      for (AttachedNode s : gw.nodesOn(ep)) {
        if (!s.servedHere()) {
          passOnUnwritten(elsewhere.takePrefetched(s), ep, elsewhere.owner(s), self);
          elsewhere.serveFrom(s, null);
          gw.serveHere(s);
        }
      }
      LOG.fine("this member now owns endpoint " + ep + (oldOwner == null ? "" : " (was " + oldOwner + ")"));
      gw.dispatch(ep);
      return;
    }
    // the remote nodes on the endpoint held here now, before it goes
    List<RemoteNode> onLost = new ArrayList<>();
    for (RemoteNode r : remoteNodes.values()) if (r.endpointName().equals(ep) && r.onOwnedEndpoint()) onLost.add(r);
    List<Queued> queued = gw.surrender(ep);
    if (queued != null) {
      // Someone else won the endpoint (a simultaneous first use, or a healed partition):
      // its queue goes to the winner, and nodes served here from it are served from there.
      for (RemoteNode r : onLost) {
        remoteNodes.remove(r.nodeId());
        r.abandon(); // its gateway serves it from the winner now; let go of the frames
      }
      if (!queued.isEmpty()) handOverLost(ep, queued, 0);
    }
    for (AttachedNode s : gw.nodesOn(ep)) {
      String old = elsewhere.owner(s);
      if (!s.servedHere() && old != null) passOnUnwritten(elsewhere.takePrefetched(s), ep, old, newOwner);
      s.serveElsewhere(); // the new owner keeps the window from now on
      elsewhere.takePrefetched(s); // what an earlier owner sent is its business no more
      elsewhere.serveFrom(s, newOwner);
      sendAttach(s, 0);
    }
  }

  /**
   * What the old owner sent a node here that was never written to it. An old owner that is
   * still a member hands over (or keeps) every unacked delivery of an endpoint that requeues,
   * these included; for any other endpoint, or when the old owner is gone with its state, these
   * are the only copies, so they go to the new owner (at priority 0: TO_NODE does not carry it).
   */
  private void passOnUnwritten(List<Frame> unwritten, String ep, String oldOwner, String newOwner) {
    if (unwritten.isEmpty()) return;
    boolean ownerGone = oldOwner == null || !membership.members().contains(oldOwner);
    if (!ownerGone && gw.requeues(ep)) return;
    for (Frame f : unwritten) {
      if (newOwner.equals(self)) gw.enqueue(ep, f, 0);
      else relay(f, List.of(ep), 0, 0, newOwner);
    }
  }

  /**
   * Gets the queue of an endpoint this member lost to whoever owns it now, retrying for a
   * while (the owner may be starting, or stopping and about to hand it on); if ownership comes
   * back here meanwhile, the messages simply go back into the local queue.
   */
  private void handOverLost(String ep, List<Queued> queued, int attempt) {
    String owner = claim(ep);
    if (owner.equals(self)) {
      gw.putFirst(ep, queued);
      return;
    }
    transfers.send(ep, owner, claims.get(ep), queued).onFailure(err -> {
      if (attempt < 20 && !gw.stopping()) {
        gw.vertx().setTimer(500, t -> handOverLost(ep, queued, attempt + 1));
      } else {
        gw.counters().drop(Counters.Drop.UNREACHABLE, queued.size());
        LOG.warning(queued.size() + " queued messages of endpoint " + ep + " could not be handed to its owner "
            + owner + ": " + err.getMessage());
      }
    });
  }

  // ---- membership ----

  private void onJoined(String member) {
    leavers.remove(member); // back again (same name): a new life, whose death counts
    if (speaksFor(member)) {
      LOG.info("member " + member + " joined the cluster (" + membership.cluster().members().size() + " members)");
    }
    announce(member);
  }

  private void onLeft(String member) {
    if (speaksFor(member)) {
      LOG.info("member " + member + " left the cluster (" + membership.cluster().members().size() + " members remain)");
    }
    for (RemoteNode r : new ArrayList<>(remoteNodes.values())) {
      if (r.member().equals(member)) {
        remoteNodes.remove(r.nodeId());
        r.release();
      }
    }
    reassignOrphans();
    // A member that said LEAVING took care of everything sent to it; one that died did not, and
    // what this member sent it since its last confirmation goes to the new owners of its
    // endpoints (see PeerBudgets).
    if (budgets != null) {
      List<PeerBudgets.Unconfirmed> open = budgets.takeUnconfirmed(member);
      if (!leavers.containsKey(member)) sendAgain(member, open);
    }
  }

  /**
   * {@code member} said LEAVING: it has applied every message this member sent it (they went
   * before this member's answer to its last claims, on the same connection, or within its
   * linger after that), so they are settled here, and never sent again.
   */
  private void onLeaving(String member) {
    long now = System.currentTimeMillis();
    leavers.put(member, now);
    leavers.values().removeIf(at -> now - at > LEAVER_MEMORY_MILLIS);
    if (budgets != null) budgets.takeUnconfirmed(member);
    if (speaksFor(member)) LOG.info("member " + member + " is leaving and has taken care of everything sent to it");
  }

  /**
   * Tells every other member that this one is leaving, last before it stops listening (see
   * {@link PeerWire#LEAVING}); waits for their answers, a member that does not answer within a
   * few seconds is not waited for (it sends again what it never had confirmed: a few duplicates
   * at worst).
   */
  @Override
  public Future<Void> announceLeaving() {
    Buffer msg = new PeerWire.Writer(PeerWire.LEAVING, 64).str(self).buffer();
    List<Future<Buffer>> asks = new ArrayList<>();
    for (String m : membership.elsewhere()) {
      asks.add(requestWithRetry(m, msg, 0).onFailure(e -> LOG.warning("member " + m + " did not hear that this member is leaving (" + e.getMessage()
              + "); it may send a few messages again once this member is gone")));
    }
    return Future.join(asks).<Void>mapEmpty().otherwiseEmpty();
  }

  /**
   * A member's confirmation failed. Gone from the cluster: what it never confirmed goes to the
   * new owners. Still listed after a timeout (past the failure detection time): it hangs, and
   * the messages are counted as dropped. A member that said LEAVING took care of them: settled.
   * Still listed after another failure (no handler): asked again each second until it is gone
   * or has said LEAVING (its answer to the failed confirmation may overtake both).
   */
  private void unconfirmed(String member, List<PeerBudgets.Unconfirmed> lost, boolean timedOut, String why, int attempt) {
    if (leavers.containsKey(member)) return; // it took care of them before it left
    if (!membership.members().contains(member)) {
      sendAgain(member, lost);
    } else if (timedOut || attempt >= gw.serverConfig().clusterFailureDetectionSeconds + 5) {
      int copies = 0;
      for (PeerBudgets.Unconfirmed u : lost) copies += u.endpoints().size();
      gw.counters().drop(Counters.Drop.UNREACHABLE, copies);
      LOG.warning(copies + " messages sent to member " + member + " were never confirmed (" + why
          + "): counted as dropped (unreachable); the member is still listed, hung or cut off");
    } else {
      // no handler while still listed: it died (and is not yet removed) or is leaving (and its
      // LEAVING is on the way); asked again each second until one of the two is known
      gw.vertx().setTimer(1000, t -> unconfirmed(member, lost, false, why, attempt + 1));
    }
  }

  /**
   * Routes again what a gone {@code member} never confirmed, by today's claims (its endpoints
   * have new owners). A consumer may see the last few twice, with the same uid: what the member
   * delivered after its last confirmation.
   */
  private void sendAgain(String member, List<PeerBudgets.Unconfirmed> lost) {
    if (lost.isEmpty()) return;
    reassignOrphans(); // a claim naming it may have arrived since it left
    int again = 0;
    for (PeerBudgets.Unconfirmed u : lost) {
      again += u.endpoints().size();
      onDeliver(new PeerMessage.Deliver(u.priority(), 0, u.endpoints(), u.frame()));
    }
    LOG.info(again + " message copies sent to member " + member + " and never confirmed by it went again to the new"
        + " owners of its endpoints (it is gone; a consumer may see the last few twice, with the same uid)");
  }

  /**
   * Gives every endpoint whose owner is no longer a member to the member rendezvous hashing
   * picks among the current ones. Every survivor computes the same answer from the same member
   * list, and publishes what it computed: if member lists differed for a moment, the claims
   * meet and the better one wins everywhere.
   */
  private void reassignOrphans() {
    List<String> members = membership.members();
    java.util.Set<String> live = new java.util.HashSet<>(members);
    Map<String, Claim> moved = new HashMap<>();
    Map<String, Integer> byOwner = new HashMap<>();
    claims.snapshot().forEach((ep, old) -> {
      if (live.contains(old.owner())) return;
      String next = Claims.rendezvous(ep, members);
      Claim c = new Claim(next, old.epoch() + 1);
      if (claims.offer(ep, c)) {
        moved.put(ep, c);
        if (next.equals(self)) byOwner.merge(InstanceMembership.memberOf(old.owner()), 1, Integer::sum);
        ownerChanged(ep, old.owner(), next);
      }
    });
    if (moved.isEmpty()) return;
    byOwner.forEach((gone, n) -> LOG.info(n + " endpoints of member " + gone + " were taken over"
        + (local == null ? "" : " by gateway instance " + membership.instance()) + "; what they held in memory is lost"));
    publishClaims(moved);
  }

  // ---- nodes attached here, endpoint owned elsewhere ----

  /** A node connected: serve it from the local endpoint or through the owner. */
  @Override
  public void attach(AttachedNode s) {
    if (attachedHere != null && counted.add(s)) attachedHere.merge(s.endpointName(), 1, Integer::sum);
    String owner = claim(s.endpointName());
    if (owner.equals(self)) {
      gw.serveHere(s);
    } else {
      elsewhere.serveFrom(s, owner);
      sendAttach(s, 0);
    }
  }

  /**
   * The endpoint was removed (lifecycle): this member gives up its claim and tells the others,
   * so ownership does not outlive the endpoint. Whoever uses the name next claims it anew.
   */
  @Override
  public void release(String ep) {
    corrected.remove(ep);
    Claim c = claims.get(ep);
    if (c == null || !c.owner().equals(self)) return;
    claims.remove(ep, c);
    gw.vertx().eventBus().publish(ALL, new PeerWire.Writer(PeerWire.RELEASE, 96).str(ep).str(c.owner())
        .i64(c.epoch()).buffer());
  }

  private void onRelease(String ep, Claim c) {
    corrected.remove(ep);
    if (c.owner().equals(self)) return; // sent by this member (publish reaches it too)
    List<AttachedNode> here = gw.nodesOn(ep);
    if (!here.isEmpty()) {
      // a node attached here meanwhile: it keeps being served (the owner answers its next
      // ATTACH by claiming the endpoint again), and the endpoint is made again
      if (!gw.registry().hasEndpoint(ep)) {
        boolean eph = here.get(0).ephemeral();
        gw.vertx().eventBus().request(io.wsmsg.registry.RegistryVerticle.ADDRESS, eph
            ? new io.wsmsg.registry.RegistryCommand.EphemeralEndpoint(ep, null)
            : new io.wsmsg.registry.RegistryCommand.CreateEndpoint(ep, null), io.wsmsg.router.Outbound.LOCAL);
      }
      return;
    }
    claims.remove(ep, c);
  }

  @Override
  public void forget(AttachedNode s) {
    uncount(s);
    elsewhere.forget(s);
  }

  private void uncount(AttachedNode s) {
    if (attachedHere != null && counted.remove(s)) {
      attachedHere.computeIfPresent(s.endpointName(), (k, n) -> n > 1 ? n - 1 : null);
    }
  }

  @Override
  public boolean nodesAtSiblings(String endpoint) {
    return attachedHere != null && attachedHere.containsKey(endpoint);
  }

  @Override
  public String servingMember(AttachedNode s) {
    String owner = elsewhere.owner(s);
    return owner == null || membership.here(owner) ? null : InstanceMembership.memberOf(owner);
  }

  @Override
  public boolean sameMember(String owner) {
    return membership.here(owner);
  }

  /**
   * Sends ATTACH to {@code owner} and completes with its answer on this loop. A sibling gets it
   * by reference, like the FLOW, ACK and DETACH that follow it, so none of them overtakes it.
   */
  private Future<Buffer> attachAt(String owner, AttachedNode s) {
    ClusteredOwnership sib = sibling(owner);
    if (sib == null) {
      return gw.vertx().eventBus().<Buffer>request(PeerWire.gatewayAddress(owner), attachMessage(s), timeout(5000))
          .map(Message::body);
    }
    PeerMessage.Attach a = new PeerMessage.Attach(s.endpointName(), s.nodeId(), self, s.window(),
        s.paused() || gw.stopping(), elsewhere.toldCongested(s));
    Promise<Buffer> answer = Promise.promise();
    Context here = context;
    sib.context.runOnContext(v -> {
      try {
        sib.onAttach(a, reply -> here.runOnContext(x -> answer.tryComplete(reply)));
      } catch (RuntimeException e) {
        here.runOnContext(x -> answer.tryFail(e)); // sendAttach tries again
      }
    });
    return answer.future();
  }

  private void sendAttach(AttachedNode s, int attempt) {
    String owner = elsewhere.owner(s);
    attachAt(owner, s).onComplete(ar -> {
          if (superseded(s, owner)) return; // gone, or served from elsewhere meanwhile
          if (ar.succeeded()) {
            if (attached(s, ar.result())) return;
            if (superseded(s, owner)) return;
          }
          if (attempt < 50) {
            // the owner may still be starting (no handler yet) or be failing: its
            // replacement will be announced; until then, keep trying
            gw.vertx().setTimer(200, t -> {
              if (!superseded(s, owner)) sendAttach(s, attempt + 1);
            });
          } else {
            LOG.warning("closing node " + s.nodeId() + " on endpoint " + s.endpointName() + ": the endpoint's owner "
                + owner + " could not be reached (" + (ar.failed() ? ar.cause().getMessage() : "it pointed elsewhere")
                + "); the node may reconnect");
            s.close((short) 1013, "endpoint owner unreachable, try again");
          }
        });
  }

  /**
   * Reads an owner's answer to ATTACH: true for "ok". Otherwise the member is not the owner and
   * its answer is the claim it knows, which settles who is: the node is attached there.
   */
  private boolean attached(AttachedNode s, Buffer answer) {
    if (answer.length() == 2 && "ok".equals(answer.toString())) return true;
    if (readClaims(answer, elsewhere.owner(s))) onClaimHint(s.endpointName());
    return false;
  }

  private boolean superseded(AttachedNode s, String owner) {
    return s.closed() || s.servedHere() || !owner.equals(elsewhere.owner(s));
  }

  /**
   * Nodes served from elsewhere repeat their ATTACH (with their pause and congestion state)
   * every few seconds: a lost DETACH or FLOW between gateways then costs seconds, not forever.
   */
  private void renewLeases() {
    for (AttachedNode s : gw.nodes()) {
      String owner = elsewhere.owner(s);
      if (s.closed() || s.servedHere() || owner == null) continue;
      attachAt(owner, s).onSuccess(reply -> {
        if (!superseded(s, owner)) attached(s, reply);
      });
    }
  }

  /** Remote nodes whose gateway stopped renewing them are gone: their deliveries are settled. */
  private void expireLeases() {
    long cutoff = System.currentTimeMillis() - LEASE_MILLIS;
    for (RemoteNode n : new ArrayList<>(remoteNodes.values())) {
      if (n.renewedAt() < cutoff) {
        remoteNodes.remove(n.nodeId());
        n.release();
      }
    }
  }

  private Buffer attachMessage(AttachedNode s) {
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.ATTACH, 128);
    w.str(s.endpointName()).str(s.nodeId()).str(self).i32(s.window()).bool(s.paused() || gw.stopping())
        .bool(elsewhere.toldCongested(s));
    return w.buffer();
  }

  /** Re-reads the claim table after an owner pointed elsewhere, and attaches there. */
  private void onClaimHint(String ep) {
    String owner = claim(ep);
    for (AttachedNode s : gw.nodesOn(ep)) {
      String current = elsewhere.owner(s);
      if (s.servedHere() || owner.equals(current)) continue;
      if (owner.equals(self)) {
        ownerChanged(ep, current, self);
      } else {
        elsewhere.serveFrom(s, owner);
        sendAttach(s, 0);
      }
    }
  }

  @Override
  public void roomFreed(AttachedNode s) {
    elsewhere.roomFreed(s);
  }

  @Override
  public void acked(AttachedNode s, byte[] uid) {
    elsewhere.acked(s, uid);
  }

  @Override
  public void pausedChanged(AttachedNode s) {
    elsewhere.pausedChanged(s);
  }

  @Override
  public void drained(AttachedNode s) {
    elsewhere.drained(s);
  }

  @Override
  public void detach(AttachedNode s) {
    uncount(s); // first: the owner, told next, may find the endpoint unused at once
    elsewhere.detach(s);
  }

  // ---- messages from peers ----

  /**
   * Every message from a peer is decoded whole and checked (bounds, names, frames, members,
   * epochs) before anything of it is applied; a refused one is dropped, counted in
   * wsmsg_peer_rejected_total and logged, and a request among them is answered with a failure.
   */
  private void onPeer(Message<Buffer> msg) {
    PeerMessage m = null;
    try {
      m = PeerMessage.decode(msg.body(), gw.serverConfig());
      checks.check(m);
    } catch (PeerWireException e) {
      checks.refused(PeerMessage.typeOf(msg.body()), e, m == null ? null : PeerChecks.claimedSender(m));
      if (msg.replyAddress() != null) msg.fail(400, "refused: " + e.getMessage());
      return;
    }
    try {
      apply(m, msg);
    } catch (RuntimeException e) {
      LOG.warning("a peer message of type " + PeerMessage.typeName(m.type()) + " failed: " + e);
    }
  }

  private void apply(PeerMessage m, Message<Buffer> msg) {
    if (m instanceof PeerMessage.Deliver d) {
      onDeliver(d);
    } else if (m instanceof PeerMessage.ToNode t) {
      AttachedNode s = gw.node(t.nodeId());
      if (s != null && gw.stopping() && t.owner().equals(elsewhere.owner(s))) {
        elsewhere.giveBack(s, t.owner(), List.of(t.frame())); // sent before the owner heard this gateway is stopping
      } else if (s != null) {
        elsewhere.deliverFromOwner(s, t.frame());
      } else {
        // the node is gone and its DETACH did not arrive: tell the owner again
        if (toSibling(t.owner(), new PeerMessage.Detach(t.endpoint(), t.nodeId()))) return;
        PeerWire.Writer w = new PeerWire.Writer(PeerWire.DETACH, 96);
        w.str(t.endpoint()).str(t.nodeId());
        gw.vertx().eventBus().send(PeerWire.gatewayAddress(t.owner()), w.buffer());
      }
    } else if (m instanceof PeerMessage.Ack a) {
      RemoteNode n = remoteNodes.get(a.nodeId());
      if (n != null && n.endpointName().equals(a.endpoint())) n.ack(a.uid());
    } else if (m instanceof PeerMessage.Flow f) {
      RemoteNode n = remoteNodes.get(f.nodeId());
      if (n != null && n.endpointName().equals(f.endpoint())) {
        n.flow(f.paused(), f.congested());
        n.dispatch();
      }
    } else if (m instanceof PeerMessage.Attach a) {
      onAttach(a, msg::reply);
    } else if (m instanceof PeerMessage.Return r) {
      onReturn(r);
    } else if (m instanceof PeerMessage.Detach d) {
      RemoteNode n = remoteNodes.get(d.nodeId());
      if (n != null && n.endpointName().equals(d.endpoint())) {
        remoteNodes.remove(n.nodeId());
        n.release();
      }
    } else if (m instanceof PeerMessage.ClaimSet c) {
      c.claims().forEach(this::onClaim);
      if (msg.replyAddress() != null) msg.reply(OK);
    } else if (m instanceof PeerMessage.ClaimsPull p) {
      requestWithRetry(p.starter(), new PeerWire.Writer(PeerWire.PING, 1).buffer(), 50)
          .onComplete(v -> msg.reply(claimsMessage(ownClaims())));
    } else if (m instanceof PeerMessage.Ping) {
      msg.reply(OK);
    } else if (m instanceof PeerMessage.Leaving l) {
      onLeaving(l.member());
      msg.reply(OK);
    } else if (m instanceof PeerMessage.Release rl) {
      onRelease(rl.endpoint(), rl.claim());
    } else if (m instanceof PeerMessage.Handoff h) {
      onHandoff(h, msg);
    } else if (m instanceof PeerMessage.View) {
      (view != null ? view.get() : gw.memberView()).onComplete(ar -> {
        if (ar.succeeded()) msg.reply(ar.result().toBuffer());
        else msg.fail(500, String.valueOf(ar.cause().getMessage()));
      });
    } else if (m instanceof PeerMessage.StopAll st) {
      // the stop command's uid, so this member's stopping notices reference it too
      if (st.cause() != null) gw.stopCause(st.cause());
      if (membership.instance() != 0) return; // every instance hears it; the first stops the member
      LOG.info("member " + InstanceMembership.memberOf(st.sender()) + " asked every member to stop");
      onStopAll.run();
    }
  }

  private void onDeliver(PeerMessage.Deliver d) {
    int priority = d.priority();
    int hops = d.hops();
    Frame f = d.frame();
    Map<String, List<String>> elsewhere = null;
    for (String ep : d.endpoints()) {
      List<Held> held = handingOver.get(ep);
      if (held != null) {
        held.add(new Held(f, priority, hops)); // relayed once the heir has the queue (handOffAll)
        continue;
      }
      String owner = claim(ep);
      if (owner.equals(self)) {
        gw.enqueue(ep, f, priority);
      } else {
        if (elsewhere == null) elsewhere = new HashMap<>();
        elsewhere.computeIfAbsent(owner, k -> new ArrayList<>()).add(ep);
      }
    }
    if (elsewhere == null) return;
    // ownership moved while the message travelled: pass it on to the new owner
    for (Map.Entry<String, List<String>> e : elsewhere.entrySet()) relay(f, e.getValue(), priority, hops, e.getKey());
  }

  /**
   * Passes a message on to the owner an earlier hop did not know. After {@link #MAX_HOPS} it is
   * dropped and counted, but not by a leaving member: its counters leave with it, so it passes
   * the message on once more and a member that stays counts it if it must (unless it has
   * reached the hop limit at a leaver already: then everyone is stopping).
   */
  private void relay(Frame f, List<String> eps, int priority, int hops, String owner) {
    boolean last = hops + 1 >= MAX_HOPS;
    if (last && (!gw.stopping() || hops >= MAX_HOPS)) {
      gw.counters().drop(Counters.Drop.UNREACHABLE, eps.size());
      hopsLog.log("dropped a message for endpoint(s) " + eps + " after " + (hops + 1) + " hops between members that"
          + " each took another for the owner (last pointed to " + owner + "); counted as dropped.unreachable");
      return;
    }
    int next = Math.min(MAX_HOPS, hops + 1);
    if (toSibling(owner, new PeerMessage.Deliver(priority, next, eps, f))) return;
    gw.vertx().eventBus().send(PeerWire.gatewayAddress(owner), ClusterOutbound.deliver(f, eps, priority, next));
  }

  /** {@code reply}: how the answer goes back (the event bus, or a sibling's loop). */
  private void onAttach(PeerMessage.Attach a, java.util.function.Consumer<Buffer> reply) {
    String ep = a.endpoint();
    String nodeId = a.nodeId();
    String member = a.member();
    int window = a.window();
    boolean paused = a.paused();
    boolean congested = a.congested();
    String owner = claim(ep);
    if (!owner.equals(self)) {
      reply.accept(claimsMessage(Map.of(ep, claims.get(ep) != null ? claims.get(ep) : new Claim(owner, 0))));
      return;
    }
    RemoteNode old = remoteNodes.get(nodeId);
    if (old != null && old.endpointName().equals(ep) && old.member().equals(member)) {
      old.flow(paused, congested); // a renewal, or a repeat whose reply was lost: keep the window as it is
      old.renew();
      reply.accept(OK);
      old.dispatch();
      return;
    }
    if (old != null) {
      remoteNodes.remove(nodeId);
      old.release();
    }
    // twice the node's window: the node's gateway holds the second half ready (see ServedElsewhere)
    RemoteNode n = gw.serveRemote(ep, nodeId, member, (int) Math.min(Integer.MAX_VALUE, 2L * window), toNode);
    n.flow(paused, congested);
    remoteNodes.put(nodeId, n);
    reply.accept(OK);
    n.dispatch();
  }

  /** Sends a delivery to the gateway that holds a remote node's connection. */
  private void toNode(RemoteNode n, Frame f) {
    if (toSibling(n.member(), new PeerMessage.ToNode(n.nodeId(), n.endpointName(), self, f))) return;
    byte[] raw = f.rawBytes();
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.TO_NODE, raw.length + 128);
    w.str(n.nodeId()).str(n.endpointName()).str(self).bytes(raw);
    gw.vertx().eventBus().send(PeerWire.gatewayAddress(n.member()), w.buffer());
  }

  private void onHandoff(PeerMessage.Handoff h, Message<Buffer> msg) {
    String ep = h.endpoint();
    Claim c = h.claim();
    String id = h.id();
    boolean last = h.last();
    List<Queued> chunk = new ArrayList<>(h.items().size());
    for (PeerMessage.Handoff.Item i : h.items()) chunk.add(new Queued(i.frame(), i.priority(), i.enqueuedAt()));
    if (gw.stopping()) {
      transfers.forget(id);
      msg.fail(503, "stopping");
      return;
    }
    if (!last) {
      // large queues come in parts; they are applied together when the last one arrives
      transfers.addPart(id, chunk, h.bytes());
      msg.reply(OK);
      return;
    }
    List<Queued> queued = transfers.complete(id, chunk);
    if (gw.stopping()) {
      msg.fail(503, "stopping");
      return;
    }
    onClaim(ep, c);
    String owner = claim(ep);
    if (owner.equals(self)) {
      gw.putFirst(ep, queued);
      msg.reply(OK);
      if (!queued.isEmpty()) LOG.info("took over endpoint " + ep + " with " + queued.size() + " queued messages");
    } else if (queued.isEmpty()) {
      msg.reply(OK);
    } else {
      // not ours after all: pass the queue on rather than lose it
      transfers.send(ep, owner, claims.get(ep), queued).onComplete(ar -> {
        if (ar.succeeded()) msg.reply(OK);
        else msg.fail(503, ar.cause().getMessage());
      });
    }
  }

  // ---- leaving ----

  /**
   * A graceful leave: every endpoint this member owns goes, with its queue, to the member
   * the others would pick if this one failed. Deliveries are frozen first. Completes with
   * what could not be handed over (no other member, or it refused because it is stopping
   * too): those queues go into this member's snapshot instead.
   *
   * <p>Every message on its way during the handoff has exactly one place to go: until the heir
   * has taken the last part of the queue (and with it the claim), messages arriving here for
   * the endpoint are held here, not forwarded, because the heir would still take this member
   * for the owner and send them back (a large queue goes in parts, and they bounced until the
   * hop limit dropped them). Then the held ones are relayed to the heir, which owns the
   * endpoint by then, and the new claim is sent to every other member, each of which answers
   * once it routes by it; until then, and a moment longer for routers that read the old claim,
   * this member keeps relaying to the heir. The simplest order that is correct: the heir knows
   * first, the others next, and the leaver stops listening last.
   */
  @Override
  public Future<HandOff> handOffAll() {
    Map<String, List<Queued>> left = new HashMap<>();
    Map<String, Claim> moved = new HashMap<>();
    boolean[] complete = {true};
    // the heirs are on other members (the siblings are leaving too); every other owner hears the new claims
    List<String> others = membership.elsewhere();
    List<String> tell = new ArrayList<>(membership.members());
    tell.remove(self);
    List<Future<Void>> all = new ArrayList<>();
    for (String ep : gw.ownedEndpointNames()) {
      List<Queued> queued = gw.surrender(ep);
      if (others.isEmpty()) {
        complete[0] = false;
        if (!queued.isEmpty()) left.put(ep, queued);
        continue;
      }
      String to = Claims.rendezvous(ep, others);
      Claim old = claims.get(ep);
      Claim next = new Claim(to, (old == null ? 1 : old.epoch()) + 1);
      claims.offer(ep, next);
      handingOver.put(ep, new ArrayList<>());
      all.add(transfers.send(ep, to, next, queued).onSuccess(v -> {
        moved.put(ep, next);
        // the heir owns it now (it takes the claim before it answers the last part)
        for (Held h : handingOver.remove(ep)) relay(h.frame(), List.of(ep), h.priority(), h.hops(), to);
      }).recover(err -> {
        List<Held> late = handingOver.remove(ep);
        LOG.warning("endpoint " + ep + " could not be handed to member " + to + " (" + err.getMessage()
            + "); its " + (queued.size() + late.size()) + " queued messages are kept in this member's snapshot");
        complete[0] = false; // most likely the whole cluster is stopping: keep the state here
        List<Queued> keep = new ArrayList<>(queued);
        long now = System.currentTimeMillis();
        for (Held h : late) keep.add(new Queued(h.frame(), h.priority(), now));
        if (!keep.isEmpty()) left.put(ep, keep);
        return Future.succeededFuture();
      }));
    }
    if (others.isEmpty()) complete[0] = false;
    Promise<HandOff> done = Promise.promise();
    Future.join(all).transform(ar -> confirmClaims(moved, tell))
        .onComplete(ar -> done.complete(new HandOff(left, complete[0])));
    return done.future();
  }

  /**
   * Sends claims to each of {@code members} and waits for each to answer (it has applied
   * them: its routers send to the new owners from then on), then lingers a moment. A member
   * that does not answer within a few seconds is not waited for (it learns them from the
   * heir's next announcement).
   */
  private Future<Void> confirmClaims(Map<String, Claim> cs, List<String> members) {
    if (cs.isEmpty()) return Future.succeededFuture();
    List<Future<Buffer>> asks = new ArrayList<>();
    for (Map<String, Claim> part : parts(cs)) {
      Buffer msg = claimsMessage(part);
      for (String m : members) asks.add(requestWithRetry(m, msg, 3).otherwise(e -> {
        LOG.warning("member " + m + " did not confirm the new owners of this member's endpoints (" + e.getMessage()
            + "); it learns them from their next announcement");
        return null;
      }));
    }
    Promise<Void> p = Promise.promise();
    Future.join(asks).onComplete(ar -> gw.vertx().setTimer(LEAVE_LINGER_MILLIS, t -> p.complete()));
    return p.future();
  }

  /** Claims in parts of at most limits.maxEndpoints: receivers refuse bigger CLAIMS messages. */
  private List<Map<String, Claim>> parts(Map<String, Claim> cs) {
    int part = Math.max(1, gw.serverConfig().maxEndpoints);
    List<Map<String, Claim>> out = new ArrayList<>();
    Map<String, Claim> chunk = new HashMap<>();
    for (Map.Entry<String, Claim> e : cs.entrySet()) {
      chunk.put(e.getKey(), e.getValue());
      if (chunk.size() == part) {
        out.add(chunk);
        chunk = new HashMap<>();
      }
    }
    if (!chunk.isEmpty()) out.add(chunk);
    return out;
  }

  @Override
  public void stopTakingDeliveries() {
    elsewhere.stopTakingDeliveries();
  }

  /** A node's gateway gave deliveries back unwritten: they go to the head of the queue, in order. */
  private void onReturn(PeerMessage.Return r) {
    RemoteNode n = remoteNodes.get(r.nodeId());
    if (n == null || !n.endpointName().equals(r.endpoint())) return; // released meanwhile: settled there
    n.giveBack(r.uids());
  }

  /** Asks every member to stop and persist its share (the stop command). */
  @Override
  public void stopAll(String why, byte[] cause) {
    GATEWAY_LOG.info("stop requested by " + why + ": stopping every member of the cluster");
    PeerWire.Writer w = new PeerWire.Writer(PeerWire.STOP_ALL, 64 + (cause == null ? 0 : cause.length));
    w.str(self); // receivers act only on a current member's stop
    if (cause != null) w.bytes(cause);
    gw.vertx().eventBus().publish(ALL, w.buffer());
  }

  /** Expires overdue deliveries to remote nodes, as the gateway does for its own sessions. */
  @Override
  public void expireAcks(long now) {
    for (RemoteNode n : new ArrayList<>(remoteNodes.values())) n.expireAcks(now);
  }

  /** This member decides about its own endpoints, and about unowned ones that would fall to it. */
  @Override
  public Predicate<String> reclaimer() {
    List<String> members = membership.members();
    return name -> {
      Claim c = claims.get(name);
      if (c != null) return c.owner().equals(self);
      return self.equals(Claims.rendezvous(name, members));
    };
  }

  @Override
  public boolean hasPeers() {
    return !membership.elsewhere().isEmpty();
  }

  @Override
  public void status(Map<String, Object> into, int ownedEndpoints) {
    into.put("mode", "clustered");
    into.put("member", membership.cluster().self());
    into.put("members", membership.cluster().members());
    // Hazelcast members that never proved membership over the (TLS) event bus: routed nothing
    into.put("unproven", membership.unproven());
    into.put("refusedPeerMessages", membership.refusedPeerMessages());
    into.put("ownedEndpoints", ownedEndpoints);
    into.put("knownOwners", claims.size());
    int siblings = 0;
    for (RemoteNode r : remoteNodes.values()) if (membership.here(r.member())) siblings++;
    into.put("remoteNodesServed", remoteNodes.size() - siblings);
    if (local != null) into.put("siblingNodesServed", siblings); // nodes of this member's other instances
  }

  private static DeliveryOptions timeout(long ms) {
    return new DeliveryOptions().setSendTimeout(Math.max(100, ms));
  }
}
