package io.wsmsg.server;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.Authenticator;
import io.wsmsg.auth.DevSecret;
import io.wsmsg.auth.JwtAuthenticator;
import io.wsmsg.auth.NoAuthenticator;
import io.wsmsg.auth.TokenSigner;
import io.wsmsg.cluster.Claims;
import io.wsmsg.cluster.ClusteredOwnership;
import io.wsmsg.cluster.ClusterOutbound;
import io.wsmsg.cluster.Membership;
import io.wsmsg.cluster.RegistryReplication;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.gateway.Gateways;
import io.wsmsg.gateway.SiblingOwnership;
import java.util.function.IntFunction;
import io.wsmsg.gateway.Ownership;
import io.wsmsg.gateway.StandaloneOwnership;
import io.wsmsg.management.ManagementVerticle;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.registry.EventSink;
import io.wsmsg.registry.Registry;
import io.wsmsg.registry.RegistryCommand;
import io.wsmsg.registry.RegistryReply;
import io.wsmsg.registry.RegistryVerticle;
import io.wsmsg.router.ChannelRouters;
import io.wsmsg.router.Delivery;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.wsmsg.gateway.HandOff;
import io.wsmsg.gateway.Queued;
import io.wsmsg.persistence.SnapshotLimits;
import io.wsmsg.persistence.SnapshotWriter;
import io.wsmsg.persistence.StateStore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * One wsmsg node: wires the registry, the channel routers and the gateway together on a
 * Vert.x instance and runs the graceful stop. Tests start it on port 0; {@code wsmsg server}
 * starts it from a configuration file.
 */
public final class WsmsgServer {
  private static final Logger LOG = Logger.getLogger(WsmsgServer.class.getName());

  private final Vertx vertx;
  private final ServerConfig config;
  private final Counters counters = new Counters();
  private final Registry registry;
  private final ChannelRouters routers;
  private final List<String> deployments = new ArrayList<>();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final Promise<Void> stopped = Promise.promise();
  private Gateways gateway;
  private ManagementVerticle management;
  private final String nodeId = Ulids.nextText();
  private String devToken;
  /** Who else is in the cluster (only this member when standalone). */
  private final Membership membership;
  /** Which member owns each endpoint, shared by the routers and the gateway. */
  private final Claims claims = new Claims();
  /** Held while running: no second server writes its snapshot into this data directory. */
  private volatile DataDirLock dataLock;
  /** The periodic "dropped N messages" line (see {@link DropSummary}). */
  private DropSummary drops;
  /** What the routers sent each member and it has not confirmed (clustered only). */
  private io.wsmsg.cluster.PeerBudgets peerBudgets;
  private long dropTimer = -1;
  /** The certificate of wss:// and https:// and its reload; null when TLS is off. */
  private volatile io.wsmsg.tls.CertificateReloader tls;
  /** How often dropped messages are summed up in the log. */
  static final long DROP_SUMMARY_MILLIS = 60_000;

  private WsmsgServer(Vertx vertx, ServerConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.registry = new Registry(config);
    this.routers = new ChannelRouters(vertx, registry, counters, new io.wsmsg.metrics.MemoryBudget(messageMemory(config)));
    routers.idleMillis(config.channelIdleMillis);
    this.membership = Membership.of(vertx, nodeId);
    if (membership.clustered()) {
      // a confirmation from a member may take until it is declared dead, and a little more
      long confirm = config.clusterFailureDetectionSeconds * 1000L + 5000;
      peerBudgets = new io.wsmsg.cluster.PeerBudgets(config.clusterPeerBudgetBytes, confirm, counters);
      routers.outbound(new ClusterOutbound(claims, membership.self(), peerBudgets, config.gatewayInstances,
          routers.budget()));
    } else if (config.gatewayInstances > 1) {
      routers.outbound(new io.wsmsg.router.LocalGateways(config.gatewayInstances, routers.budget()));
    }
  }

  /**
   * The message memory budget: limits.maxQueuedMiB, but at most a quarter of the JVM heap.
   * Frames of half a heap region or more (512 KiB with a 1 GiB heap) each take whole G1
   * regions, so a budget near the heap let a flood of large messages end in OutOfMemoryError
   * (measured: 512 MiB of 512 KiB frames with -Xmx1g). A quarter leaves room for that and for
   * the copies a frame makes on its way in.
   */
  static long messageMemory(ServerConfig config) {
    long quarter = Runtime.getRuntime().maxMemory() / 4;
    if (config.maxQueuedBytes <= quarter) return config.maxQueuedBytes;
    LOG.warning("limits.maxQueuedMiB is " + (config.maxQueuedBytes >> 20) + " MiB but the JVM heap is "
        + (Runtime.getRuntime().maxMemory() >> 20) + " MiB: holding messages to " + (quarter >> 20)
        + " MiB (a quarter of the heap) so a flood of large messages cannot exhaust it; raise -Xmx to use more");
    return quarter;
  }

  /** Starts a node; the future completes once it listens. */
  public static Future<WsmsgServer> start(Vertx vertx, ServerConfig config) {
    registerCodecs(vertx.eventBus());
    String devSecret = null;
    if ("jwt".equals(config.authMode) && config.hs256Secret == null && config.publicKeys.isEmpty()) {
      devSecret = DevSecret.random();
      JsonObject j = config.json.copy();
      j.getJsonObject("auth").put("hs256Secret", devSecret);
      config = ServerConfig.of(j);
      if (vertx.isClustered()) {
        LOG.warning("this cluster member has no JWT key configured, so it made its own secret: tokens it prints are"
            + " refused by the other members and theirs by it. Give every member the same auth.hs256Secret"
            + " (WSMSG_JWT_SECRET) or auth.publicKeys.");
      }
    }
    WsmsgServer s = new WsmsgServer(vertx, config);
    if (devSecret != null) {
      JsonObject claim = io.wsmsg.auth.Permissions.ALL.toJson(); // a claim is complete: name every key
      s.devToken = new TokenSigner(vertx, devSecret).sign("dev", claim, config.devTokenTtlSeconds);
    }
    return s.deploy().map(s).recover(e -> s.abandon().transform(v -> Future.failedFuture(e)));
  }

  /** A start that failed half way: what was deployed goes, the data directory is free again. */
  private Future<Void> abandon() {
    stopping.set(true);
    List<Future<Void>> all = new ArrayList<>();
    for (String id : deployments) all.add(vertx.undeploy(id).recover(e -> Future.succeededFuture()));
    return Future.join(all).<Void>mapEmpty().onComplete(v -> {
      releaseDataDir();
      closeTls();
    });
  }

  private void closeTls() {
    io.wsmsg.tls.CertificateReloader t = tls;
    tls = null;
    if (t != null) t.close();
  }

  private void releaseDataDir() {
    DataDirLock l = dataLock;
    dataLock = null;
    if (l != null) l.close();
  }

  private Future<Void> deploy() {
    Authenticator auth;
    if ("none".equals(config.authMode)) {
      LOG.warning("auth.mode is \"none\": every connection is accepted without a token and gets the default"
          + " permissions. Use this for development or trusted networks only.");
      auth = NoAuthenticator.create(config);
    } else {
      auth = JwtAuthenticator.create(vertx, config);
    }
    EventSink events = this::publishEvent;
    int instances = config.gatewayInstances;
    IntFunction<Ownership> ownership;
    ClusteredOwnership[] clustered = null;
    if (membership.clustered()) {
      // every gateway instance owns endpoints of its own in the cluster (see InstanceMembership)
      clustered = ClusteredOwnership.of(membership, instances, claims, peerBudgets, this::stopPersisting);
      ClusteredOwnership[] owners = clustered;
      ownership = i -> owners[i];
    } else if (instances == 1) {
      ownership = i -> new StandaloneOwnership(membership.self(), this::stopPersisting);
    } else {
      SiblingOwnership[] siblings = SiblingOwnership.of(membership.self(), instances, this::stopPersisting);
      ownership = i -> siblings[i];
    }
    gateway = new Gateways(instances, config, registry, routers, auth, events, counters, ownership);
    if (clustered != null) clustered[0].viewFrom(gateway::memberView); // other members ask instance 0
    return vertx.<Void>executeBlocking(() -> {
          dataLock = DataDirLock.acquire(config.dataDir);
          restore();
          io.wsmsg.tls.TlsSettings ts = io.wsmsg.tls.TlsSettings.of(config);
          if (ts.enabled()) {
            tls = io.wsmsg.tls.CertificateReloader.start(vertx, ts);
            gateway.tls(tls);
          }
          return null;
        })
        // the registry dumps to and takes replicas from proven members only: wait (bounded) for the proofs
        .compose(v -> membership.ready())
        .compose(v -> vertx.deployVerticle(new RegistryVerticle(registry, config, events,
            RegistryReplication.of(membership, config, counters)).reclaimChannels(routers::hasRouter, stopping::get)))
        .compose(id -> {
          deployments.add(id);
          return gateway.deploy(vertx).recover(e -> bindFailure(e, config.host, config.port, "port",
              "--port or WSMSG_PORT"));
        })
        .compose(ids -> {
          deployments.addAll(ids);
          if (!config.managementEnabled) return Future.succeededFuture();
          management = new ManagementVerticle(config, counters, registry, routers, gateway, stopping::get, nodeId,
              auth);
          if (tls != null && tls.settings().managementEnabled()) management.tls(tls);
          return vertx.deployVerticle(management).recover(e -> bindFailure(e, config.managementHost,
              config.managementPort, "management.port", "--management-port or WSMSG_MANAGEMENT_PORT")).map(mid -> {
            deployments.add(mid);
            return null;
          });
        })
        .map(v -> {
          drops = new DropSummary(counters, System.currentTimeMillis());
          dropTimer = vertx.setPeriodic(DROP_SUMMARY_MILLIS, t -> logDrops());
          LOG.info("node " + nodeId + " started: WebSocket port " + gateway.actualPort()
              + (gateway.count() > 1 ? " (" + gateway.count() + " gateway instances)" : "")
              + (management != null ? ", management port " + management.actualPort() : "")
              + (membership.clustered() ? ", cluster member " + membership.self() + " of "
                  + membership.members().size() : ""));
          return null;
        });
  }

  /** A bind failure as the operator's sentence ({@link StartupException#bind}); anything else as it was. */
  private static <T> Future<T> bindFailure(Throwable e, String host, int port, String setting, String change) {
    StartupException clear = StartupException.bind(e, host, port, setting, change);
    return Future.failedFuture(clear != null ? clear : e);
  }

  /** Logs the messages dropped since the last summary, if any. */
  private void logDrops() {
    DropSummary d = drops;
    if (d == null) return;
    String line = d.next(System.currentTimeMillis());
    if (line != null) LOG.log(d.lost() ? java.util.logging.Level.WARNING : java.util.logging.Level.INFO, line);
  }

  private void stopDropSummary() {
    if (dropTimer >= 0) vertx.cancelTimer(dropTimer);
    dropTimer = -1;
    logDrops();
  }

  /**
   * Loads the snapshot of the last clean stop, if any, before anything is deployed (see
   * {@link SnapshotRestore}). A snapshot refused for any reason restores nothing: the server
   * starts empty and {@link StateStore} says why.
   */
  private void restore() {
    SnapshotRestore sink = new SnapshotRestore(config, registry, gateway);
    new StateStore(config.dataDir).loadIfPresent(SnapshotLimits.of(config), sink);
    if (sink.expired > 0) {
      counters.drop(Counters.Drop.TTL, sink.expired);
      LOG.info(sink.expired + " queued messages in the snapshot had outlived the TTL and were dropped");
    }
  }

  /** Writes the whole state to the data directory (blocking: runs on a worker thread). */
  private void writeSnapshot(Map<String, List<Queued>> queues) throws java.io.IOException {
    long started = System.nanoTime();
    StateStore store = new StateStore(config.dataDir);
    long messages = 0;
    try (SnapshotWriter w = new SnapshotWriter(store.snapshotFile())) {
      registry.channels().forEach((n, c) -> w.channel(n, c.size(), c.priority(), registry.sizeStamp(n),
          registry.priorityStamp(n)));
      registry.endpoints().forEach((name, size) -> {
        w.endpoint(name, size);
        if (registry.isEphemeral(name)) w.ephemeralEndpoint(name);
      });
      registry.subscriptions().all().forEach((ep, subs) -> subs.forEach(
          sub -> w.subscription(ep, sub.channel().pattern(), sub.subject().pattern(), registry.subscriptionStamp(sub))));
      // removals are remembered across a restart: a stale copy on another member must still lose
      registry.tombstones().forEach((k, st) -> w.tombstone(k.endpoint(), k.channel(), k.subject(), st));
      registry.messageSubscriptions().copy().forEach(
          (uid, m) -> m.forEach((ep, exp) -> w.messageSubscription(ep, uid.bytes(), exp)));
      for (Map.Entry<String, List<Queued>> e : queues.entrySet()) {
        for (Queued q : e.getValue()) w.queued(e.getKey(), q.priority(), q.enqueuedAt(), q.frame());
        messages += e.getValue().size();
      }
      w.commit();
    }
    LOG.info("state written to " + store.snapshotFile() + ": " + messages + " queued messages, "
        + registry.subscriptions().size() + " subscriptions, in " + (System.nanoTime() - started) / 1_000_000 + " ms");
  }

  private void publishEvent(String subject, List<Object> args, byte[] reference) {
    // an event nobody would receive is not built or queued: connection churn (node.joined,
    // node.left) must not fill the system channel, which every other channel waits for
    if (registry.route(Registry.SYSTEM, subject, reference, System.currentTimeMillis()).length == 0) return;
    Frame f = FrameCodec.encode(Ulids.next(), Registry.SYSTEM, subject, reference, MsgPack.pack(args), WireOrder.SEED);
    routers.submit(f);
  }

  private static void registerCodecs(EventBus eb) {
    List<Class<?>> types = new ArrayList<>(List.of(Frame.class, Delivery.class, RegistryReply.class));
    for (Class<?> c : RegistryCommand.class.getPermittedSubclasses()) types.add(c);
    for (Class<?> c : types) {
      try {
        register(eb, c);
      } catch (IllegalStateException alreadyRegistered) {
        // several nodes on one Vert.x instance (tests) share the codecs
      }
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void register(EventBus eb, Class c) {
    eb.registerDefaultCodec(c, new LocalCodec(c));
  }

  public int port() {
    return gateway.actualPort();
  }

  /** True when the WebSocket port speaks TLS (wss://). */
  public boolean tls() {
    return io.wsmsg.tls.TlsSettings.of(config).enabled();
  }

  /** True when the management port speaks TLS (https://). */
  public boolean managementTls() {
    io.wsmsg.tls.CertificateReloader t = tls;
    return management != null && t != null && t.settings().managementEnabled();
  }

  /** The certificate reload (tests and the banner), or null when TLS is off. */
  public io.wsmsg.tls.CertificateReloader certificates() {
    return tls;
  }

  /** The management port actually bound, or -1 when it is disabled. */
  public int managementPort() {
    return management == null ? -1 : management.actualPort();
  }

  public String nodeId() {
    return nodeId;
  }

  public ServerConfig config() {
    return config;
  }

  public Counters counters() {
    return counters;
  }

  /** The node's message memory (limits.maxQueuedMiB): channel queues, endpoint queues, in-flight. */
  public io.wsmsg.metrics.MemoryBudget memory() {
    return routers.budget();
  }

  /** The channel routers (status and tests). */
  public ChannelRouters routers() {
    return routers;
  }

  public Registry registry() {
    return registry;
  }

  public Gateways gateway() {
    return gateway;
  }

  /** A ready-to-use admin token when no JWT key was configured (else null). */
  public String devToken() {
    return devToken;
  }

  /** Completes when a graceful stop has finished (after a stop command or signal). */
  public Future<Void> stopped() {
    return stopped.future();
  }

  /**
   * The graceful stop of SPEC section 7: every node gets {@code stopping}, publishes are
   * refused, after the grace period routers have drained into endpoint queues, the state is
   * written to the data directory, then every connection closes with 1001. Idempotent. The
   * future fails when the state could not be written.
   */
  public Future<Void> stop() {
    return stop(false);
  }

  /**
   * The stop command: like {@link #stop()}, but a cluster member keeps its endpoints' queues
   * in its own snapshot instead of handing them over (every member is stopping).
   */
  public Future<Void> stopPersisting() {
    return stop(true);
  }

  private Future<Void> stop(boolean persistOnly) {
    if (!stopping.compareAndSet(false, true)) return stopped.future();
    boolean handOver = !persistOnly && gateway.hasPeers();
    LOG.info("stopping: telling nodes, refusing new messages, draining routers for " + config.stopGraceMillis + " ms"
        + (handOver ? "; then handing endpoints over to the other members" : ""));
    gateway.beginStop()
        .compose(v -> delay(config.stopGraceMillis))
        .compose(v -> awaitRoutersDrained(50))
        .compose(v -> {
          int left = routers.totalDepth();
          if (left > 0) LOG.warning(left + " messages were still in channel queues when the state was written; they are not kept");
          return handOver ? gateway.handOffAll() : gateway.freezeAndCapture().map(q -> new HandOff(q, false));
        })
        .compose(h -> vertx.<Void>executeBlocking(() -> {
          // handed over in full: the other members hold the registry and the queues now
          if (!h.complete()) writeSnapshot(h.left());
          else LOG.info("every endpoint was handed over to the other members; no snapshot written");
          return null;
        }))
        .onFailure(e -> LOG.severe("the state could not be written to " + config.dataDir + ": " + e.getMessage()
            + "; queued messages are lost"))
        // last before closing: the others settle what they sent here instead of sending it again
        .transform(written -> gateway.announceLeaving().transform(v -> gateway.closeAll()).transform(v -> undeployAll())
            .transform(v -> {
          stopDropSummary();
          releaseDataDir();
          closeTls();
          LOG.info("stopped");
          if (written.succeeded()) stopped.tryComplete();
          else stopped.tryFail(written.cause());
          return Future.<Void>succeededFuture();
        }));
    return stopped.future();
  }

  public Membership membership() {
    return membership;
  }

  private Future<Void> awaitRoutersDrained(int triesLeft) {
    if (routers.totalDepth() == 0 || triesLeft == 0) return Future.succeededFuture();
    return delay(20).compose(v -> awaitRoutersDrained(triesLeft - 1));
  }

  private Future<Void> delay(long ms) {
    Promise<Void> p = Promise.promise();
    vertx.setTimer(Math.max(1, ms), id -> p.complete());
    return p.future();
  }

  private Future<Void> undeployAll() {
    List<Future<Void>> all = new ArrayList<>();
    for (String id : vertx.deploymentIDs()) all.add(vertx.undeploy(id).recover(e -> Future.succeededFuture()));
    return Future.join(all).mapEmpty();
  }

  /** Closes at once, without the graceful path (tests). */
  public Future<Void> close() {
    stopping.set(true);
    return gateway.closeAll().recover(e -> Future.succeededFuture()).compose(v -> undeployAll())
        .onComplete(ar -> {
          stopDropSummary();
          releaseDataDir();
          closeTls();
          stopped.tryComplete();
        });
  }
}
