package io.wsmsg.gateway;

import io.vertx.core.Future;
import io.wsmsg.protocol.Frame;
import io.wsmsg.router.Delivery;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A standalone node running several gateway instances (gateway.instances), each on its own event
 * loop: this member owns every endpoint, and within it each endpoint's queue belongs to one
 * instance, fixed by its name ({@link Delivery#instanceOf}). A node attached to another instance
 * is served from the owning instance exactly as a node of another member is served in a cluster
 * (a {@link RemoteNode} there, {@link ServedElsewhere} here: window, acks, round robin and fair
 * shares as for the owner's own nodes), only in-process: frames and acks pass between the two
 * event loops by reference, never copied or serialized. With one instance this is
 * {@link StandaloneOwnership}.
 */
public final class SiblingOwnership implements Ownership {
  /** What a standalone member does as a whole (stop, snapshot, status), for this instance. */
  private final StandaloneOwnership member;
  /** Every instance's ownership, by instance number; this one at {@link #index}. */
  private final SiblingOwnership[] siblings;
  private final int index;
  /** Owner keys for {@link ServedElsewhere}: the instance number as text. */
  private final String key;
  private GatewayVerticle gateway;
  private ServedElsewhere elsewhere;
  /**
   * Nodes attached to one instance whose endpoint another holds, by endpoint, shared by all:
   * the owning instance counts them as in use before they reach it (endpoint lifecycle).
   */
  private final java.util.concurrent.ConcurrentHashMap<String, Integer> atSiblings;
  /** Nodes of sibling instances served from endpoints this instance owns, by node id. */
  private final Map<String, RemoteNode> served = new HashMap<>();

  private SiblingOwnership(String self, Runnable onStop, SiblingOwnership[] siblings, int index,
      java.util.concurrent.ConcurrentHashMap<String, Integer> atSiblings) {
    this.atSiblings = atSiblings;
    this.member = new StandaloneOwnership(self, onStop);
    this.siblings = siblings;
    this.index = index;
    this.key = Integer.toString(index);
  }

  /** One ownership per instance, knowing each other; {@code onStop} stops the whole node (the stop command). */
  public static SiblingOwnership[] of(String self, int instances, Runnable onStop) {
    SiblingOwnership[] all = new SiblingOwnership[instances];
    java.util.concurrent.ConcurrentHashMap<String, Integer> atSiblings = new java.util.concurrent.ConcurrentHashMap<>();
    for (int i = 0; i < instances; i++) all[i] = new SiblingOwnership(self, onStop, all, i, atSiblings);
    return all;
  }

  @Override
  public void bind(OwnershipHost host) {
    this.gateway = (GatewayVerticle) host;
    member.bind(host);
    this.elsewhere = new ServedElsewhere(host, new ToSibling());
  }

  @Override
  public Future<Void> start() {
    return member.start();
  }

  @Override
  public void close() {
    member.close();
  }

  @Override
  public String self() {
    return member.self();
  }

  @Override
  public String ownerOf(String endpoint) {
    return member.ownerOf(endpoint);
  }

  @Override
  public String claim(String endpoint) {
    return member.claim(endpoint);
  }

  private boolean mine(String endpoint) {
    return Delivery.instanceOf(endpoint, siblings.length) == index;
  }

  @Override
  public void deliverElsewhere(Frame frame, String endpoint, int priority) {
    gateway.enqueue(endpoint, frame, priority); // never called: the member owns every endpoint (claim)
  }

  // ---- the instance a node is attached to ----

  @Override
  public void attach(AttachedNode node) {
    String endpoint = node.endpointName();
    if (mine(endpoint)) {
      gateway.serveHere(node);
      return;
    }
    SiblingOwnership owner = siblings[Delivery.instanceOf(endpoint, siblings.length)];
    atSiblings.merge(endpoint, 1, Integer::sum);
    elsewhere.serveFrom(node, owner.key);
    boolean paused = node.paused() || gateway.stopping();
    IdentityLoad load = ((Session) node).countedByOwner();
    owner.gateway.loop().runOnContext(v -> owner.serve(node, this, paused, load));
  }

  @Override
  public void roomFreed(AttachedNode node) {
    elsewhere.roomFreed(node);
  }

  @Override
  public void acked(AttachedNode node, byte[] uid) {
    elsewhere.acked(node, uid);
  }

  @Override
  public void pausedChanged(AttachedNode node) {
    elsewhere.pausedChanged(node);
  }

  @Override
  public void drained(AttachedNode node) {
    elsewhere.drained(node);
  }

  @Override
  public void detach(AttachedNode node) {
    // uncounted first: the owner, told next, may find the endpoint unused at once
    if (!mine(node.endpointName())) atSiblings.computeIfPresent(node.endpointName(), (k, n) -> n > 1 ? n - 1 : null);
    elsewhere.detach(node);
  }

  @Override
  public boolean nodesAtSiblings(String endpoint) {
    return atSiblings.containsKey(endpoint);
  }

  @Override
  public void forget(AttachedNode node) {
    elsewhere.forget(node);
  }

  @Override
  public String servingMember(AttachedNode node) {
    return null; // served by this member, whichever instance holds the queue
  }

  @Override
  public void stopTakingDeliveries() {
    elsewhere.stopTakingDeliveries();
  }

  /** What the node says goes to the owning instance's event loop, by reference. */
  private final class ToSibling implements ServedElsewhere.ToOwner {
    private SiblingOwnership owner(String key) {
      return siblings[Integer.parseInt(key)];
    }

    @Override
    public void ack(AttachedNode s, String owner, byte[] uid) {
      SiblingOwnership o = owner(owner);
      String node = s.nodeId();
      o.gateway.loop().runOnContext(v -> {
        RemoteNode n = o.served.get(node);
        if (n != null) n.ack(uid);
      });
    }

    @Override
    public void flow(AttachedNode s, String owner, boolean paused, boolean congested) {
      SiblingOwnership o = owner(owner);
      String node = s.nodeId();
      o.gateway.loop().runOnContext(v -> {
        RemoteNode n = o.served.get(node);
        if (n == null) return;
        n.flow(paused, congested);
        n.dispatch();
      });
    }

    @Override
    public void giveBack(AttachedNode s, String owner, List<Frame> frames) {
      SiblingOwnership o = owner(owner);
      String node = s.nodeId();
      List<byte[]> uids = new ArrayList<>(frames.size());
      for (Frame f : frames) uids.add(f.uid());
      o.gateway.loop().runOnContext(v -> {
        RemoteNode n = o.served.get(node);
        if (n != null) n.giveBack(uids);
      });
    }

    @Override
    public void detach(AttachedNode s, String owner) {
      SiblingOwnership o = owner(owner);
      String node = s.nodeId();
      o.gateway.loop().runOnContext(v -> {
        RemoteNode n = o.served.remove(node);
        if (n != null) n.release();
      });
    }
  }

  // ---- the instance owning the endpoint (its event loop) ----

  /** Serves a node attached to instance {@code from} from the endpoint here. */
  private void serve(AttachedNode node, SiblingOwnership from, boolean paused, IdentityLoad load) {
    // the node's own window: no prefetch as between members, the hop between loops is short,
    // and queue depths, ack timeouts and in-flight bytes then read as for the owner's own nodes
    RemoteNode n = gateway.serveSibling(node.endpointName(), node.nodeId(), node.window(),
        (rn, frame) -> from.gateway.loop().runOnContext(v -> from.elsewhere.deliverFromOwner(node, frame)), load);
    n.flow(paused, false);
    served.put(node.nodeId(), n);
    n.dispatch();
  }

  @Override
  public void expireAcks(long now) {
    if (served.isEmpty()) return;
    for (RemoteNode n : new ArrayList<>(served.values())) n.expireAcks(now);
  }

  // ---- the member as a whole: a standalone node ----

  @Override
  public Predicate<String> reclaimer() {
    return this::mine; // each instance reclaims the endpoints whose queues it holds
  }

  @Override
  public void release(String endpoint) {
    member.release(endpoint);
  }

  @Override
  public void stopAll(String why, byte[] cause) {
    // every instance's stopping notice references the stop command, not only this one's
    for (SiblingOwnership s : siblings) s.gateway.stopCause(cause);
    member.stopAll(why, cause);
  }

  @Override
  public boolean hasPeers() {
    return member.hasPeers();
  }

  @Override
  public Future<HandOff> handOffAll() {
    return member.handOffAll();
  }

  @Override
  public Future<Void> announceLeaving() {
    return member.announceLeaving();
  }

  @Override
  public void status(Map<String, Object> into, int ownedEndpoints) {
    member.status(into, ownedEndpoints);
    into.put("siblingNodesServed", served.size());
  }
}
