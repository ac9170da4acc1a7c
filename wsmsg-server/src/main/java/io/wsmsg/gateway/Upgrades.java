package io.wsmsg.gateway;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.wsmsg.auth.AuthException;
import io.wsmsg.auth.Authenticator;
import io.wsmsg.auth.Identity;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.WireOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * The way in: an HTTP request on the WebSocket port becomes a node once its connection is
 * admitted (connection limits, handshake deadline), its parameters are valid, its token is
 * verified off the event loop and allows the endpoint, and the endpoint fits the limits;
 * anything else is refused with an HTTP status and a reason. Gateway event loop only; its
 * lines are the gateway's log.
 */
final class Upgrades {
  private final GatewayVerticle gw;
  private final Authenticator authenticator;
  /** Refused upgrades: one line per 10 s at most for each HTTP status (see {@link #refuse}). */
  private final Map<Integer, RateLimitedLog> refusedLogs = new HashMap<>();
  private Admission admission;
  /** Where token signatures are verified: never on this gateway's event loop (see {@link #verify}). */
  private io.vertx.core.WorkerExecutor verifiers;

  Upgrades(GatewayVerticle gw, Authenticator authenticator) {
    this.gw = gw;
    this.authenticator = authenticator;
  }

  /** Before the port listens. */
  void start() {
    // shared by the node's gateway instances (see Gateways): the limits are the node's
    admission = gw.admission != null ? gw.admission : new Admission(gw.getVertx(), gw.config, gw.counters, gw.log);
    // One thread per two cores at most: a burst of RS256/ES256 logins then takes at most half
    // of the machine, and the event loops keep serving connected nodes.
    verifiers = Authenticator.verifierPool(gw.getVertx());
  }

  void close() {
    if (verifiers != null) verifiers.close();
  }

  /** A node left: its place under the connection limits is free. */
  void release(Admission.Conn conn) {
    admission.release(conn);
  }

  void onConnection(io.vertx.core.http.HttpConnection c) {
    Admission.Conn conn = admission.accept(c);
    if (gw.config.compression && !conn.refused()) boundInflation(conn);
  }

  /**
   * Vert.x builds Netty's deflate handshakers without an inflation bound. Netty 4.2 can bound
   * each frame's inflated size (maxAllocation; beyond it the inflater throws instead of growing
   * its buffer), so Vert.x's extension handler is replaced by one with that bound set to
   * limits.maxFrameBytes. A fragmented message is then bounded by Vert.x's message limit as
   * without compression. If the handler cannot be replaced the connection is closed: never
   * inflate without a bound.
   */
  private void boundInflation(Admission.Conn conn) {
    String name = "webSocketExtensionHandler";
    try {
      io.netty.channel.ChannelPipeline p = ((io.vertx.core.net.impl.ConnectionBase) conn.connection).channel().pipeline();
      if (p.get(name) == null) throw new IllegalStateException("no " + name + " in the pipeline");
      int max = gw.config.maxFrameBytes;
      p.replace(name, name, new io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler(
          new io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker(
              HttpServerOptions.DEFAULT_WEBSOCKET_COMPRESSION_LEVEL,
              io.netty.handler.codec.compression.ZlibCodecFactory.isSupportingWindowSizeAndMemLevel(), 15, false, false,
              max),
          new io.netty.handler.codec.http.websocketx.extensions.compression.DeflateFrameServerExtensionHandshaker(
              HttpServerOptions.DEFAULT_WEBSOCKET_COMPRESSION_LEVEL, max)));
    } catch (RuntimeException e) {
      gw.log.severe("limits.compression is on but inflation cannot be bounded with this Vert.x/Netty (" + e
          + "): closing the connection; turn limits.compression off");
      conn.connection.close();
    }
  }

  /**
   * Verifies a token away from this event loop, which serves every connected node: an RS256
   * signature costs 50-100 us of CPU and an ES256 one 1-2 ms on a small machine (JDK 17, two
   * busy cores), so a burst of logins stalled every delivery. Measured with 300 ES256 logins
   * at once (SlowlorisTest): a connected node's median round trip was 0.9-2.9 s with the
   * verification here, 0.6-2.8 ms with it on workers.
   * Unordered, on a small dedicated pool ({@link #verifiers}): a slow verification holds up
   * no other, and a flood of logins cannot occupy the shared worker pool that snapshots use.
   * Outstanding verifications are bounded by limits.maxPendingUpgrades, since each pending
   * connection has at most one request in progress (its request is paused until answered).
   * Without a token check to make (auth mode none), no thread is involved.
   */
  private Future<Identity> verify(String token) {
    return authenticator.authenticateOn(verifiers, token);
  }

  void onRequest(HttpServerRequest req) {
    Admission.Conn conn = admission.of(req.connection());
    if (conn != null && conn.refused()) {
      answer(req, conn.refusedStatus, conn.refusedWhy); // counted by Admission
      return;
    }
    String upgrade = req.getHeader(HttpHeaders.UPGRADE);
    if (upgrade == null || !"websocket".equalsIgnoreCase(upgrade)) {
      refuse(req, Counters.Refusal.BAD_REQUEST, 426,
          "this is the wsmsg WebSocket port: connect with ws://host:port" + gw.config.root + "<endpoint>");
      return;
    }
    String endpointName;
    try {
      endpointName = EndpointPath.parse(req.path(), gw.config.root);
    } catch (IllegalArgumentException e) {
      refuse(req, Counters.Refusal.BAD_REQUEST, 400, e.getMessage());
      return;
    }
    int window = gw.config.window;
    String w = req.getParam("window");
    if (w != null) {
      try {
        window = Integer.parseInt(w);
      } catch (NumberFormatException e) {
        window = -1;
      }
      if (window < 1 || window > gw.config.maxWindow) {
        refuse(req, Counters.Refusal.BAD_REQUEST, 400,
            "window must be an integer from 1 to " + gw.config.maxWindow + ", not \"" + w + "\"");
        return;
      }
    }
    WireOrder order = null;
    String o = req.getParam("order");
    if (o != null) {
      order = WireOrder.parse(o);
      if (order == null) {
        refuse(req, Counters.Refusal.BAD_REQUEST, 400, "order must be seed or legacy, not \"" + o + "\"");
        return;
      }
    }
    Boolean ephemeral = flag(req, "ephemeral");
    // paused=1: the node starts paused (as if its first frame were pause) and gets no delivery
    // until it sends resume; a node that only publishes on a shared endpoint takes none of it
    Boolean paused = ephemeral == null ? null : flag(req, "paused");
    if (ephemeral == null || paused == null) return;
    if (gw.stopping) {
      refuse(req, Counters.Refusal.STOPPING, conn, 503, endpointName, "the server is stopping");
      return;
    }
    String token = bearer(req);
    boolean finalEphemeral = ephemeral;
    boolean finalPaused = paused;
    int finalWindow = window;
    WireOrder finalOrder = order;
    req.pause();
    verify(token).onComplete(ar -> {
      try {
        upgradeChecked(req, conn, ar, endpointName, finalWindow, finalOrder, finalEphemeral, finalPaused);
      } catch (RuntimeException e) {
        // never leave a paused request unanswered, whatever went wrong
        gw.log.warning("refused a connection from " + req.remoteAddress() + ": " + e.getMessage());
        if (!req.response().ended()) answer(req, 400, "the request could not be handled");
      }
    });
  }

  private void upgradeChecked(HttpServerRequest req, Admission.Conn conn, io.vertx.core.AsyncResult<Identity> ar,
      String endpointName, int finalWindow, WireOrder finalOrder, boolean ephemeral, boolean paused) {
    {
      if (ar.failed()) {
        String why = ar.cause() instanceof AuthException ? ar.cause().getMessage() : "the token could not be checked";
        why = printable(why);
        req.response().putHeader("WWW-Authenticate",
            "Bearer error=\"invalid_token\", error_description=\"" + why.replace('"', '\'').replace('\\', '/') + "\"");
        refuse(req, Counters.Refusal.UNAUTHORIZED, conn, 401, endpointName, why);
        return;
      }
      Identity id = ar.result();
      if (!id.permissions().mayAttach(endpointName)) {
        refuse(req, Counters.Refusal.FORBIDDEN, conn, 403, endpointName,
            "your token does not allow endpoint " + endpointName);
        return;
      }
      if (!gw.registry.hasEndpoint(endpointName) && gw.registry.endpointCount() >= gw.config.maxEndpoints) {
        refuse(req, Counters.Refusal.MAX_ENDPOINTS, conn, 503, endpointName,
            "the server holds its maximum of " + gw.config.maxEndpoints
            + " endpoints (limits.maxEndpoints)");
        return;
      }
      if (!gw.registry.hasEndpoint(endpointName)) {
        String no = gw.registry.quotaRefusal(id.subject(), id.quotas(), io.wsmsg.registry.QuotaBook.ENDPOINTS,
            "endpoint " + endpointName);
        if (no != null) {
          refuse(req, Counters.Refusal.ENDPOINT_QUOTA, conn, 429, endpointName, printable(no));
          return;
        }
      }
      req.resume();
      if (conn != null && conn.released) return; // closed (or timed out) while its token was checked
      req.toWebSocket().onComplete(ws -> {
        if (ws.succeeded()) upgraded(ws.result(), conn, endpointName, id, finalWindow, finalOrder, ephemeral, paused);
      });
    }
  }

  /**
   * A yes/no connect parameter: 1/true or 0/false, false when absent; anything else is
   * refused with 400 and null is returned.
   */
  private Boolean flag(HttpServerRequest req, String name) {
    String v = req.getParam(name);
    if (v == null || v.equals("0") || v.equals("false")) return false;
    if (v.equals("1") || v.equals("true")) return true;
    refuse(req, Counters.Refusal.BAD_REQUEST, 400, name + " must be 1 or 0, not \"" + printable(v) + "\"");
    return null;
  }

  /** Text that is safe in a header and a log line: no control characters, bounded length. */
  private static String printable(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 200));
    for (int i = 0; i < s.length() && b.length() < 200; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c == 0x7f || c > 0x7e ? '?' : c);
    }
    return b.toString();
  }

  /** The token from {@code Authorization: Bearer ...}, else the {@code access_token} parameter. */
  private static String bearer(HttpServerRequest req) {
    String h = req.getHeader(HttpHeaders.AUTHORIZATION);
    if (h != null) {
      h = h.trim();
      if (h.regionMatches(true, 0, "Bearer ", 0, 7)) return h.substring(7).trim();
      return h; // a bare token; the authenticator will say what is wrong with it
    }
    return req.getParam("access_token");
  }

  /**
   * Refuses an upgrade the operator should hear of (401, 403, 429, 503): one INFO line per
   * status per 10 s at most, with the reason, the client's address and the endpoint; never the
   * token (a refusal's reason names none).
   */
  private void refuse(HttpServerRequest req, Counters.Refusal reason, Admission.Conn conn, int status, String endpoint,
      String why) {
    gw.counters.refused(reason);
    String from = conn != null ? conn.ip
        : req.remoteAddress() == null ? "?" : String.valueOf(req.remoteAddress().hostAddress());
    refusedLogs.computeIfAbsent(status, k -> new RateLimitedLog(gw.log, java.util.logging.Level.INFO, 10_000))
        .log("refused a connection from " + from + " to endpoint " + endpoint + ": HTTP " + status + ", " + why);
    answer(req, status, why);
  }

  /** Counts the refusal by its reason, then answers. */
  private void refuse(HttpServerRequest req, Counters.Refusal reason, int status, String why) {
    gw.counters.refused(reason);
    answer(req, status, why);
  }

  /** Answers and closes the connection: a refused client frees its slot at once. */
  private void answer(HttpServerRequest req, int status, String why) {
    req.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
        .putHeader(HttpHeaders.CONNECTION, "close")
        .end(why + "\n");
  }

  /** The WebSocket is open: the node attaches, unless its connection's deadline passed meanwhile. */
  private void upgraded(ServerWebSocket ws, Admission.Conn conn, String endpointName, Identity id, int window,
      WireOrder order, boolean ephemeral, boolean paused) {
    if (conn != null && conn.released) {
      ws.close((short) 1008, "handshake timeout"); // the deadline passed just as the upgrade completed
      return;
    }
    admission.upgraded(conn);
    gw.attach(ws, conn, endpointName, id, window, order, ephemeral, paused);
  }
}
