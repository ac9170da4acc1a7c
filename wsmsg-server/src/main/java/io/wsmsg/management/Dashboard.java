package io.wsmsg.management;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The live dashboard on the management port: its page (static files from the jar, no CDN) at
 * {@code /}, and {@code /v1/live}, a server-sent-event stream of the node's figures once a
 * second. The page itself holds nothing secret; the stream is for admin tokens like the other
 * /v1 views (the page sends the token it is given in an Authorization header, never in a URL).
 * One snapshot a second is taken while any stream is open and written to all of them; a
 * stream whose reader does not keep up skips seconds rather than queueing them.
 */
final class Dashboard {
  static final String LIVE = "/v1/live";
  private static final String BASE = "/io/wsmsg/management/dashboard/";
  private static final long PERIOD_MS = 1000;
  /** The most streams at once: each costs a write a second, and the snapshot is shared. */
  static final int MAX_STREAMS = 64;

  private final Vertx vertx;
  /** The management verticle's loop: the streams and the timer are touched there only. */
  private final Context context;
  private final Supplier<Future<JsonObject>> snapshot;
  private final Set<HttpServerResponse> streams = new LinkedHashSet<>();
  private final Buffer page = resource("index.html");
  private final Buffer script = resource("dashboard.js");
  private final Buffer style = resource("dashboard.css");
  private long timer = -1;
  private boolean taking;

  /** Made on the management verticle's loop, whose context it keeps. */
  Dashboard(Vertx vertx, Supplier<Future<JsonObject>> snapshot) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.snapshot = snapshot;
  }

  private static Buffer resource(String name) {
    try (InputStream in = Dashboard.class.getResourceAsStream(BASE + name)) {
      if (in == null) throw new IllegalStateException("the jar holds no " + BASE + name);
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void page(RoutingContext rc) {
    serve(rc, page, "text/html; charset=utf-8");
  }

  void script(RoutingContext rc) {
    serve(rc, script, "text/javascript; charset=utf-8");
  }

  void style(RoutingContext rc) {
    serve(rc, style, "text/css; charset=utf-8");
  }

  private static void serve(RoutingContext rc, Buffer body, String type) {
    rc.response().putHeader("Content-Type", type)
        // everything the page needs comes from here; it talks to this port only
        .putHeader("Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Cache-Control", "no-cache")
        .end(body);
  }

  /** An admin's stream (the caller checked the token): an event now, then one a second. */
  void stream(RoutingContext rc) {
    HttpServerResponse res = rc.response();
    if (streams.size() >= MAX_STREAMS) {
      res.setStatusCode(503).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("error", MAX_STREAMS + " live streams are open already; close one").encode());
      return;
    }
    res.setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-store")
        .putHeader("X-Accel-Buffering", "no");
    res.write("retry: 2000\n\n");
    streams.add(res);
    res.closeHandler(v -> forget(res));
    res.exceptionHandler(e -> forget(res));
    take();
    if (timer < 0) timer = vertx.setPeriodic(PERIOD_MS, t -> take());
  }

  private void forget(HttpServerResponse res) {
    streams.remove(res);
    if (streams.isEmpty() && timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void take() {
    if (taking || streams.isEmpty()) return;
    taking = true;
    // the snapshot completes on whichever loop answered last: back to this one before touching state
    snapshot.get().onComplete(ar -> context.runOnContext(v -> {
      taking = false;
      if (ar.failed()) return;
      Buffer event = Buffer.buffer("event: status\ndata: ").appendString(ar.result().encode()).appendString("\n\n");
      for (HttpServerResponse res : Set.copyOf(streams)) {
        if (res.closed() || res.ended()) {
          forget(res);
        } else if (!res.writeQueueFull()) {
          res.write(event); // a slow reader skips this second instead of queueing it
        }
      }
    }));
  }

  /** Ends every stream (the verticle stops). */
  void close() {
    for (HttpServerResponse res : Set.copyOf(streams)) {
      if (!res.closed() && !res.ended()) res.end();
    }
    streams.clear();
    if (timer >= 0) vertx.cancelTimer(timer);
    timer = -1;
  }
}
