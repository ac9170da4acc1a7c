package io.wsmsg.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.metrics.Counters;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Which TCP connections the gateway takes, before any of their bytes are read: at most
 * limits.maxConnections admitted connections (upgraded or not), limits.maxConnectionsPerIp
 * of them from one address, and limits.maxPendingUpgrades not upgraded yet. An admitted
 * connection that has not completed its upgrade within limits.handshakeTimeoutSeconds is
 * closed (slowloris: requests sent a byte at a time, or never finished).
 *
 * <p>A connection over a bound is refused when its request arrives (an HTTP status and a
 * one-line body, then closed), and closed without an answer if no request arrives within
 * {@link #REFUSED_GRACE_MILLIS}: a refused connection must not hold a socket for long.
 *
 * <p>One admission serves every gateway instance of a node (gateway.instances), so the limits
 * hold for the node whatever instance a connection lands on: its methods take a lock, held for
 * a few counter updates per connection, never per message.
 */
final class Admission {
  /** How long a refused connection may take to send the request its refusal answers. */
  static final long REFUSED_GRACE_MILLIS = 2000;

  /** One accepted TCP connection. */
  static final class Conn {
    final HttpConnection connection;
    final String ip;
    /** Null when admitted; else the HTTP status and text its request is answered with. */
    final int refusedStatus;
    final String refusedWhy;
    boolean upgraded;
    boolean released;
    /** A refused connection kept open briefly to be told why (counted in refusedHeld). */
    boolean held;
    long timer = -1;

    Conn(HttpConnection connection, String ip, int refusedStatus, String refusedWhy) {
      this.connection = connection;
      this.ip = ip;
      this.refusedStatus = refusedStatus;
      this.refusedWhy = refusedWhy;
    }

    boolean refused() {
      return refusedWhy != null;
    }
  }

  private final Vertx vertx;
  private final ServerConfig config;
  private final Counters counters;
  private final Logger log;
  private final Map<HttpConnection, Conn> conns = new IdentityHashMap<>();
  private final Map<String, int[]> perIp = new HashMap<>();
  private int admitted;
  /** Refused connections waiting for the request their refusal answers: bounded too. */
  private int refusedHeld;
  private final RateLimitedLog refusedLog;
  private final RateLimitedLog timeoutLog;

  Admission(Vertx vertx, ServerConfig config, Counters counters, Logger log) {
    this.vertx = vertx;
    this.config = config;
    this.counters = counters;
    this.log = log;
    this.refusedLog = new RateLimitedLog(log, 10_000);
    this.timeoutLog = new RateLimitedLog(log, 10_000);
  }

  /** A new TCP connection: admitted or marked refused, and its deadline set. */
  synchronized Conn accept(HttpConnection c) {
    String ip = c.remoteAddress() == null ? "?" : String.valueOf(c.remoteAddress().hostAddress());
    int status = 0;
    String why = null;
    Counters.Refusal reason = null;
    int[] fromIp = perIp.get(ip);
    if (admitted >= config.maxConnections) {
      status = 503;
      why = "the server holds its maximum of " + config.maxConnections + " connections (limits.maxConnections)";
      reason = Counters.Refusal.MAX_CONNECTIONS;
    } else if (fromIp != null && fromIp[0] >= config.maxConnectionsPerIp) {
      status = 429;
      why = "too many connections from your address: at most " + config.maxConnectionsPerIp
          + " (limits.maxConnectionsPerIp)";
      reason = Counters.Refusal.PER_IP;
    } else if (counters.pendingUpgrades.get() >= config.maxPendingUpgrades) {
      status = 503;
      why = "too many connections are waiting for their upgrade: at most " + config.maxPendingUpgrades
          + " (limits.maxPendingUpgrades); try again shortly";
      reason = Counters.Refusal.PENDING_UPGRADES;
    }
    Conn conn = new Conn(c, ip, status, why);
    conns.put(c, conn);
    if (reason != null) {
      counters.refused(reason);
      refusedLog.log("refusing connections: " + why + " (this one from " + ip + ")");
      if (refusedHeld >= config.maxPendingUpgrades) {
        // a connect flood: beyond as many as may wait for an upgrade, refusals are not explained
        c.close();
      } else {
        conn.held = true;
        refusedHeld++;
        conn.timer = vertx.setTimer(Math.min(REFUSED_GRACE_MILLIS, config.handshakeTimeoutMillis), t -> {
          synchronized (this) {
            conn.timer = -1;
          }
          c.close();
        });
      }
    } else {
      admitted++;
      counters.pendingUpgrades.incrementAndGet();
      if (fromIp == null) perIp.put(ip, fromIp = new int[1]);
      fromIp[0]++;
      conn.timer = vertx.setTimer(config.handshakeTimeoutMillis, t -> {
        synchronized (this) {
          conn.timer = -1;
          if (conn.upgraded || conn.released) return;
          release(conn);
        }
        counters.refused(Counters.Refusal.HANDSHAKE_TIMEOUT);
        timeoutLog.log("closed a connection from " + ip + " that had not completed its WebSocket upgrade within "
            + config.handshakeTimeoutMillis + " ms (limits.handshakeTimeoutSeconds)");
        c.close();
      });
    }
    c.closeHandler(v -> release(conn));
    return conn;
  }

  /** The state of the connection a request came on (null if unknown, which should not happen). */
  synchronized Conn of(HttpConnection c) {
    return conns.get(c);
  }

  /** The upgrade completed: no longer pending, still counted until it closes. */
  synchronized void upgraded(Conn conn) {
    if (conn == null || conn.upgraded || conn.released) return;
    conn.upgraded = true;
    counters.pendingUpgrades.decrementAndGet();
    if (conn.timer >= 0) vertx.cancelTimer(conn.timer);
    conn.timer = -1;
    // the HTTP connection's own close handler may not be called once the socket is a WebSocket:
    // the session releases it instead (GatewayVerticle.detach)
  }

  /** The connection is gone (or given up on): frees its slots. Idempotent. */
  synchronized void release(Conn conn) {
    if (conn == null || conn.released) return;
    conn.released = true;
    conns.remove(conn.connection);
    if (conn.timer >= 0) vertx.cancelTimer(conn.timer);
    conn.timer = -1;
    if (conn.held) refusedHeld--;
    if (conn.refused()) return;
    admitted--;
    if (!conn.upgraded) counters.pendingUpgrades.decrementAndGet();
    int[] n = perIp.get(conn.ip);
    if (n != null && --n[0] <= 0) perIp.remove(conn.ip);
  }
}
