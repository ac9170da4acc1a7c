package io.wsmsg.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.WireOrder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServerConfigTest {

  static JsonObject json(String text) {
    return new JsonObject(text);
  }

  static void refused(String overrides, String... messageParts) {
    assertThatThrownBy(() -> ServerConfig.of(json(overrides)))
        .as(overrides)
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> {
          for (String part : messageParts) assertThat(e.getMessage()).contains(part);
        });
  }

  // ------------------------------------------------------------------ connection limits

  @Test
  void connectionLimitsAreValidated() {
    refused("{\"limits\":{\"compression\":\"yes\"}}", "limits.compression must be true or false");
    refused("{\"limits\":{\"maxConnections\":0}}", "limits.maxConnections must be between 1");
    refused("{\"limits\":{\"maxConnectionsPerIp\":-1}}", "limits.maxConnectionsPerIp must be between 1");
    refused("{\"limits\":{\"maxPendingUpgrades\":1.5}}", "limits.maxPendingUpgrades must be a whole number");
    refused("{\"limits\":{\"handshakeTimeoutSeconds\":0}}", "limits.handshakeTimeoutSeconds must be > 0");
    ServerConfig c = ServerConfig.of(json("{\"limits\":{\"compression\":true,\"handshakeTimeoutSeconds\":0.5}}"));
    assertThat(c.compression).isTrue();
    assertThat(c.handshakeTimeoutMillis).isEqualTo(500);
  }

  // ------------------------------------------------------------------ defaults

  @Test
  void metricsTopNIsBounded() {
    assertThat(ServerConfig.of(null).metricsTopN).isEqualTo(20);
    assertThat(ServerConfig.of(json("{\"metrics\":{\"topN\":0}}")).metricsTopN).isZero();
    refused("{\"metrics\":{\"topN\":-1}}", "metrics.topN must be between 0 and 1000");
    refused("{\"metrics\":{\"topN\":5000}}", "metrics.topN must be between 0 and 1000");
  }

  @Test
  void defaultsComeFromConfStandaloneJsonOnTheClassPath() throws IOException {
    JsonObject onDisk = new JsonObject(Files.readString(Path.of("conf/standalone.json")));
    assertThat(ServerConfig.defaults()).isEqualTo(onDisk);
    assertThat(ServerConfig.defaults().getInteger("port")).isEqualTo(8765);
  }

  @Test
  void defaultValues() {
    ServerConfig c = ServerConfig.of(null);
    assertThat(c.host).isEqualTo("0.0.0.0");
    assertThat(c.port).isEqualTo(8765);
    assertThat(c.root).isEqualTo("/");
    assertThat(c.dataDir).isEqualTo(Path.of("./data"));
    assertThat(c.authMode).isEqualTo("jwt");
    assertThat(c.hs256Secret).isNull();
    assertThat(c.publicKeys).isEmpty();
    assertThat(c.issuer).isNull();
    assertThat(c.audience).isNull();
    assertThat(c.leewaySeconds).isZero();
    assertThat(c.devTokenTtlSeconds).isEqualTo(86_400);
    assertThat(c.defaultPermissions).isEqualTo(json(
        "{\"endpoints\":[\"*\"],\"publish\":[\"*\"],\"subscribe\":[\"*\"],\"admin\":false}"));
    assertThat(c.maxFrameBytes).isEqualTo(1 << 20);
    assertThat(c.maxChannels).isEqualTo(10_000);
    assertThat(c.maxEndpoints).isEqualTo(10_000);
    assertThat(c.maxMessageSubscriptions).isEqualTo(1_000_000);
    assertThat(c.errorBurst).isEqualTo(20);
    assertThat(c.errorWindowMillis).isEqualTo(10_000);
    assertThat(c.compression).isFalse();
    assertThat(c.maxConnections).isEqualTo(100_000);
    assertThat(c.maxConnectionsPerIp).isEqualTo(1_000);
    assertThat(c.maxPendingUpgrades).isEqualTo(10_000);
    assertThat(c.handshakeTimeoutMillis).isEqualTo(10_000);
    assertThat(c.channelSize).isEqualTo(10_000);
    assertThat(c.channelPriority).isZero();
    assertThat(c.endpointSize).isEqualTo(10_000);
    assertThat(c.endpointTtlMillis).isEqualTo(60_000);
    assertThat(c.requeueUnacked).isEmpty();
    assertThat(c.window).isEqualTo(1);
    assertThat(c.maxWindow).isEqualTo(1024);
    assertThat(c.ackTimeoutMillis).isEqualTo(30_000);
    assertThat(c.defaultOrder).isEqualTo(WireOrder.SEED);
    assertThat(c.messageSubscriptionDefaultMillis).isEqualTo(60_000);
    assertThat(c.messageSubscriptionMaxMillis).isEqualTo(3_600_000);
    assertThat(c.pingIntervalMillis).isEqualTo(20_000);
    assertThat(c.pingTimeoutMillis).isEqualTo(20_000);
    assertThat(c.stopGraceMillis).isEqualTo(1_000);
    assertThat(c.json).isEqualTo(ServerConfig.defaults());
  }

  @Test
  void emptyOverridesAndNoFileGiveTheDefaults() throws IOException {
    assertThat(ServerConfig.of(new JsonObject()).json).isEqualTo(ServerConfig.defaults());
    assertThat(ServerConfig.load(null, Map.of()).json).isEqualTo(ServerConfig.defaults());
  }

  // ------------------------------------------------------------------ overlay

  @Test
  void nestedKeysOverlayOneByOne() {
    ServerConfig c = ServerConfig.of(json("{\"delivery\":{\"window\":4},\"auth\":{\"mode\":\"none\"},"
        + "\"channels\":{\"priority\":7}}"));
    assertThat(c.window).isEqualTo(4);
    assertThat(c.maxWindow).as("sibling kept").isEqualTo(1024);
    assertThat(c.ackTimeoutMillis).isEqualTo(30_000);
    assertThat(c.defaultOrder).isEqualTo(WireOrder.SEED);
    assertThat(c.authMode).isEqualTo("none");
    assertThat(c.devTokenTtlSeconds).isEqualTo(86_400);
    assertThat(c.defaultPermissions.getJsonArray("publish")).containsExactly("*");
    assertThat(c.channelPriority).isEqualTo(7);
    assertThat(c.channelSize).isEqualTo(10_000);
    assertThat(c.port).isEqualTo(8765);
    assertThat(c.json.getJsonObject("delivery").getInteger("window")).isEqualTo(4);
  }

  @Test
  void overridesDoNotLeakIntoLaterConfigurations() {
    assertThat(ServerConfig.of(json("{\"port\":1234,\"delivery\":{\"window\":8}}")).port).isEqualTo(1234);
    ServerConfig again = ServerConfig.of(null);
    assertThat(again.port).isEqualTo(8765);
    assertThat(again.window).isEqualTo(1);
  }

  @Test
  void defaultPermissionsAreReplacedAsAWhole() {
    ServerConfig c = ServerConfig.of(json(
        "{\"auth\":{\"defaultPermissions\":{\"publish\":[\"orders.*\"]}}}"));
    assertThat(c.defaultPermissions).isEqualTo(json("{\"publish\":[\"orders.*\"]}"));
    assertThat(c.defaultPermissions.containsKey("endpoints")).isFalse();
    assertThat(c.defaultPermissions.containsKey("subscribe")).isFalse();
    assertThat(c.defaultPermissions.containsKey("admin")).isFalse();

    ServerConfig none = ServerConfig.of(json("{\"auth\":{\"defaultPermissions\":{}}}"));
    assertThat(none.defaultPermissions).isEqualTo(new JsonObject());

    ServerConfig admin = ServerConfig.of(json("{\"auth\":{\"defaultPermissions\":{\"admin\":true,"
        + "\"endpoints\":[\"a\",\"b*\"]}}}"));
    assertThat(admin.defaultPermissions.getBoolean("admin")).isTrue();
    assertThat(admin.defaultPermissions.getJsonArray("endpoints")).containsExactly("a", "b*");
    assertThat(admin.defaultPermissions.fieldNames()).containsExactlyInAnyOrder("admin", "endpoints");
  }

  @Test
  void defaultPermissionsRefuseMisspeltKeysAndWrongTypes() {
    refused("{\"auth\":{\"defaultPermissions\":{\"publsh\":[\"*\"]}}}", "auth.defaultPermissions.publsh");
    refused("{\"auth\":{\"defaultPermissions\":{\"publish\":\"*\"}}}", "auth.defaultPermissions.publish");
    refused("{\"auth\":{\"defaultPermissions\":{\"publish\":[1]}}}", "auth.defaultPermissions.publish");
    refused("{\"auth\":{\"defaultPermissions\":{\"admin\":\"yes\"}}}", "auth.defaultPermissions.admin");
    refused("{\"auth\":{\"defaultPermissions\":[]}}", "auth.defaultPermissions", "object");
  }

  @Test
  void unknownKeysAreRefusedByName() {
    refused("{\"prot\":9000}", "\"prot\"", "unknown");
    refused("{\"delivery\":{\"windw\":2}}", "\"delivery.windw\"", "unknown");
    refused("{\"auth\":{\"secret\":\"x\"}}", "\"auth.secret\"");
    refused("{\"clustre\":{}}", "\"clustre\"");
    refused("{\"cluster\":{\"member\":[]}}", "\"cluster.member\"");
  }

  @Test
  void clusterSettingsComeFromTheFileAndTheEnvironment() throws Exception {
    ServerConfig d = ServerConfig.of(null);
    assertThat(d.clusterEnabled).isFalse();
    assertThat(d.clusterMembers).containsExactly("127.0.0.1:5701");
    ServerConfig c = ServerConfig.load(null, java.util.Map.of("WSMSG_CLUSTER", "true",
        "WSMSG_CLUSTER_MEMBERS", "gw1:5701, gw2:5702,gw3:5703", "WSMSG_CLUSTER_PORT", "5702",
        "WSMSG_CLUSTER_HOST", "0.0.0.0", "WSMSG_CLUSTER_PUBLIC_HOST", "gw2", "WSMSG_CLUSTER_NAME", "prod"));
    assertThat(c.clusterEnabled).isTrue();
    assertThat(c.clusterMembers).containsExactly("gw1:5701", "gw2:5702", "gw3:5703");
    assertThat(c.clusterPort).isEqualTo(5702);
    assertThat(c.clusterPublicHost).isEqualTo("gw2");
    assertThat(c.clusterName).isEqualTo("prod");
    com.hazelcast.config.Config hz = io.wsmsg.cluster.ClusterSetup.hazelcastConfig(c);
    // advanced network: the member endpoint only (no client protocol, REST or memcache endpoint)
    com.hazelcast.config.AdvancedNetworkConfig net = hz.getAdvancedNetworkConfig();
    assertThat(net.isEnabled()).isTrue();
    assertThat(net.getEndpointConfigs().keySet()).extracting(q -> q.getType())
        .containsExactly(com.hazelcast.instance.ProtocolType.MEMBER);
    assertThat(net.getJoin().getTcpIpConfig().getMembers()).containsExactly("gw1:5701", "gw2:5702", "gw3:5703");
    assertThat(net.getJoin().getMulticastConfig().isEnabled()).isFalse();
    assertThat(net.getJoin().getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(hz.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    assertThat(((com.hazelcast.config.ServerSocketEndpointConfig) net.getEndpointConfigs().values().iterator().next())
        .getPublicAddress()).isEqualTo("gw2:5702");
    assertThat(hz.getSerializationConfig().getJavaSerializationFilterConfig().getWhitelist().isEmpty()).isFalse();
    assertThat(hz.getClusterName()).isEqualTo("prod");
  }

  @Test
  void clusterNameDevAndHalfAClusterTlsAreRefused() throws Exception {
    refused("{\"cluster\":{\"enabled\":true,\"name\":\"dev\"}}", "Hazelcast's default");
    refused("{\"cluster\":{\"enabled\":true,\"tls\":{\"cert\":\"a.pem\"}}}", "all three of cert, key and ca");
    refused("{\"cluster\":{\"enabled\":true,\"tls\":{\"cert\":\"/nonexistent/a.pem\",\"key\":\"/nonexistent/a.key\","
        + "\"ca\":\"/nonexistent/ca.pem\"}}}", "not a readable file");
    ServerConfig c = ServerConfig.load(null, java.util.Map.of("WSMSG_CLUSTER_TLS_CERT", "c.pem",
        "WSMSG_CLUSTER_TLS_KEY", "c.key", "WSMSG_CLUSTER_TLS_CA", "ca.pem"));
    assertThat(c.clusterTls()).isTrue();
    assertThat(c.clusterTlsCa).isEqualTo("ca.pem");
  }

  @Test
  void clusterSettingsAreChecked() {
    refused("{\"cluster\":{\"enabled\":true,\"members\":[\"127.0.0.1:5701-5703\"]}}", "one per member");
    refused("{\"cluster\":{\"enabled\":true,\"host\":\"0.0.0.0\"}}", "publicHost");
    refused("{\"cluster\":{\"enabled\":\"yes\"}}", "cluster.enabled");
  }

  @Test
  void sectionsMustKeepTheirShape() {
    refused("{\"auth\":\"none\"}", "\"auth\"", "object");
    refused("{\"delivery\":null}", "\"delivery\"", "object");
    refused("{\"delivery\":[1]}", "\"delivery\"", "object");
    refused("{\"endpoints\":{\"requeueUnacked\":\"ep\"}}", "\"endpoints.requeueUnacked\"", "array");
    refused("{\"auth\":{\"publicKeys\":{}}}", "\"auth.publicKeys\"", "array");
  }

  // ------------------------------------------------------------------ values

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"port\":70000}                                   | port     | 70000",
      "{\"port\":-1}                                      | port     | -1",
      "{\"port\":\"9000\"}                                | port     | number",
      "{\"port\":8080.5}                                  | port     | whole number",
      "{\"auth\":{\"mode\":\"foo\"}}                      | auth.mode | foo",
      "{\"auth\":{\"mode\":null}}                         | auth.mode | string",
      "{\"auth\":{\"leewaySeconds\":3601}}                | auth.leewaySeconds | 3601",
      "{\"auth\":{\"devTokenTtlSeconds\":\"x\"}}          | auth.devTokenTtlSeconds | number",
      "{\"auth\":{\"devTokenTtlSeconds\":-5}}             | auth.devTokenTtlSeconds | -5",
      "{\"auth\":{\"issuer\":5}}                          | auth.issuer | string",
      "{\"auth\":{\"publicKeys\":[\"pem\"]}}              | auth.publicKeys | objects",
      "{\"delivery\":{\"order\":\"x\"}}                   | delivery.order | x",
      "{\"delivery\":{\"order\":7}}                       | delivery.order | string",
      "{\"delivery\":{\"window\":0}}                      | delivery.window | 0",
      "{\"delivery\":{\"window\":2000}}                   | delivery.window | 1024",
      "{\"delivery\":{\"maxWindow\":0}}                   | delivery.maxWindow | 0",
      "{\"delivery\":{\"ackTimeoutSeconds\":0}}           | delivery.ackTimeoutSeconds | > 0",
      "{\"delivery\":{\"ackTimeoutSeconds\":\"30\"}}      | delivery.ackTimeoutSeconds | seconds",
      "{\"channels\":{\"priority\":100}}                  | channels.priority | 100",
      "{\"channels\":{\"size\":0}}                        | channels.size | 0",
      "{\"endpoints\":{\"size\":0}}                       | endpoints.size | 0",
      "{\"endpoints\":{\"ttlSeconds\":-1}}                | endpoints.ttlSeconds | negative",
      "{\"endpoints\":{\"requeueUnacked\":[1]}}           | endpoints.requeueUnacked | strings",
      "{\"limits\":{\"maxFrameBytes\":10}}                | limits.maxFrameBytes | 10",
      "{\"limits\":{\"maxChannels\":0}}                   | limits.maxChannels | 0",
      "{\"limits\":{\"errorWindowSeconds\":-0.5}}         | limits.errorWindowSeconds | negative",
      "{\"messageSubscriptions\":{\"defaultExpirySeconds\":7200} } | messageSubscriptions.defaultExpirySeconds | maxExpirySeconds",
      "{\"ping\":{\"timeoutSeconds\":null}}               | ping.timeoutSeconds | seconds",
      "{\"stop\":{\"graceMillis\":null}}                  | stop.graceMillis | number",
      "{\"stop\":{\"graceMillis\":1.5}}                   | stop.graceMillis | whole number",
      "{\"host\":null}                                    | host | string",
      "{\"dataDir\":5}                                    | dataDir | string",
      "{\"root\":null}                                    | root | string",
      "{\"log\":{\"level\":\"verbose\"}}                   | log.level | error, warn, info, debug, trace",
      "{\"log\":{\"format\":\"xml\"}}                      | log.format | text or json",
  })
  void badValuesAreRefusedWithTheirName(String overrides, String name, String detail) {
    refused(overrides, name, detail);
  }

  @Test
  void boundaryValuesAreAccepted() {
    ServerConfig c = ServerConfig.of(json("{\"port\":65535,\"channels\":{\"priority\":99},"
        + "\"delivery\":{\"window\":1024,\"maxWindow\":1024},\"endpoints\":{\"ttlSeconds\":0},"
        + "\"limits\":{\"maxFrameBytes\":64},\"auth\":{\"leewaySeconds\":3600}}"));
    assertThat(c.port).isEqualTo(65535);
    assertThat(c.channelPriority).isEqualTo(99);
    assertThat(c.window).isEqualTo(1024);
    assertThat(c.endpointTtlMillis).as("0 = no TTL").isZero();
    assertThat(c.maxFrameBytes).isEqualTo(64);
    assertThat(c.leewaySeconds).isEqualTo(3600);
    assertThat(ServerConfig.of(json("{\"port\":0}")).port).isZero();
    assertThat(ServerConfig.of(json("{\"port\":8080.0}")).port).as("a whole number written as a float")
        .isEqualTo(8080);
    assertThat(ServerConfig.of(json("{\"delivery\":{\"order\":\"LEGACY\"}}")).defaultOrder)
        .isEqualTo(WireOrder.LEGACY);
    ServerConfig sub = ServerConfig.of(json("{\"messageSubscriptions\":{\"defaultExpirySeconds\":7200,"
        + "\"maxExpirySeconds\":7200}}"));
    assertThat(sub.messageSubscriptionDefaultMillis).isEqualTo(7_200_000);
  }

  @Test
  void secondsMayBeFractions() {
    ServerConfig c = ServerConfig.of(json("{\"endpoints\":{\"ttlSeconds\":0.5},"
        + "\"delivery\":{\"ackTimeoutSeconds\":0.25},\"ping\":{\"intervalSeconds\":1.5,\"timeoutSeconds\":2.75},"
        + "\"limits\":{\"errorWindowSeconds\":0.001},"
        + "\"messageSubscriptions\":{\"defaultExpirySeconds\":0.1,\"maxExpirySeconds\":12.3456}}"));
    assertThat(c.endpointTtlMillis).isEqualTo(500);
    assertThat(c.ackTimeoutMillis).isEqualTo(250);
    assertThat(c.pingIntervalMillis).isEqualTo(1500);
    assertThat(c.pingTimeoutMillis).isEqualTo(2750);
    assertThat(c.errorWindowMillis).isEqualTo(1);
    assertThat(c.messageSubscriptionDefaultMillis).isEqualTo(100);
    assertThat(c.messageSubscriptionMaxMillis).isEqualTo(12_346);
  }

  @ParameterizedTest
  @CsvSource({"'', /", "/, /", "ws, /ws/", "/ws, /ws/", "/ws/, /ws/", "a/b, /a/b/"})
  void rootIsNormalisedToSlashes(String given, String expected) {
    assertThat(ServerConfig.of(new JsonObject().put("root", given)).root).isEqualTo(expected);
  }

  @Test
  void listsAndKeysAreRead() {
    ServerConfig c = ServerConfig.of(json("{\"endpoints\":{\"requeueUnacked\":[\"jobs\",\"tasks.*\"]},"
        + "\"auth\":{\"publicKeys\":[{\"algorithm\":\"RS256\",\"file\":\"k.pem\"}],\"hs256Secret\":\"s3cret\","
        + "\"issuer\":\"me\",\"audience\":\"you\"}}"));
    assertThat(c.requeueUnacked).containsExactly("jobs", "tasks.*");
    assertThat(c.publicKeys).hasSize(1);
    assertThat(c.publicKeys.get(0).getString("algorithm")).isEqualTo("RS256");
    assertThat(c.hs256Secret).isEqualTo("s3cret");
    assertThat(c.issuer).isEqualTo("me");
    assertThat(c.audience).isEqualTo("you");
    assertThat(c.json.getJsonObject("endpoints").getJsonArray("requeueUnacked"))
        .isEqualTo(new JsonArray(List.of("jobs", "tasks.*")));
  }

  // ------------------------------------------------------------------ files and environment

  @Test
  void environmentOverridesTheDefaults() throws IOException {
    assertThat(ServerConfig.load(null, Map.of("WSMSG_PORT", "9000")).port).isEqualTo(9000);
    ServerConfig c = ServerConfig.load(null, Map.of("WSMSG_HOST", "127.0.0.1", "WSMSG_PORT", " 9001 ",
        "WSMSG_DATA_DIR", "/var/lib/wsmsg", "WSMSG_AUTH_MODE", "none", "WSMSG_JWT_SECRET", "k"));
    assertThat(c.host).isEqualTo("127.0.0.1");
    assertThat(c.port).isEqualTo(9001);
    assertThat(c.dataDir).isEqualTo(Path.of("/var/lib/wsmsg"));
    assertThat(c.authMode).isEqualTo("none");
    assertThat(c.hs256Secret).isEqualTo("k");
    // other variables are ignored
    assertThat(ServerConfig.load(null, Map.of("PATH", "/bin", "WSMSG_WINDOW", "9")).json)
        .isEqualTo(ServerConfig.defaults());
  }

  @Test
  void logSettingsComeFromTheFileOrTheEnvironment() throws IOException {
    ServerConfig d = ServerConfig.of(null);
    assertThat(d.logLevel).isEqualTo("info");
    assertThat(d.logFormat).isEqualTo("text");
    ServerConfig c = ServerConfig.load(null, Map.of("WSMSG_LOG_LEVEL", "DEBUG", "WSMSG_LOG_FORMAT", "json"));
    assertThat(c.logLevel).isEqualTo("debug");
    assertThat(c.logFormat).isEqualTo("json");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of("WSMSG_LOG_LEVEL", "loud")))
        .hasMessageContaining("log.level").hasMessageContaining("loud");
  }

  @Test
  void badEnvironmentValuesAreRefusedByName() {
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of("WSMSG_PORT", "abc")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("WSMSG_PORT").hasMessageContaining("abc");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of("WSMSG_PORT", "70000")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port").hasMessageContaining("70000");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of("WSMSG_AUTH_MODE", "foo")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("auth.mode").hasMessageContaining("foo");
  }

  @Test
  void fileOverlaysDefaultsAndEnvironmentOverlaysTheFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("node.json");
    Files.writeString(file, "{\"port\":1234,\"host\":\"10.0.0.1\",\"delivery\":{\"window\":3},"
        + "\"auth\":{\"defaultPermissions\":{\"subscribe\":[\"news.*\"]}}}");
    ServerConfig fromFile = ServerConfig.load(file, Map.of());
    assertThat(fromFile.port).isEqualTo(1234);
    assertThat(fromFile.host).isEqualTo("10.0.0.1");
    assertThat(fromFile.window).isEqualTo(3);
    assertThat(fromFile.maxWindow).isEqualTo(1024);
    assertThat(fromFile.defaultPermissions).isEqualTo(json("{\"subscribe\":[\"news.*\"]}"));

    ServerConfig withEnv = ServerConfig.load(file, Map.of("WSMSG_PORT", "9000"));
    assertThat(withEnv.port).isEqualTo(9000);
    assertThat(withEnv.host).isEqualTo("10.0.0.1");
  }

  @Test
  void gatewayInstancesDefaultToTheCoresAndMayBeSetInTheFileOrTheEnvironment() throws IOException {
    assertThat(ServerConfig.of(json("{}")).gatewayInstances).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(ServerConfig.of(json("{\"gateway\":{\"instances\":3}}")).gatewayInstances).isEqualTo(3);
    assertThat(ServerConfig.load(null, Map.of("WSMSG_GATEWAY_INSTANCES", "5")).gatewayInstances).isEqualTo(5);
    assertThatThrownBy(() -> ServerConfig.of(json("{\"gateway\":{\"instances\":-1}}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gateway.instances");
    assertThatThrownBy(() -> ServerConfig.of(json("{\"gateway\":{\"instances\":5000}}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gateway.instances");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of("WSMSG_GATEWAY_INSTANCES", "many")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("WSMSG_GATEWAY_INSTANCES");
  }

  @Test
  void badFilesAreRefused(@TempDir Path dir) throws IOException {
    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "{\"port\": ");
    assertThatThrownBy(() -> ServerConfig.load(broken, Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broken.json")
        .hasMessageContaining("JSON");
    Path typo = dir.resolve("typo.json");
    Files.writeString(typo, "{\"endpoints\":{\"sizee\":5}}");
    assertThatThrownBy(() -> ServerConfig.load(typo, Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("endpoints.sizee");
    assertThatThrownBy(() -> ServerConfig.load(dir.resolve("missing.json"), Map.of()))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void lifecycleAndPerIdentitySettings() {
    ServerConfig d = ServerConfig.of(null);
    assertThat(d.endpointIdleMillis).isEqualTo(300_000);
    assertThat(d.ephemeralGraceMillis).isEqualTo(10_000);
    assertThat(d.channelIdleMillis).isEqualTo(60_000);
    assertThat(d.perIdentity).isEqualTo(new io.wsmsg.auth.Quotas(1000, 1000, 10000, 100000, 100));
    ServerConfig c = ServerConfig.of(json("{\"limits\":{\"perIdentity\":{\"wildcardSubscriptions\":5}},"
        + "\"endpoints\":{\"idleSeconds\":0}}"));
    assertThat(c.perIdentity.wildcardSubscriptions()).isEqualTo(5);
    assertThat(c.perIdentity.subscriptions()).as("the other quotas keep their defaults").isEqualTo(10000);
    assertThat(c.endpointIdleMillis).isZero();
    refused("{\"limits\":{\"perIdentity\":{\"sockets\":5}}}", "limits.perIdentity.sockets");
    refused("{\"limits\":{\"perIdentity\":{\"channels\":-1}}}", "limits.perIdentity.channels");
    refused("{\"limits\":{\"perIdentity\":{\"channels\":1.5}}}", "limits.perIdentity.channels");
    refused("{\"endpoints\":{\"idleSeconds\":-1}}", "endpoints.idleSeconds");
    refused("{\"channels\":{\"idleSeconds\":\"x\"}}", "channels.idleSeconds");
  }
}
