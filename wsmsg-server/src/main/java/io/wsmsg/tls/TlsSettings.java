package io.wsmsg.tls;

import io.wsmsg.security.Pem;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.wsmsg.config.ServerConfig;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;

/**
 * The server's TLS settings (tls.* and management.tls): whether the WebSocket port speaks
 * wss://, with which certificate, and whether clients must show a certificate of their own.
 */
public record TlsSettings(Path cert, Path key, Path clientCa, int reloadSeconds, boolean management,
    long handshakeTimeoutMillis) {
  /** TLS 1.0 and 1.1 are broken and deprecated (RFC 8996): never offered. */
  public static final Set<String> PROTOCOLS = io.wsmsg.security.TlsVersions.ALLOWED;

  public static TlsSettings of(ServerConfig c) {
    return new TlsSettings(c.tlsCert, c.tlsKey, c.tlsClientCa, c.tlsReloadSeconds, c.managementTls,
        c.handshakeTimeoutMillis);
  }

  /** True when the WebSocket port speaks TLS. */
  public boolean enabled() {
    return cert != null;
  }

  /** True when the management port speaks TLS too. */
  public boolean managementEnabled() {
    return enabled() && management;
  }

  /**
   * The files as read now, checked (certificate and key parse, the key belongs to the
   * certificate, the client CA parses).
   *
   * @throws IllegalArgumentException with a sentence naming the file and what is wrong
   */
  public Material load() {
    byte[] certPem = Pem.read(cert, "tls.cert");
    byte[] keyPem = Pem.read(key, "tls.key");
    List<X509Certificate> chain = Pem.certificates(certPem, cert, "tls.cert");
    PrivateKey pk = Pem.privateKey(keyPem, key, "tls.key");
    if (!Pem.matches(pk, chain.get(0).getPublicKey())) {
      throw new IllegalArgumentException("tls.key " + key + " does not belong to the certificate in tls.cert " + cert
          + " (" + chain.get(0).getSubjectX500Principal().getName() + "): give the key the certificate was made for");
    }
    byte[] caPem = null;
    if (clientCa != null) {
      caPem = Pem.read(clientCa, "tls.clientCa");
      Pem.certificates(caPem, clientCa, "tls.clientCa");
    }
    return new Material(certPem, keyPem, caPem, chain.get(0), handshakeTimeoutMillis);
  }

  /** What {@link #load()} read: the bytes handed to Vert.x, and the leaf certificate for logs. */
  public record Material(byte[] certPem, byte[] keyPem, byte[] clientCaPem, X509Certificate leaf,
      long handshakeTimeoutMillis) {
    /**
     * The Vert.x SSL options of these files (the bytes, not the paths: a reload sees what was
     * checked); {@code askClients}: require a client certificate when tls.clientCa is set.
     */
    public ServerSSLOptions sslOptions(boolean askClients) {
      ServerSSLOptions o = new ServerSSLOptions()
          .setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(certPem)).setKeyValue(Buffer.buffer(keyPem)))
          .setEnabledSecureTransportProtocols(PROTOCOLS)
          // The TLS handshake comes before the connection is admitted (Admission counts HTTP
          // connections): a client that stalls it is held no longer than a stalled upgrade.
          .setSslHandshakeTimeout(Math.max(1, handshakeTimeoutMillis))
          .setSslHandshakeTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS);
      if (askClients && clientCaPem != null) {
        o.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(clientCaPem)));
        o.setClientAuth(ClientAuth.REQUIRED);
      }
      return o;
    }

    /** Turns TLS on in {@code opts} with these files; {@code askClients} as in {@link #sslOptions}. */
    public HttpServerOptions apply(HttpServerOptions opts, boolean askClients) {
      ServerSSLOptions s = sslOptions(askClients);
      opts.setSsl(true)
          .setKeyCertOptions(s.getKeyCertOptions())
          .setEnabledSecureTransportProtocols(PROTOCOLS)
          .setSslHandshakeTimeout(s.getSslHandshakeTimeout())
          .setSslHandshakeTimeoutUnit(s.getSslHandshakeTimeoutUnit());
      if (askClients && clientCaPem != null) {
        opts.setTrustOptions(s.getTrustOptions());
        opts.setClientAuth(ClientAuth.REQUIRED);
      }
      return opts;
    }

    public String describe() {
      return Pem.describe(leaf);
    }
  }
}
