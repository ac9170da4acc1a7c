package io.wsmsg.tls;

import io.vertx.core.Handler;
import io.wsmsg.gateway.RateLimitedLog;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Failed TLS handshakes as one operator's line per 10 s at most, instead of Vert.x's SEVERE
 * stack per connection: any scanner or misconfigured client could otherwise flood the log.
 */
public final class HandshakeLog implements Handler<Throwable> {
  private final RateLimitedLog log;
  private final String port;

  public HandshakeLog(Logger logger, String port) {
    this.log = new RateLimitedLog(logger, Level.INFO, 10_000);
    this.port = port;
  }

  @Override
  public void handle(Throwable e) {
    String m = String.valueOf(e.getMessage());
    // Netty appends the bytes received, in hex: a plain request's Authorization header among them
    int colon = m.indexOf("not an SSL/TLS record");
    if (colon >= 0) m = "not an SSL/TLS record";
    if (m.length() > 200) m = m.substring(0, 200) + "...";
    String hint = "";
    String lower = m.toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("certificate_unknown") || lower.contains("unknown_ca") || lower.contains("bad_certificate")) {
      hint = " (the client does not trust this certificate: it needs the CA that signed tls.cert)";
    } else if (lower.contains("not an ssl/tls record")) {
      hint = " (the client spoke plain ws:// or http:// to this TLS port)";
    } else if (lower.contains("empty client certificate") || lower.contains("certificate_required")
        || lower.contains("path") || lower.contains("client certificate")) {
      hint = " (mutual TLS: the client showed no certificate signed by tls.clientCa)";
    } else if (lower.contains("protocol") || lower.contains("no appropriate")) {
      hint = " (the client offered no TLS version this server speaks: TLS 1.2 and 1.3 only)";
    }
    log.log("refused a connection on the " + port + " during the TLS handshake: " + m + hint);
  }
}
