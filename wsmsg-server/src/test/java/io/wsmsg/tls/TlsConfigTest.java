package io.wsmsg.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import io.wsmsg.config.ServerConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** tls.* and management.tls: defaults, environment variables, and the combinations refused. */
class TlsConfigTest {
  @Test
  void offByDefaultWithAFiveSecondWatchAndTheManagementPortFollowing() {
    ServerConfig c = ServerConfig.of(null);
    TlsSettings t = TlsSettings.of(c);
    assertThat(t.enabled()).isFalse();
    assertThat(t.managementEnabled()).isFalse();
    assertThat(c.tlsReloadSeconds).isEqualTo(5);
    assertThat(c.managementTls).isTrue();
  }

  @Test
  void environmentVariablesSetEveryKey() throws Exception {
    ServerConfig c = ServerConfig.load(null, Map.of("WSMSG_TLS_CERT", "/etc/wsmsg/server.pem",
        "WSMSG_TLS_KEY", "/etc/wsmsg/server.key", "WSMSG_TLS_CLIENT_CA", "/etc/wsmsg/clients.pem",
        "WSMSG_TLS_RELOAD_SECONDS", "0", "WSMSG_MANAGEMENT_TLS", "false"));
    assertThat(c.tlsCert).isEqualTo(Path.of("/etc/wsmsg/server.pem"));
    assertThat(c.tlsKey).isEqualTo(Path.of("/etc/wsmsg/server.key"));
    assertThat(c.tlsClientCa).isEqualTo(Path.of("/etc/wsmsg/clients.pem"));
    assertThat(c.tlsReloadSeconds).isZero();
    TlsSettings t = TlsSettings.of(c);
    assertThat(t.enabled()).isTrue();
    assertThat(t.managementEnabled()).isFalse();
    // an empty variable unsets a path a file set
    assertThat(ServerConfig.load(null, Map.of("WSMSG_TLS_CERT", "", "WSMSG_TLS_KEY", "")).tlsCert).isNull();
  }

  @Test
  void refusedCombinationsSayWhat() {
    assertThatThrownBy(() -> ServerConfig.of(new JsonObject().put("tls", new JsonObject().put("cert", "a.pem"))))
        .hasMessageContaining("tls.cert is set but tls.key is not");
    assertThatThrownBy(() -> ServerConfig.of(new JsonObject().put("tls", new JsonObject().put("key", "a.key"))))
        .hasMessageContaining("tls.key is set but tls.cert is not");
    assertThatThrownBy(() -> ServerConfig.of(new JsonObject().put("tls", new JsonObject().put("clientCa", "ca.pem"))))
        .hasMessageContaining("tls.clientCa (mutual TLS) needs tls.cert and tls.key");
    assertThatThrownBy(() -> ServerConfig.of(new JsonObject().put("tls", new JsonObject().put("reloadSeconds", -1))))
        .hasMessageContaining("tls.reloadSeconds must be between 0");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of("WSMSG_MANAGEMENT_TLS", "yes")))
        .hasMessageContaining("WSMSG_MANAGEMENT_TLS must be true or false");
    assertThatThrownBy(() -> ServerConfig.of(new JsonObject().put("tls", new JsonObject().put("crt", "a.pem"))))
        .hasMessageContaining("unknown setting \"tls.crt\"");
  }
}
