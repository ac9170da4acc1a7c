package io.wsmsg.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.Permissions;
import io.wsmsg.auth.TokenSigner;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A token the server no longer accepts ends reconnection, unless a token supplier hands out another. */
class RefusedTokenTest extends ClientTestBase {
  static final String OTHER_SECRET = "another-secret-of-at-least-32-bytes-long!!";

  JsonObject withOtherSecret() {
    return new JsonObject().put("auth", new JsonObject().put("hs256Secret", OTHER_SECRET));
  }

  String tokenOfTheOtherSecret() {
    return new TokenSigner(vertx, OTHER_SECRET).sign("test", Permissions.ALL.toJson(), 3600);
  }

  @Test
  void aFixedTokenRefusedAfterARestartClosesTheClientWithTheServersReason() {
    WsmsgClient c = connect();
    List<WsmsgException> failures = new CopyOnWriteArrayList<>();
    List<ConnectionState> states = new CopyOnWriteArrayList<>();
    c.onConnectFailure(failures::add);
    c.onStateChange(states::add);
    Future<Message> pending = c.request("nobody", "x.request", 1, Duration.ofSeconds(60));
    // the request is in flight only once the server confirmed its subscribe.message: a command
    // still unconfirmed when the connection drops fails with connection_lost instead
    await(c.sync());
    int port = server.port();
    server.close();
    waitUntil("reconnecting", () -> c.state() == ConnectionState.RECONNECTING);
    waitUntil("an attempt failed while the server is down", () -> !failures.isEmpty());
    assertThat(failures.get(0).code()).isEqualTo(WsmsgException.CONNECT_FAILED);
    server = startServerOnPort(port, withOtherSecret());
    waitUntil("closed", () -> c.state() == ConnectionState.CLOSED);
    WsmsgException cause = c.closeCause();
    assertThat(cause).isNotNull();
    assertThat(cause.code()).isEqualTo(WsmsgException.UNAUTHORIZED);
    assertThat(cause.httpStatus()).isEqualTo(401);
    assertThat(cause.getMessage()).contains("refused the connection with HTTP 401: ");
    assertThat(cause.isServerError()).isFalse();
    WsmsgException failed = (WsmsgException) failure(pending);
    assertThat(failed.code()).isEqualTo(WsmsgException.UNAUTHORIZED);
    waitUntil("the refusal reported to the listener", () -> failures.get(failures.size() - 1) == cause);
    assertThat(states).endsWith(ConnectionState.CLOSED);
    // the server saw one refused attempt, not a stream of them
    sleep(500); // the point: no further attempt within this interval
    assertThat(failures.stream().filter(e -> WsmsgException.UNAUTHORIZED.equals(e.code()))).hasSize(1);
  }

  @Test
  void aTokenSupplierIsAskedAgainAfterARefusalAndItsNewTokenReconnects() {
    AtomicReference<String> current = new AtomicReference<>(server.adminToken());
    WsmsgClient c = connect(options().tokenSupplier(() -> Future.succeededFuture(current.get())));
    List<WsmsgException> failures = new CopyOnWriteArrayList<>();
    c.onConnectFailure(e -> {
      failures.add(e);
      // on the client's event loop, before its next attempt asks the supplier
      if (WsmsgException.UNAUTHORIZED.equals(e.code())) current.set(tokenOfTheOtherSecret());
    });
    int port = server.port();
    server.close();
    waitUntil("reconnecting", () -> c.state() == ConnectionState.RECONNECTING);
    server = startServerOnPort(port, withOtherSecret());
    waitUntil("reconnected with the new token", () -> c.state() == ConnectionState.CONNECTED);
    assertThat(failures).anyMatch(e -> WsmsgException.UNAUTHORIZED.equals(e.code()));
    assertThat(c.closeCause()).isNull();
    await(c.sync());
  }

  @Test
  void aTokenSupplierThatHandsOutTheRefusedTokenAgainEndsReconnection() {
    String old = server.adminToken();
    WsmsgClient c = connect(options().tokenSupplier(() -> Future.succeededFuture(old)));
    List<WsmsgException> failures = new CopyOnWriteArrayList<>();
    c.onConnectFailure(failures::add);
    int port = server.port();
    server.close();
    waitUntil("reconnecting", () -> c.state() == ConnectionState.RECONNECTING);
    server = startServerOnPort(port, withOtherSecret());
    waitUntil("closed", () -> c.state() == ConnectionState.CLOSED);
    assertThat(c.closeCause().code()).isEqualTo(WsmsgException.UNAUTHORIZED);
    // asked once more after the first refusal, refused again: twice, then no more (the last
    // one is reported after the state became CLOSED)
    waitUntil("both refusals reported", () -> failures.stream().filter(e -> WsmsgException.UNAUTHORIZED.equals(e.code()))
        .count() >= 2);
    sleep(300); // the point: no third attempt within this interval
    assertThat(failures.stream().filter(e -> WsmsgException.UNAUTHORIZED.equals(e.code()))).hasSize(2);
  }

  @Test
  void aRefusedFirstConnectIsUnauthorizedWithItsStatus() {
    WsmsgException e = (WsmsgException) failure(WsmsgClient.connect(vertx, options().token("not-a-jwt")));
    assertThat(e.code()).isEqualTo(WsmsgException.UNAUTHORIZED);
    assertThat(e.httpStatus()).isEqualTo(401);
  }
}
