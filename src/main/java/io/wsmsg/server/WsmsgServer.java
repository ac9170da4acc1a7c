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
import io.wsmsg.config.ServerConfig;
import io.wsmsg.gateway.GatewayVerticle;
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
  private GatewayVerticle gateway;
  private String devToken;

  private WsmsgServer(Vertx vertx, ServerConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.registry = new Registry(config);
    this.routers = new ChannelRouters(vertx, registry, counters);
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
    }
    WsmsgServer s = new WsmsgServer(vertx, config);
    if (devSecret != null) {
      JsonObject claim = new JsonObject().put("admin", true);
      s.devToken = new TokenSigner(vertx, devSecret).sign("dev", claim, config.devTokenTtlSeconds);
    }
    return s.deploy().map(s);
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
    gateway = new GatewayVerticle(config, registry, routers, auth, events, counters, () -> stop());
    return vertx.deployVerticle(new RegistryVerticle(registry, config, events))
        .compose(id -> {
          deployments.add(id);
          return vertx.deployVerticle(gateway);
        })
        .map(id -> {
          deployments.add(id);
          return null;
        });
  }

  private void publishEvent(String subject, List<Object> args, byte[] reference) {
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

  public ServerConfig config() {
    return config;
  }

  public Counters counters() {
    return counters;
  }

  public Registry registry() {
    return registry;
  }

  public GatewayVerticle gateway() {
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
   * refused, after the grace period routers have drained into endpoint queues, then every
   * connection closes with 1001. Idempotent.
   */
  public Future<Void> stop() {
    if (!stopping.compareAndSet(false, true)) return stopped.future();
    LOG.info("stopping: telling nodes, refusing new messages, draining routers for " + config.stopGraceMillis + " ms");
    gateway.beginStop()
        .compose(v -> delay(config.stopGraceMillis))
        .compose(v -> awaitRoutersDrained(50))
        .compose(v -> gateway.closeAll())
        .compose(v -> undeployAll())
        .onComplete(ar -> {
          LOG.info("stopped");
          stopped.tryComplete();
        });
    return stopped.future();
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
        .onComplete(ar -> stopped.tryComplete());
  }
}
