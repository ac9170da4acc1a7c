package io.wsmsg.testkit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.TokenSigner;
import io.wsmsg.cluster.ClusterSetup;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.server.WsmsgServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Real cluster members in this JVM: each one a clustered Vert.x instance with its own
 * Hazelcast member (TCP-IP on 127.0.0.1, free ports, a cluster name of its own so tests never
 * join each other), the event bus over mutual TLS with the test CA's member certificates
 * ({@link TestCerts}; override {@code cluster.tls} to change that), and its own wsmsg server. Close it in @AfterEach or try-with-resources.
 */
public final class TestCluster implements AutoCloseable {
  public final String name = "wsmsg-test-" + UUID.randomUUID();
  public final List<Member> members = new ArrayList<>();
  private final List<Integer> hazelcastPorts = new ArrayList<>();
  private final JsonObject overrides;
  /** Plain Vert.x for the test's clients and token signing. */
  private final Vertx clientVertx = Vertx.vertx();

  private TestCluster(JsonObject overrides, int expected) {
    this.overrides = overrides == null ? new JsonObject() : overrides;
    for (int i = 0; i < expected; i++) hazelcastPorts.add(freePort());
  }

  /** Starts {@code n} members at once and waits until each sees all of them. */
  public static TestCluster start(int n, JsonObject overrides) {
    return startWithSpare(n, 0, overrides);
  }

  /**
   * Starts {@code n} members and reserves {@code spare} more places in the member list, for
   * members that {@link #join} later.
   */
  public static TestCluster startWithSpare(int n, int spare, JsonObject overrides) {
    TestCluster c = new TestCluster(overrides, n + spare);
    try {
      List<Future<Member>> starting = new ArrayList<>();
      for (int i = 0; i < n; i++) starting.add(c.startMember(i));
      for (Future<Member> f : starting) c.members.add(TestNode.await(f, 120_000));
      c.awaitMembers(n);
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** Starts the member using reserved Hazelcast port number {@code index}. */
  public Member join(int index, JsonObject extra) {
    Member m = TestNode.await(startMember(index, extra), 120_000);
    members.add(m);
    return m;
  }

  private Future<Member> startMember(int index) {
    return startMember(index, null);
  }

  private Future<Member> startMember(int index, JsonObject extra) {
    JsonArray list = new JsonArray();
    for (int p : hazelcastPorts) list.add("127.0.0.1:" + p);
    JsonObject j = new JsonObject().put("host", "127.0.0.1").put("port", 0)
        .put("dataDir", TestServer.tempDir())
        .put("gateway", new JsonObject().put("instances", TestServer.GATEWAY_INSTANCES))
        .put("management", new JsonObject().put("port", 0))
        .put("auth", new JsonObject().put("hs256Secret", TestServer.SECRET))
        .put("cluster", new JsonObject().put("enabled", true).put("name", name).put("host", "127.0.0.1")
            .put("port", hazelcastPorts.get(index)).put("members", list));
    // the event bus runs over mutual TLS, as shipped: member i uses gatewayN's certificate
    int cert = index % 3 + 1;
    j.getJsonObject("cluster").put("tls", new JsonObject().put("cert", TestCerts.memberCert(cert).toString())
        .put("key", TestCerts.memberKey(cert).toString()).put("ca", TestCerts.clusterCa().toString()));
    j = TestServer.deepMerge(j, overrides);
    if (extra != null) j = TestServer.deepMerge(j, extra);
    ServerConfig cfg = ServerConfig.of(j);
    return ClusterSetup.start(cfg).compose(vertx -> WsmsgServer.start(vertx, cfg)
        .map(s -> new Member(vertx, s))
        .onFailure(e -> vertx.close()));
  }

  /**
   * Waits until every running member sees {@code n} members. Membership only: what follows
   * from it (a failed member's endpoints taken over, claims settled) happens afterwards, so
   * wait for that separately ({@link #awaitOwner}, {@link #awaitAgreedOwner}).
   */
  public void awaitMembers(int n) {
    for (Member m : members) {
      if (m.stopped) continue;
      Await.until("member " + m.id() + " to see " + n + " members", () -> m.server.membership().members(),
          seen -> seen.size() == n, java.time.Duration.ofSeconds(60));
    }
  }

  /** Who owns {@code endpoint} according to each running member's claim table (member id -> owner). */
  public Map<String, String> owners(String endpoint) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Member m : members) {
      if (!m.stopped) out.put(m.id(), m.server.gateway().ownerOf(endpoint));
    }
    return out;
  }

  /** Waits until every running member says {@code owner} owns {@code endpoint}. */
  public void awaitOwner(String endpoint, String owner) {
    Await.until("every member to say " + owner + " owns " + endpoint + " (member -> owner)", () -> owners(endpoint),
        seen -> seen.values().stream().allMatch(owner::equals));
  }

  /**
   * Waits until every running member names the same owner of {@code endpoint}, one that
   * {@code acceptable} accepts, and returns it.
   */
  public String awaitAgreedOwner(String endpoint, java.util.function.Predicate<String> acceptable) {
    Map<String, String> agreed = Await.until("the members to agree on an acceptable owner of " + endpoint
        + " (member -> owner)", () -> owners(endpoint), seen -> {
          java.util.Set<String> distinct = new java.util.HashSet<>(seen.values());
          String only = distinct.size() == 1 ? distinct.iterator().next() : null;
          return only != null && acceptable.test(only);
        });
    return agreed.values().iterator().next();
  }

  /**
   * Waits until every running member's own registry routes a message on {@code channel} with
   * {@code subject} to (at least) {@code endpoints}. A subscription is applied at the member
   * where it was made before that node's next frame ({@link TestNode#sync} proves it there);
   * the other members get it replicated a little later, and route with their own copy.
   */
  public void awaitRouted(String channel, String subject, String... endpoints) {
    List<String> want = List.of(endpoints);
    for (Member m : members) {
      if (m.stopped) continue;
      Await.until("member " + m.id() + " to route " + channel + "/" + subject + " to " + want,
          () -> List.of(m.server.registry().route(channel, subject, null, System.currentTimeMillis())),
          routed -> routed.containsAll(want));
    }
  }

  public Member member(int i) {
    return members.get(i);
  }

  /** The member with this cluster id (an owner named by {@link #awaitAgreedOwner}, say). */
  public Member memberWithId(String id) {
    return members.stream().filter(m -> m.id().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError("no member with id " + id));
  }

  /** An HS256 admin token all members accept. */
  public String adminToken() {
    return new TokenSigner(clientVertx, TestServer.SECRET).sign("test", io.wsmsg.auth.Permissions.ALL.toJson(), 3600);
  }

  /** One member: its clustered Vert.x and its server. */
  public final class Member {
    public final Vertx vertx;
    public final WsmsgServer server;
    boolean stopped;

    Member(Vertx vertx, WsmsgServer server) {
      this.vertx = vertx;
      this.server = server;
    }

    public int port() {
      return server.port();
    }

    public boolean isStopped() {
      return stopped;
    }

    /** For a member stopped by other means (the stop command): close() leaves it alone. */
    public void markStopped() {
      stopped = true;
      TestNode.await(vertx.close(), 30_000);
    }

    public String id() {
      return server.membership().self();
    }

    /** A node on this member's gateway with an admin token, seed order. */
    public TestNode node(String endpointAndQuery) {
      return TestNode.connect(clientVertx, port(), endpointAndQuery, adminToken(), WireOrder.SEED);
    }

    /** SIGTERM's path: hand endpoints over, close, leave the cluster. */
    public void stopGracefully() {
      stopped = true;
      TestNode.await(server.stop(), 60_000);
      TestNode.await(vertx.close(), 30_000); // leave Hazelcast, as the server command does
    }

    /**
     * As close to kill -9 as one JVM allows: the Hazelcast member vanishes without saying
     * goodbye and the server's sockets are cut, so the others find out by missed heartbeats.
     */
    public void crash() {
      stopped = true;
      com.hazelcast.core.HazelcastInstance hz =
          ((io.vertx.spi.cluster.hazelcast.HazelcastClusterManager) ((io.vertx.core.internal.VertxInternal) vertx)
              .clusterManager()).getHazelcastInstance();
      hz.getLifecycleService().terminate();
      try {
        TestNode.await(vertx.close(), 30_000);
      } catch (RuntimeException ignored) {
        // the cluster manager is gone already; the rest closes anyway
      }
    }
  }

  @Override
  public void close() {
    for (Member m : members) {
      if (m.stopped) continue;
      m.stopped = true;
      try {
        TestNode.await(m.server.close(), 30_000);
      } catch (RuntimeException ignored) {
        // closing anyway
      }
      try {
        TestNode.await(m.vertx.close(), 30_000);
      } catch (RuntimeException ignored) {
        // already closed by the server
      }
    }
    TestNode.await(clientVertx.close());
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RuntimeException(e);
    }
  }
}
