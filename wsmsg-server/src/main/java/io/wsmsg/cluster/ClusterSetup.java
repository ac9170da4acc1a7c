package io.wsmsg.cluster;

import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.config.InterfacesConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.XmlConfigBuilder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.wsmsg.config.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Builds a clustered Vert.x instance from {@code cluster.xml} and the per-instance settings
 * of the JSON configuration (cluster name, port, member list, interface), which override
 * the XML so one file serves every member.
 */
public final class ClusterSetup {
  private static final Logger LOG = Logger.getLogger(ClusterSetup.class.getName());

  private ClusterSetup() {}

  /**
   * Vert.x logs each failed event-bus connection with a stack trace: with a process in the
   * cluster that lacks the certificate (every handshake with it fails) that is a flood. Held
   * here so the filter stays on the logger.
   */
  private static final Logger EVENT_BUS_LOG = Logger.getLogger(
      "io.vertx.core.eventbus.impl.clustered.ClusteredEventBus");

  static {
    EVENT_BUS_LOG.setFilter(new RefusedConnectionFilter());
  }

  /** At most one "Connecting to server ... failed" line per 10 s, as one line with its cause. */
  static final class RefusedConnectionFilter implements java.util.logging.Filter {
    private long last;
    private int skipped;

    @Override
    public synchronized boolean isLoggable(java.util.logging.LogRecord r) {
      String msg = r.getMessage();
      if (msg == null || !msg.startsWith("Connecting to server")) return true;
      long now = System.currentTimeMillis();
      if (last != 0 && now - last < 10_000) {
        skipped++;
        return false;
      }
      Throwable root = r.getThrown();
      while (root != null && root.getCause() != null) root = root.getCause();
      r.setMessage(msg + " (event bus" + (root != null ? ": " + root : "") + "). A member without a certificate from"
          + " the cluster CA, or not running TLS, fails like this; it is never used (see /status cluster.unproven)"
          + (skipped > 0 ? "; " + skipped + " more like it in the last " + (now - last) / 1000 + " s" : ""));
      r.setThrown(null);
      last = now;
      skipped = 0;
      return true;
    }
  }

  /** Joins the cluster; the future completes with the clustered Vert.x instance. */
  public static Future<Vertx> start(ServerConfig cfg) {
    Config hz;
    try {
      hz = hazelcastConfig(cfg);
    } catch (IOException | RuntimeException e) {
      return Future.failedFuture(new IllegalArgumentException("cannot use the cluster configuration "
          + cfg.clusterConfigFile + ": " + e.getMessage(), e));
    }
    EventBusOptions eb = eventBusOptions(cfg);
    VertxOptions options = new VertxOptions().setEventBusOptions(eb);
    return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hz)).buildClustered()
        .map(vertx -> {
          // peers send Buffers and Strings only: no Java or ClusterSerializable object is ever
          // decoded from the wire, whoever sends it
          vertx.eventBus().serializableChecker(className -> false);
          vertx.eventBus().clusterSerializableChecker(className -> false);
          return vertx;
        });
  }

  /**
   * The event bus: mutual TLS from the cluster CA when cluster.tls is set. Vert.x does not
   * verify host names on event-bus connections (members are reached at whatever address
   * they publish), so a member's identity is "holds a certificate the cluster CA signed":
   * use a CA for members only.
   */
  static EventBusOptions eventBusOptions(ServerConfig cfg) {
    EventBusOptions eb = new EventBusOptions()
        .setHost(cfg.clusterHost)
        .setPort(cfg.clusterEventBusPort);
    if (cfg.clusterPublicHost != null) eb.setClusterPublicHost(cfg.clusterPublicHost);
    if (cfg.clusterTls()) {
      eb.setSsl(true)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cfg.clusterTlsCert).setKeyPath(cfg.clusterTlsKey))
          .setTrustOptions(new PemTrustOptions().addCertPath(cfg.clusterTlsCa))
          .setClientAuth(ClientAuth.REQUIRED)
          .setTrustAll(false)
          .setEnabledSecureTransportProtocols(java.util.Set.of("TLSv1.2", "TLSv1.3"));
      LOG.info("cluster event bus: mutual TLS, members must hold a certificate signed by " + cfg.clusterTlsCa);
    } else {
      LOG.warning("CLUSTER WITHOUT TLS: cluster.tls (WSMSG_CLUSTER_TLS_CERT, _KEY, _CA) is not set, so the event bus"
          + " is clear text and unauthenticated: ANYONE WHO CAN REACH ports " + cfg.clusterPort + " and the event bus"
          + " port on " + cfg.clusterHost + " CAN JOIN this cluster, read its messages and stop it. Use this only"
          + " on a network you trust entirely (see docs/operations.md, Cluster security).");
    }
    return eb;
  }

  /** cluster.xml (the file, else the copy in the jar) with this instance's settings laid over it. */
  public static Config hazelcastConfig(ServerConfig cfg) throws IOException {
    Config hz;
    Path file = Path.of(cfg.clusterConfigFile);
    if (Files.isRegularFile(file)) {
      try (InputStream in = Files.newInputStream(file)) {
        hz = new XmlConfigBuilder(in).build();
      }
    } else {
      try (InputStream in = ClusterSetup.class.getResourceAsStream("/cluster.xml")) {
        if (in == null) throw new IOException(file + " does not exist and the jar holds no cluster.xml");
        hz = new XmlConfigBuilder(in).build();
      }
    }
    hz.setClusterName(cfg.clusterName);
    // the others expand this member into one owner per gateway instance (InstanceMembership)
    hz.getMemberAttributeConfig().setAttribute(HazelcastMembership.INSTANCES, String.valueOf(cfg.gatewayInstances));
    // no internet here, and none needed: never phone home, whatever the XML says
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.getJetConfig().setEnabled(false);
    // cluster.failureDetectionSeconds, whatever the XML says: a member silent that long is removed
    // and its endpoints taken over; heartbeats every tenth of it (1 to 5 s), so one lost beat is no suspicion
    hz.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(cfg.clusterFailureDetectionSeconds));
    hz.setProperty("hazelcast.heartbeat.interval.seconds",
        String.valueOf(Math.max(1, Math.min(5, cfg.clusterFailureDetectionSeconds / 10))));
    // Java deserialization: Hazelcast and vertx-hazelcast use their own serializers; anything
    // arriving as a Java-serialized object must be on this short allow-list (gadget chains are not)
    hz.getSerializationConfig().setJavaSerializationFilterConfig(new JavaSerializationFilterConfig()
        .setDefaultsDisabled(false)
        .setWhitelist(new ClassFilter().addPrefixes("java.lang.", "java.util.", "io.vertx.", "com.hazelcast.")));
    // Advanced network with a member endpoint only: no client protocol, no REST, no memcache
    // on any port (the default network config would also speak the client protocol on 5701)
    NetworkConfig xmlNet = hz.getNetworkConfig();
    AdvancedNetworkConfig net = hz.getAdvancedNetworkConfig().setEnabled(true);
    ServerSocketEndpointConfig member = new ServerSocketEndpointConfig();
    member.setPort(cfg.clusterPort).setPortAutoIncrement(false);
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(new ArrayList<>(cfg.clusterMembers))
        .setConnectionTimeoutSeconds(xmlNet.getJoin().getTcpIpConfig().getConnectionTimeoutSeconds());
    InterfacesConfig ifs = new InterfacesConfig();
    boolean any = "0.0.0.0".equals(cfg.clusterHost) || "::".equals(cfg.clusterHost);
    if (any) {
      ifs.setEnabled(false);
      hz.setProperty("hazelcast.socket.bind.any", "true");
    } else {
      ifs.setEnabled(true).setInterfaces(List.of(cfg.clusterHost));
      hz.setProperty("hazelcast.socket.bind.any", "false");
    }
    member.setInterfaces(ifs);
    if (cfg.clusterPublicHost != null) member.setPublicAddress(cfg.clusterPublicHost + ":" + cfg.clusterPort);
    net.setMemberEndpointConfig(member);
    net.getEndpointConfigs().keySet().removeIf(q -> q.getType() != com.hazelcast.instance.ProtocolType.MEMBER);
    return hz;
  }
}
