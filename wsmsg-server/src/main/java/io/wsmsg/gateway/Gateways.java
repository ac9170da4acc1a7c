package io.wsmsg.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.Authenticator;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.metrics.Counters;
import io.wsmsg.registry.EventSink;
import io.wsmsg.registry.Registry;
import io.wsmsg.router.ChannelRouters;
import io.wsmsg.router.Delivery;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The gateway of a node: one {@link GatewayVerticle} per instance (gateway.instances), each on
 * its own event loop and all listening on the same port (Vert.x hands each new connection to
 * one of them in turn). Endpoint queues are spread over the instances by name; the rest of
 * the server (management, snapshots, the stop) sees one gateway through this class, which asks
 * every instance on its own loop and adds the answers up.
 */
public final class Gateways {
  private final List<GatewayVerticle> instances = new ArrayList<>();

  /** {@code ownership}: the ownership of instance {@code i}. */
  public Gateways(int count, ServerConfig config, Registry registry, ChannelRouters routers, Authenticator auth,
      EventSink events, Counters counters, IntFunction<Ownership> ownership) {
    for (int i = 0; i < count; i++) {
      GatewayVerticle g = new GatewayVerticle(config, registry, routers, auth, events, counters, ownership.apply(i));
      g.instance = i;
      g.endpoints.instance = i;
      instances.add(g);
    }
  }

  public int count() {
    return instances.size();
  }

  /** Serve wss:// with this certificate on every instance (before deploying). */
  public void tls(io.wsmsg.tls.CertificateReloader tls) {
    for (GatewayVerticle g : instances) g.tls(tls);
  }

  /**
   * Deploys the instances together, all on the configured port, which Vert.x binds
   * once and shares. Port 0 (any free port) is not shared by Vert.x, a negative one is: the
   * instances then ask for port -1 and share the one free port it binds. Completes with the
   * deployment ids.
   */
  public Future<List<String>> deploy(Vertx vertx) {
    if (instances.size() > 1) {
      GatewayVerticle first = instances.get(0);
      Admission shared = new Admission(vertx, first.config, first.counters, first.log);
      for (GatewayVerticle g : instances) {
        g.siblings = instances.stream().filter(o -> o != g).toList();
        g.admission = shared;
        g.endpoints.loads = first.endpoints.loads; // an identity's in-flight share is the node's
        if (first.config.port == 0) g.listenPort = -1;
      }
    }
    // all at once: in a cluster each instance's start asks the other members' instances for their
    // claims, and those answer only once this member's instances are reachable too
    List<Future<String>> deployed = new ArrayList<>();
    for (GatewayVerticle g : instances) {
      g.deferListen = instances.size() > 1;
      deployed.add(vertx.deployVerticle(g));
    }
    List<String> ids = new ArrayList<>();
    Future<Void> chain = Future.all(deployed).map(cf -> {
      for (Future<String> f : deployed) ids.add(f.result());
      return null;
    });
    if (instances.size() == 1) return chain.map(v -> ids);
    // every instance's delivery consumer is registered now: only then does any of them listen
    for (GatewayVerticle g : instances) chain = chain.compose(v -> g.listen());
    return chain.map(v -> ids);
  }

  /** The port actually bound (useful with port 0). */
  public int actualPort() {
    return instances.get(0).actualPort();
  }

  private <T> Future<List<T>> each(Function<GatewayVerticle, Future<T>> ask) {
    List<Future<T>> all = new ArrayList<>(instances.size());
    for (GatewayVerticle g : instances) all.add(ask.apply(g));
    return Future.all(all).map(cf -> {
      List<T> out = new ArrayList<>(all.size());
      for (Future<T> f : all) out.add(f.result());
      return out;
    });
  }

  /** Every endpoint of this node, for the status page. */
  public Future<List<GatewayVerticle.EndpointStatus>> endpointStatus() {
    return each(GatewayVerticle::endpointStatus).map(lists -> {
      List<GatewayVerticle.EndpointStatus> out = new ArrayList<>();
      lists.forEach(out::addAll);
      return out;
    });
  }

  /** Queue depth of every endpoint of this node. */
  public Future<Map<String, Integer>> queueDepths() {
    return each(GatewayVerticle::queueDepths).map(maps -> {
      Map<String, Integer> out = new HashMap<>();
      maps.forEach(out::putAll);
      return out;
    });
  }

  /**
   * This member's view of endpoints and channels ({@link GatewayVerticle#memberView}), the
   * instances' endpoints together: an endpoint is listed once, by the instance holding its
   * queue, whose count of local nodes includes those attached to the other instances.
   */
  public Future<JsonObject> memberView() {
    if (instances.size() == 1) return instances.get(0).memberView();
    // the endpoints from every instance, the channels (the node's routers) asked once
    return each(GatewayVerticle::endpointsView).compose(lists -> {
      Map<String, JsonObject> owned = new LinkedHashMap<>();
      Map<String, JsonObject> notOwned = new LinkedHashMap<>();
      for (JsonArray list : lists) {
        for (Object o : list) {
          JsonObject e = (JsonObject) o;
          if (e.getBoolean("owned", false)) {
            owned.put(e.getString("name"), e);
          } else {
            // an instance's nodes on an endpoint whose queue another instance holds; listed only
            // until that instance shows the endpoint (it serves them from there)
            notOwned.merge(e.getString("name"), e.copy(), (a, b) -> a.put("localNodes",
                a.getInteger("localNodes") + b.getInteger("localNodes")));
          }
        }
      }
      JsonArray endpoints = new JsonArray();
      owned.values().forEach(endpoints::add);
      notOwned.forEach((name, e) -> {
        if (!owned.containsKey(name)) endpoints.add(e);
      });
      return instances.get(0).withChannels(endpoints);
    });
  }

  /** The member owning an endpoint (null when nobody has claimed it yet); any thread. */
  public String ownerOf(String endpoint) {
    // a gateway instance owns it: its name is the member's, or <member>/<instance>
    String owner = instances.get(0).ownerOf(endpoint);
    return owner == null ? null : io.wsmsg.cluster.InstanceMembership.memberOf(owner);
  }

  /** True when this node is part of a cluster with at least one other member. */
  public boolean hasPeers() {
    return instances.get(0).hasPeers();
  }

  /** Membership and ownership figures for the status page; owned endpoints of every instance. */
  public Future<Map<String, Object>> clusterStatus() {
    if (instances.size() == 1) return instances.get(0).clusterStatus();
    return each(GatewayVerticle::clusterStatus).map(all -> {
      Map<String, Object> m = all.get(0);
      int owned = 0;
      int siblingNodes = 0;
      int remoteNodes = 0;
      for (Map<String, Object> s : all) {
        owned += ((Number) s.get("ownedEndpoints")).intValue();
        remoteNodes += ((Number) s.getOrDefault("remoteNodesServed", 0)).intValue();
        siblingNodes += ((Number) s.getOrDefault("siblingNodesServed", 0)).intValue();
      }
      m.put("ownedEndpoints", owned);
      if (m.containsKey("remoteNodesServed")) m.put("remoteNodesServed", remoteNodes); // clustered
      // nodes attached to one instance and served from the queue another instance holds
      m.put("siblingNodesServed", siblingNodes);
      m.put("gatewayInstances", instances.size());
      return m;
    });
  }

  private GatewayVerticle holding(String endpoint) {
    return instances.get(Delivery.instanceOf(endpoint, instances.size()));
  }

  /** Before deployment only: puts a restored message at the tail of its endpoint queue. */
  public void restoreQueued(String endpointName, Queued q) {
    holding(endpointName).restoreQueued(endpointName, q);
  }

  /** Before deployment only: forgets every restored message (the snapshot was refused half way). */
  public void forgetRestored() {
    for (GatewayVerticle g : instances) g.forgetRestored();
  }

  /** Stops all deliveries and returns every endpoint's queued messages. */
  public Future<Map<String, List<Queued>>> freezeAndCapture() {
    return each(GatewayVerticle::freezeAndCapture).map(Gateways::merged);
  }

  /** A graceful leave from a cluster (each instance hands its own endpoints over), or every queue for the snapshot. */
  public Future<HandOff> handOffAll() {
    if (instances.size() == 1) return instances.get(0).handOffAll();
    return each(GatewayVerticle::handOffAll).map(all -> {
      Map<String, List<Queued>> left = new HashMap<>();
      boolean complete = true;
      for (HandOff h : all) {
        left.putAll(h.left());
        complete &= h.complete();
      }
      return new HandOff(left, complete);
    });
  }

  private static Map<String, List<Queued>> merged(List<Map<String, List<Queued>>> maps) {
    Map<String, List<Queued>> out = new HashMap<>();
    maps.forEach(out::putAll);
    return out;
  }

  /** Step one of a graceful stop on every instance: refuse new publishes, tell every node. */
  public Future<Void> beginStop() {
    return each(GatewayVerticle::beginStop).mapEmpty();
  }

  /** Tells the other members this one leaves: every instance, each an owner of its own in a cluster. */
  public Future<Void> announceLeaving() {
    return each(GatewayVerticle::announceLeaving).mapEmpty();
  }

  /** Last step: close every connection with 1001 and the listening sockets. */
  public Future<Void> closeAll() {
    List<Future<Void>> all = new ArrayList<>();
    for (GatewayVerticle g : instances) {
      if (g.loop() != null) all.add(g.closeAll()); // an instance that never deployed has nothing open
    }
    return Future.join(all).mapEmpty();
  }
}
