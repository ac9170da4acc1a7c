package io.wsmsg.gateway;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Stopping the gateway: tell every node, stop deliveries (freeze), capture the queues for the
 * snapshot or hand them to other members, tell them this member leaves, close. The server
 * calls these steps in order from any thread; each runs on the gateway's event loop.
 */
final class Shutdown {
  private final GatewayVerticle gw;
  /** The uid of the stop command that is stopping this server, if a command did. */
  private volatile byte[] stopCause;

  Shutdown(GatewayVerticle gw) {
    this.gw = gw;
  }

  /**
   * The stop command {@code cause} (its uid) asked for a stop: the {@code stopping} notices
   * reference it, as events reference the command that caused them (SPEC section 6).
   */
  void requestStop(String why, byte[] cause) {
    stopCause = cause;
    gw.ownership.stopAll(why, cause); // every member (this one too) stops and persists its share
  }

  /** The uid of the stop command behind this stop (null for a signal or a leave). */
  void stopCause(byte[] cause) {
    stopCause = cause;
  }

  /** Step one of a graceful stop: refuse new publishes, tell every node. */
  Future<Void> beginStop() {
    return gw.onLoop(() -> {
      gw.stopping = true;
      for (Session s : gw.sessions()) s.sendNotice("stopping", List.of(), stopCause);
      gw.ownership.stopTakingDeliveries(); // nodes served through owners elsewhere: see there
      return null;
    });
  }

  /**
   * A graceful leave from a cluster: deliveries stop, and each owned endpoint goes with its
   * queue to the member that takes it over. Completes with the queues nobody took (they go
   * into the snapshot).
   */
  Future<HandOff> handOffAll() {
    Promise<HandOff> p = Promise.promise();
    gw.loop().runOnContext(v -> {
      gw.endpoints.frozen = true;
      try {
        gw.ownership.handOffAll().onComplete(p);
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return p.future();
  }

  /**
   * Stops all deliveries and returns every endpoint's queued messages in dequeue order (see
   * {@link EndpointTable#freezeAndCapture}).
   */
  Future<Map<String, List<Queued>>> freezeAndCapture() {
    return gw.onLoop(gw.endpoints::freezeAndCapture);
  }

  /**
   * Tells the other members this one is leaving and has taken care of everything they sent it
   * (after the handoff or the snapshot, before the connections close), so none of it is sent
   * again once it is gone.
   */
  Future<Void> announceLeaving() {
    Promise<Void> p = Promise.promise();
    gw.loop().runOnContext(v -> gw.ownership.announceLeaving().onComplete(p));
    return p.future();
  }

  /** Last step: close every connection with 1001 and the listening socket. */
  Future<Void> closeAll(HttpServer server) {
    Promise<Void> done = Promise.promise();
    gw.loop().runOnContext(v -> {
      for (Session s : new ArrayList<>(gw.sessions())) s.close((short) 1001, "server stopping");
      if (server == null) done.complete(); // it never listened
      else server.close().onComplete(done);
    });
    return done.future();
  }
}
