package io.wsmsg.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.InterfacesConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.XmlConfigBuilder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.wsmsg.config.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a clustered Vert.x instance from {@code cluster.xml} and the per-instance settings
 * of the JSON configuration (cluster name, port, member list, interface), which override
 * the XML so one file serves every member.
 */
public final class ClusterSetup {
  private ClusterSetup() {}

  /** Joins the cluster; the future completes with the clustered Vert.x instance. */
  public static Future<Vertx> start(ServerConfig cfg) {
    Config hz;
    try {
      hz = hazelcastConfig(cfg);
    } catch (IOException | RuntimeException e) {
      return Future.failedFuture(new IllegalArgumentException("cannot use the cluster configuration "
          + cfg.clusterConfigFile + ": " + e.getMessage(), e));
    }
    EventBusOptions eb = new EventBusOptions()
        .setHost(cfg.clusterHost)
        .setPort(cfg.clusterEventBusPort);
    if (cfg.clusterPublicHost != null) eb.setClusterPublicHost(cfg.clusterPublicHost);
    VertxOptions options = new VertxOptions().setEventBusOptions(eb);
    return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hz)).buildClustered();
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
    // no internet here, and none needed: never phone home, whatever the XML says
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.getJetConfig().setEnabled(false);
    NetworkConfig net = hz.getNetworkConfig();
    net.setPort(cfg.clusterPort).setPortAutoIncrement(false);
    net.getJoin().getMulticastConfig().setEnabled(false);
    net.getJoin().getAutoDetectionConfig().setEnabled(false);
    List<String> members = new ArrayList<>(cfg.clusterMembers);
    net.getJoin().getTcpIpConfig().setEnabled(true).setMembers(members);
    InterfacesConfig ifs = net.getInterfaces();
    boolean any = "0.0.0.0".equals(cfg.clusterHost) || "::".equals(cfg.clusterHost);
    if (any) {
      ifs.setEnabled(false);
      hz.setProperty("hazelcast.socket.bind.any", "true");
    } else {
      ifs.setEnabled(true).setInterfaces(List.of(cfg.clusterHost));
      hz.setProperty("hazelcast.socket.bind.any", "false");
    }
    if (cfg.clusterPublicHost != null) net.setPublicAddress(cfg.clusterPublicHost + ":" + cfg.clusterPort);
    return hz;
  }
}
