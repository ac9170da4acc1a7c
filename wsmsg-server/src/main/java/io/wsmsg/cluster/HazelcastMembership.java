package io.wsmsg.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.wsmsg.gateway.RateLimitedLog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * {@link Membership} read from the Hazelcast member list behind a clustered Vert.x, filtered
 * to the members that proved themselves over the event bus.
 *
 * <p>Why: Hazelcast OSS admits any JVM that reaches its port with the cluster name. The event
 * bus runs over mutual TLS from the cluster CA, so a request to {@code wsmsg.member.<id>}
 * answered with {@code id} shows that member holds a cluster certificate. Until then it is not
 * in {@link #members()} (no routing, no rendezvous, no claims), listeners do not hear of it,
 * and peer messages naming it as sender ({@code wsmsg-from}) are ignored and counted.
 */
final class HazelcastMembership implements Membership {
  private static final Logger LOG = Logger.getLogger(HazelcastMembership.class.getName());
  /** The member attribute vertx-hazelcast stores each member's Vert.x node id in. */
  private static final String NODE_ID = "__vertx.nodeId";
  /** The member attribute each member publishes its gateway.instances in (set in {@link ClusterSetup}). */
  static final String INSTANCES = "wsmsg.gatewayInstances";
  /** The most gateway instances a member may say it runs; a larger or unreadable count reads as 1. */
  static final int MAX_INSTANCES = 1024;
  /** Proof address prefix: each member answers its own with its id. */
  static final String PROOF = "wsmsg.member.";
  /** Header naming the sending member on every peer message (set by an outbound interceptor). */
  public static final String FROM = "wsmsg-from";
  /** Header of the reverse proof a member makes before answering one (answered at once, no recursion). */
  private static final String BACK = "wsmsg-proof-back";
  /** How long a Hazelcast member may stay unproven before operators hear of it. */
  static final long UNPROVEN_WARN_MILLIS = 10_000;
  /** The most {@link #ready()} waits. */
  static final long READY_MAX_MILLIS = 10_000;

  private final Vertx vertx;
  private final String self;
  private final HazelcastInstance hz;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final Set<String> proven = ConcurrentHashMap.newKeySet();
  /** Members whose joined() the listeners heard (proven and in Hazelcast's list). */
  private final Set<String> announced = ConcurrentHashMap.newKeySet();
  private final Set<String> proving = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
  private final Map<String, String> lastFailure = new ConcurrentHashMap<>();
  private final Map<String, Long> lastAttempt = new ConcurrentHashMap<>();
  private final AtomicLong refused = new AtomicLong();
  /** Each member's gateway instances, kept past its removal until the listeners heard it left. */
  private final Map<String, Integer> instances = new ConcurrentHashMap<>();
  private final RateLimitedLog unprovenLog = new RateLimitedLog(LOG, 30_000);
  private final RateLimitedLog refusedLog = new RateLimitedLog(LOG, 10_000);

  HazelcastMembership(Vertx vertx) {
    this.vertx = vertx;
    HazelcastClusterManager mgr = (HazelcastClusterManager) ((VertxInternal) vertx).clusterManager();
    this.self = mgr.getNodeId();
    this.hz = mgr.getHazelcastInstance();
    vertx.eventBus().addOutboundInterceptor(this::stampSender);
    vertx.eventBus().addInboundInterceptor(this::checkSender);
    vertx.eventBus().<String>consumer(PROOF + self, this::onProof);
    hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent e) {
        String id = e.getMember().getAttribute(NODE_ID);
        if (id == null || id.equals(self)) return;
        instances.put(id, instanceCount(e.getMember()));
        firstSeen.putIfAbsent(id, System.currentTimeMillis());
        if (proven.contains(id)) announce(id);
        else prove(id);
      }

      @Override
      public void memberRemoved(MembershipEvent e) {
        String id = e.getMember().getAttribute(NODE_ID);
        if (id == null || id.equals(self)) return;
        proven.remove(id);
        firstSeen.remove(id);
        lastFailure.remove(id);
        lastAttempt.remove(id);
        if (announced.remove(id)) listeners.forEach(l -> l.left(id));
        instances.remove(id);
      }
    });
    hz.getLifecycleService().addLifecycleListener(e -> {
      if (e.getState() == LifecycleEvent.LifecycleState.MERGED) listeners.forEach(Listener::merged);
    });
    vertx.setPeriodic(500, t -> sweep());
  }

  /** Every peer message says who sent it, so the receiver can check that sender proved itself. */
  private void stampSender(DeliveryContext<Object> ctx) {
    Message<Object> m = ctx.message();
    if (peerAddress(m.address()) && !m.headers().contains(FROM)) m.headers().set(FROM, self);
    ctx.next();
  }

  /** Peer messages (gateway, registry, broadcast) from a sender that has not proven membership are ignored. */
  private void checkSender(DeliveryContext<Object> ctx) {
    Message<Object> m = ctx.message();
    String a = m.address();
    if (peerAddress(a)) {
      String from = m.headers().get(FROM);
      if (from == null || !proven(from)) {
        refused.incrementAndGet();
        refusedLog.log("ignored a peer message to " + a + " from " + (from == null ? "a sender that did not name itself"
            : "member " + from + ", which has not proven cluster membership (no reply over the cluster's TLS event bus)")
            + ": it is not applied. Check for a process in the Hazelcast cluster without the cluster certificate.");
        return;
      }
    }
    ctx.next();
  }

  /**
   * Addresses other members send to: wsmsg.peer.<id>, wsmsg.peers.all, wsmsg.registry.<id>.
   * Local traffic (wsmsg.gateway.deliver, wsmsg.registry) is left alone: no header per delivery.
   */
  static boolean peerAddress(String a) {
    return a.startsWith("wsmsg.peer") || a.startsWith("wsmsg.registry.");
  }

  private void onProof(Message<String> msg) {
    String from = msg.headers().get(FROM);
    if (from == null || msg.headers().contains(BACK) || proven.contains(from) || from.equals(self)) {
      msg.reply(self);
      return;
    }
    // reach the asker back before answering: when its proof of this member completes, this
    // member holds the proof of the asker too, and takes its messages from the first one
    request(from, true).onComplete(ar -> {
      if (ar.succeeded()) markProven(from);
      else lastFailure.put(from, ar.cause().getMessage());
      msg.reply(self);
    });
  }

  private Future<Void> request(String member, boolean back) {
    DeliveryOptions o = new DeliveryOptions().setSendTimeout(back ? 2000 : 4000).addHeader(FROM, self);
    if (back) o.addHeader(BACK, "1");
    return vertx.eventBus().<String>request(PROOF + member, "prove", o).compose(r -> member.equals(r.body())
        ? Future.succeededFuture()
        : Future.failedFuture("answered as " + r.body() + " instead of " + member));
  }

  private void prove(String id) {
    if (proven.contains(id) || !proving.add(id)) return;
    lastAttempt.put(id, System.currentTimeMillis());
    request(id, false).onComplete(ar -> {
      proving.remove(id);
      if (ar.succeeded()) markProven(id);
      else lastFailure.put(id, String.valueOf(ar.cause().getMessage()));
    });
  }

  private void markProven(String id) {
    if (!proven.add(id)) return;
    lastFailure.remove(id);
    if (inHazelcast(id)) announce(id);
  }

  private void announce(String id) {
    if (announced.add(id)) listeners.forEach(l -> l.joined(id));
  }

  private boolean inHazelcast(String id) {
    for (Member m : hz.getCluster().getMembers()) {
      if (id.equals(m.getAttribute(NODE_ID))) return true;
    }
    return false;
  }

  /** Retries proofs and tells operators about members that stay unproven. */
  private void sweep() {
    if (!hz.getLifecycleService().isRunning()) return;
    long now = System.currentTimeMillis();
    for (Member m : hz.getCluster().getMembers()) {
      String id = m.getAttribute(NODE_ID);
      if (id != null && id.equals(self)) continue;
      if (id != null && proven.contains(id)) {
        announce(id);
        continue;
      }
      String key = id != null ? id : "hazelcast " + m.getAddress();
      long since = firstSeen.computeIfAbsent(key, k -> now);
      // quickly at first (a joiner's handlers take a moment to be known), then every 5 s: each
      // attempt at a member without the certificate is one more refused handshake in both logs
      boolean longUnproven = now - since >= UNPROVEN_WARN_MILLIS;
      if (id != null && (!longUnproven || now - lastAttempt.getOrDefault(id, 0L) >= 5000)) prove(id);
      if (now - since >= UNPROVEN_WARN_MILLIS) {
        unprovenLog.log("cluster member " + key + " at " + m.getAddress() + " has been in the Hazelcast member list for "
            + (now - since) / 1000 + " s without proving membership over the event bus (" + reason(key)
            + "): it gets no messages and owns no endpoint. A process that joins Hazelcast without the cluster"
            + " certificate looks like this: find it, and firewall the Hazelcast port to the members' subnet.");
      }
    }
  }

  private String reason(String key) {
    String r = lastFailure.get(key);
    if (r == null) return "no answer yet";
    if (r.startsWith("Timed out")) {
      // a refused TLS handshake reaches us as silence: Vert.x logs it as "Connecting to server <id> failed"
      return "no answer over the event bus within 4 s; a refused TLS handshake (no certificate from the cluster CA)"
          + " looks like this, with \"Connecting to server " + key + " failed\" logged beside it";
    }
    return r;
  }

  @Override
  public String self() {
    return self;
  }

  @Override
  public List<String> members() {
    List<String> out = new ArrayList<>();
    if (!hz.getLifecycleService().isRunning()) return List.of(self);
    for (Member m : hz.getCluster().getMembers()) {
      String id = m.getAttribute(NODE_ID);
      if (id != null && (id.equals(self) || proven.contains(id))) out.add(id);
    }
    if (!out.contains(self)) out.add(self);
    return out;
  }

  @Override
  public int instancesOf(String member) {
    Integer known = instances.get(member);
    if (known != null) return known;
    if (hz.getLifecycleService().isRunning()) {
      for (Member m : hz.getCluster().getMembers()) {
        if (member.equals(m.getAttribute(NODE_ID))) {
          int n = instanceCount(m);
          instances.put(member, n);
          return n;
        }
      }
    }
    return 1;
  }

  private static int instanceCount(Member m) {
    String v = m.getAttribute(INSTANCES);
    if (v == null) return 1; // a member of an older version: one gateway
    try {
      int n = Integer.parseInt(v);
      return n >= 1 && n <= MAX_INSTANCES ? n : 1;
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  @Override
  public boolean proven(String member) {
    return member.equals(self) || proven.contains(member);
  }

  @Override
  public Map<String, String> unproven() {
    Map<String, String> out = new LinkedHashMap<>();
    if (!hz.getLifecycleService().isRunning()) return out;
    long now = System.currentTimeMillis();
    for (Member m : hz.getCluster().getMembers()) {
      String id = m.getAttribute(NODE_ID);
      if (id != null && (id.equals(self) || proven.contains(id))) continue;
      String key = id != null ? id : "hazelcast " + m.getAddress();
      Long since = firstSeen.get(key);
      if (since != null && now - since >= UNPROVEN_WARN_MILLIS) out.put(key, m.getAddress() + ": " + reason(key));
    }
    return out;
  }

  @Override
  public long refusedPeerMessages() {
    return refused.get();
  }

  @Override
  public Future<Void> ready() {
    Promise<Void> p = Promise.promise();
    long deadline = System.currentTimeMillis() + READY_MAX_MILLIS;
    checkReady(p, deadline);
    return p.future();
  }

  private void checkReady(Promise<Void> p, long deadline) {
    boolean all = true;
    for (Member m : hz.getCluster().getMembers()) {
      String id = m.getAttribute(NODE_ID);
      if (id == null || !proven(id)) {
        all = false;
        if (id != null) prove(id);
      }
    }
    if (all) {
      p.complete();
    } else if (System.currentTimeMillis() >= deadline) {
      LOG.warning("starting without proof from every Hazelcast member after " + READY_MAX_MILLIS / 1000 + " s: "
          + "the unproven ones get nothing and own nothing until they prove membership");
      p.complete();
    } else {
      vertx.setTimer(100, t -> checkReady(p, deadline));
    }
  }

  @Override
  public boolean clustered() {
    return true;
  }

  @Override
  public void listen(Listener listener) {
    listeners.add(listener);
  }

  /** The membership of {@code vertx}: Hazelcast's when clustered, else this member alone. */
  static Membership of(Vertx vertx, String standaloneId) {
    return vertx.isClustered() ? new HazelcastMembership(vertx) : Membership.standalone(standaloneId);
  }
}
