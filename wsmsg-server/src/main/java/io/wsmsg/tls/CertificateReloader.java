package io.wsmsg.tls;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.wsmsg.server.StartupException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the servers' certificate current without a restart: checks the modification times of
 * tls.cert, tls.key and tls.clientCa every tls.reloadSeconds and on SIGHUP, and when they
 * changed hands the new files to every registered {@link HttpServer} (the WebSocket port and,
 * with management.tls, the management port). Connections already open keep the certificate
 * they were made with; new ones get the new one. Files that do not load (half-written, a key
 * that does not match) are logged and the current certificate stays.
 */
public final class CertificateReloader {
  private static final Logger LOG = Logger.getLogger(CertificateReloader.class.getName());
  /** Warn at start and reload when the certificate expires sooner than this. */
  static final long EXPIRY_WARNING_MILLIS = 14L * 24 * 3600 * 1000;

  private final Vertx vertx;
  private final TlsSettings settings;
  /** Each server, and whether it asks clients for a certificate (the WebSocket port with tls.clientCa). */
  private final Map<HttpServer, Boolean> servers = new ConcurrentHashMap<>();
  private volatile TlsSettings.Material current;
  private volatile List<Long> stamps;
  private long timer = -1;
  private volatile boolean closed;

  private CertificateReloader(Vertx vertx, TlsSettings settings, TlsSettings.Material first) {
    this.vertx = vertx;
    this.settings = settings;
    this.current = first;
    this.stamps = stamps();
  }

  /**
   * Reads and checks the files; watches them when tls.reloadSeconds is above 0.
   *
   * @throws StartupException naming the file and what is wrong with it
   */
  public static CertificateReloader start(Vertx vertx, TlsSettings settings) {
    TlsSettings.Material m;
    try {
      m = settings.load();
    } catch (IllegalArgumentException e) {
      throw new StartupException("cannot use the TLS certificate: " + e.getMessage());
    }
    CertificateReloader r = new CertificateReloader(vertx, settings, m);
    LOG.info("TLS on: certificate " + m.describe() + (settings.clientCa() != null
        ? "; clients must show a certificate signed by " + settings.clientCa() : ""));
    r.warnExpiry(m);
    if (settings.reloadSeconds() > 0) {
      r.timer = vertx.setPeriodic(settings.reloadSeconds() * 1000L, id -> r.poll());
    }
    Sighup.add(r);
    return r;
  }

  /** The certificate in use. */
  public TlsSettings.Material current() {
    return current;
  }

  public TlsSettings settings() {
    return settings;
  }

  /** A server that gets the new certificate on every reload; {@code askClients} as it was started with. */
  public void register(HttpServer server, boolean askClients) {
    servers.put(Objects.requireNonNull(server), askClients);
  }

  public void unregister(HttpServer server) {
    servers.remove(server);
  }

  /** True when SIGHUP reloads (this JVM lets a handler be installed). */
  public static boolean reloadsOnSighup() {
    return Sighup.installed;
  }

  public void close() {
    closed = true;
    if (timer >= 0) vertx.cancelTimer(timer);
    Sighup.remove(this);
  }

  private void poll() {
    if (closed) return;
    vertx.<Boolean>executeBlocking(() -> !stamps().equals(stamps), false).onSuccess(changed -> {
      if (changed) reload("the files changed");
    });
  }

  /** Modification times and sizes of the files (-1 for one missing): a change means "read again". */
  private List<Long> stamps() {
    List<Long> s = new ArrayList<>();
    for (Path p : new Path[] {settings.cert(), settings.key(), settings.clientCa()}) {
      if (p == null) continue;
      try {
        s.add(Files.getLastModifiedTime(p).toMillis());
        s.add(Files.size(p));
      } catch (java.io.IOException e) {
        s.add(-1L);
        s.add(-1L);
      }
    }
    return s;
  }

  /**
   * Reads the files again and gives them to every registered server; completes with false
   * (and logs why) when they do not load, keeping the current certificate.
   */
  public Future<Boolean> reload(String why) {
    if (closed) return Future.succeededFuture(false);
    return vertx.<TlsSettings.Material>executeBlocking(() -> {
      stamps = stamps(); // what this attempt reads: a later change is tried again
      return settings.load();
    }, false).compose(m -> {
      List<Future<Boolean>> updates = new ArrayList<>();
      servers.forEach((s, ask) -> updates.add(s.updateSSLOptions(m.sslOptions(ask), true)));
      return Future.all(updates).map(v -> {
        current = m;
        LOG.info("reloaded TLS certificate " + m.describe() + " (" + why + ")");
        warnExpiry(m);
        return true;
      });
    }).recover(e -> {
      LOG.severe("TLS certificate not reloaded (" + why + "): " + e.getMessage() + "; still serving "
          + current.describe() + ". Fix the files; they are read again when they change or on SIGHUP");
      return Future.succeededFuture(false);
    });
  }

  private static void warnExpiry(TlsSettings.Material m) {
    long left = m.leaf().getNotAfter().getTime() - System.currentTimeMillis();
    if (left <= 0) {
      LOG.severe("the TLS certificate " + m.describe() + " has EXPIRED: clients refuse it; replace tls.cert and tls.key");
    } else if (left < EXPIRY_WARNING_MILLIS) {
      LOG.warning("the TLS certificate " + m.describe() + " expires in " + left / 3_600_000 / 24
          + " days; replace tls.cert and tls.key (reloaded without a restart)");
    }
  }

  /**
   * SIGHUP reloads every running server's certificate (one handler per JVM, so it is shared).
   * sun.misc.Signal is not in every JVM and a JVM run with -Xrs refuses it: then only the file
   * watch reloads, and this says so once.
   */
  static final class Sighup {
    private static final Set<CertificateReloader> LIVE = ConcurrentHashMap.newKeySet();
    private static boolean tried;
    private static volatile boolean installed;

    static synchronized void add(CertificateReloader r) {
      LIVE.add(r);
      if (tried) return;
      tried = true;
      try {
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
          for (CertificateReloader each : LIVE) each.reload("SIGHUP");
        });
        installed = true;
      } catch (Throwable e) { // NoClassDefFoundError, IllegalArgumentException (-Xrs, Windows)
        LOG.log(Level.WARNING, "SIGHUP cannot reload the TLS certificate in this JVM (" + e
            + "); it is reloaded when the files change (tls.reloadSeconds)");
      }
    }

    static void remove(CertificateReloader r) {
      LIVE.remove(r);
    }
  }
}
