package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestCluster;
import io.wsmsg.testkit.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** Who may be a cluster member: only holders of a certificate from the cluster CA, under a name of the operator's. */
class ClusterSecurityTest {

  @Test
  void hazelcastsDefaultClusterNameIsRefused() {
    assertThatThrownBy(() -> ServerConfig.of(new JsonObject().put("cluster",
        new JsonObject().put("enabled", true).put("name", "dev"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cluster.name (WSMSG_CLUSTER_NAME) must be set to a name of your own");
  }

  @Test
  void aClusterWithoutTlsSaysLoudlyThatAnyoneCanJoin() {
    List<LogRecord> records = new ArrayList<>();
    Logger log = Logger.getLogger(ClusterSetup.class.getName());
    Handler h = new Handler() {
      @Override
      public void publish(LogRecord r) {
        records.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    log.addHandler(h);
    try {
      ClusterSetup.eventBusOptions(ServerConfig.of(new JsonObject().put("cluster", new JsonObject().put("enabled", true))));
    } finally {
      log.removeHandler(h);
    }
    assertThat(records).anySatisfy(r -> {
      assertThat(r.getLevel()).isEqualTo(Level.WARNING);
      assertThat(r.getMessage()).contains("CLUSTER WITHOUT TLS").contains("CAN JOIN");
    });
  }

  /**
   * A member whose certificate another CA signed (the wss:// server certificate), and one without TLS at all, join Hazelcast
   * (nothing there stops them) but never prove membership: the real members do not list them,
   * route nothing to them, and no endpoint is theirs, even one a node creates through them.
   */
  @Test
  void membersWithoutACertificateFromTheClusterCaAreNeverRoutedTo() throws Exception {
    try (TestCluster c = TestCluster.startWithSpare(2, 2, null)) {
      // trusts the cluster CA, but presents a certificate of another CA: the server certificate
      // clients see, which every gateway holds; only the cluster CA's certificates make members
      TestCluster.Member wrongCa = c.join(2, new JsonObject().put("cluster", new JsonObject().put("tls", new JsonObject()
          .put("cert", io.wsmsg.testkit.TestCerts.serverCert().toString())
          .put("key", io.wsmsg.testkit.TestCerts.serverKey().toString())
          .put("ca", io.wsmsg.testkit.TestCerts.clusterCa().toString()))));
      // no TLS at all
      TestCluster.Member plain = c.join(3, new JsonObject().put("cluster", new JsonObject().put("tls", new JsonObject()
          .putNull("cert").putNull("key").putNull("ca"))));
      List<String> outsiders = List.of(wrongCa.id(), plain.id());

      // a node makes an endpoint through each outsider: they claim it for themselves
      try (TestNode a = wrongCa.node("through-wrong-ca"); TestNode b = plain.node("through-plain")) {
        a.sync("through-wrong-ca");
        b.sync("through-plain");
        for (int i = 0; i < 2; i++) {
          TestCluster.Member m = c.member(i);
          Await.until("member " + i + " to list both outsiders as unproven", () -> m.server.membership().unproven(),
              u -> u.keySet().containsAll(outsiders), Duration.ofSeconds(40));
          assertThat(m.server.membership().members()).hasSize(2).doesNotContainAnyElementsOf(outsiders);
          assertThat(m.server.gateway().ownerOf("through-wrong-ca")).isNotIn(outsiders);
          assertThat(m.server.gateway().ownerOf("through-plain")).isNotIn(outsiders);
        }
        // endpoints the real members use never go to an outsider, however many there are
        try (TestNode n = c.member(0).node("real")) {
          n.sync("real");
          for (int i = 0; i < 2; i++) assertThat(c.member(i).server.gateway().ownerOf("real")).isNotIn(outsiders);
        }
      }
      // the real members still serve each other: pub/sub across them
      try (TestNode sub = c.member(0).node("sink"); TestNode pub = c.member(1).node("source")) {
        sub.command("subscribe.channel", "sink", "evt", "*");
        sub.sync("sink");
        // the outsiders never get the subscription (nothing reaches them): ask the real members only
        for (int i = 0; i < 2; i++) {
          TestCluster.Member m = c.member(i);
          Await.until("member " + i + " to route evt to sink",
              () -> List.of(m.server.registry().route("evt", "x", null, System.currentTimeMillis())),
              r -> r.contains("sink"));
        }
        pub.publish("evt", "x", "hello");
        assertThat(TestNode.data(sub.nextMessage())).isEqualTo("hello");
      }
      // the Hazelcast port speaks the member protocol only: a Hazelcast client cannot connect
      com.hazelcast.client.config.ClientConfig cc = new com.hazelcast.client.config.ClientConfig();
      cc.setClusterName(c.name);
      cc.getNetworkConfig().addAddress(hazelcastAddress(c.member(0)));
      cc.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(3000);
      assertThatThrownBy(() -> com.hazelcast.client.HazelcastClient.newHazelcastClient(cc).shutdown())
          .isInstanceOf(IllegalStateException.class);
    }
  }

  /**
   * Defence in depth behind TLS: a peer message naming a sender that has not proven membership
   * (here sent by a real member on behalf of a stranger) is ignored and counted, whatever it is.
   */
  @Test
  void peerMessagesFromAnUnprovenSenderAreIgnoredAndCounted() {
    try (TestCluster c = TestCluster.start(2, null)) {
      TestCluster.Member from = c.member(0);
      TestCluster.Member to = c.member(1);
      io.vertx.core.eventbus.DeliveryOptions stranger = new io.vertx.core.eventbus.DeliveryOptions()
          .addHeader("wsmsg-from", "stranger").setSendTimeout(1000);
      PeerWire.Writer claims = new PeerWire.Writer(PeerWire.CLAIMS, 64);
      claims.i32(1).str("hijacked").str("stranger").i64(Long.MAX_VALUE / 2);
      PeerWire.Writer attach = new PeerWire.Writer(PeerWire.ATTACH, 64);
      attach.str("hijacked").str("node").str("stranger").i32(10).bool(false).bool(false);
      List<io.vertx.core.buffer.Buffer> hostile = List.of(claims.buffer(), attach.buffer(),
          new PeerWire.Writer(PeerWire.STOP_ALL, 1).buffer());
      for (io.vertx.core.buffer.Buffer b : hostile) {
        assertThatThrownBy(() -> TestNode.await(from.vertx.eventBus().request(PeerWire.gatewayAddress(to.id()), b,
            stranger), 10_000)).as("no answer to a stranger").isNotNull();
      }
      assertThatThrownBy(() -> TestNode.await(from.vertx.eventBus().request(PeerWire.registryAddress(to.id()),
          new PeerWire.Writer(PeerWire.DUMP, 1).buffer(), stranger), 10_000)).isNotNull();
      assertThat(to.server.membership().refusedPeerMessages()).isEqualTo(4);
      assertThat(to.server.gateway().ownerOf("hijacked")).isNotEqualTo("stranger");
      // still serving: nothing stopped
      try (TestNode n = to.node("still-here")) {
        n.sync("still-here");
      }
    }
  }

  private static String hazelcastAddress(TestCluster.Member m) {
    com.hazelcast.core.HazelcastInstance hz = ((io.vertx.spi.cluster.hazelcast.HazelcastClusterManager)
        ((io.vertx.core.internal.VertxInternal) m.vertx).clusterManager()).getHazelcastInstance();
    com.hazelcast.cluster.Address a = hz.getCluster().getLocalMember().getAddress();
    return a.getHost() + ":" + a.getPort();
  }

  static JsonArray list(String... s) {
    return new JsonArray(List.of((Object[]) s));
  }
}
