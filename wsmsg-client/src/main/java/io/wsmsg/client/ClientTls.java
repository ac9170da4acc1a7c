package io.wsmsg.client;

import io.wsmsg.security.Pem;

import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * How a client checks the server and proves itself: the CA to trust instead of the JVM's
 * default CAs ({@code ca}; null = the JVM's), whether to check nothing ({@code insecure}: development certificates only;
 * anyone between client and server can then read and change the traffic), and a client
 * certificate for servers that ask for one (tls.clientCa).
 */
public record ClientTls(Path ca, boolean insecure, Path cert, Path key) {
  public static final ClientTls DEFAULT = new ClientTls(null, false, null, null);

  /** Sets these on a Vert.x WebSocket client (used by connections made with setSsl(true)). */
  public WebSocketClientOptions apply(WebSocketClientOptions o) {
    o.setEnabledSecureTransportProtocols(io.wsmsg.security.TlsVersions.ALLOWED);
    if (insecure) {
      o.setTrustAll(true).setVerifyHost(false);
    } else if (ca != null) {
      o.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString()));
    }
    if (cert != null) o.setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString()));
    return o;
  }

  /** An SSLContext for the JDK's HttpClient (the management port's https://). */
  public SSLContext sslContext() {
    try {
      TrustManager[] trust = null;
      if (insecure) {
        trust = new TrustManager[] {new TrustAll()};
      } else if (ca != null) {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (X509Certificate c : Pem.certificates(ca, "--ca")) ks.setCertificateEntry("ca" + i++, c);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        trust = tmf.getTrustManagers();
      }
      javax.net.ssl.KeyManager[] keys = null;
      if (cert != null) {
        List<X509Certificate> chain = Pem.certificates(cert, "--cert");
        PrivateKey pk = Pem.privateKey(key, "--key");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = "wsmsg".toCharArray();
        ks.setKeyEntry("client", pk, pw, chain.toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        keys = kmf.getKeyManagers();
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(keys, trust, null);
      return ctx;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  /**
   * A failed connection to {@code url} as a sentence a user can act on when TLS (or its
   * absence) is why; null when it is something else.
   */
  public static String explain(Throwable t, boolean ssl, String host) {
    String all = "";
    boolean sslException = false;
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      sslException |= c instanceof javax.net.ssl.SSLException;
      if (c instanceof CertificateExpiredException) {
        return "the server's TLS certificate has expired (" + c.getMessage() + "): the server must renew it;"
            + " clients refuse expired certificates";
      }
      if (c instanceof CertificateNotYetValidException) {
        return "the server's TLS certificate is not valid yet (" + c.getMessage() + "): check the clocks of both"
            + " machines";
      }
      all += " " + c.getMessage();
    }
    String m = all.toLowerCase(Locale.ROOT);
    if (m.contains("pkix path") || m.contains("unable to find valid certification path")
        || m.contains("signature check failed") || m.contains("trust anchor")) {
      return "the server's TLS certificate was not trusted: it is not signed by a CA this client knows; give the CA"
          + " that signed it with --ca FILE (ClientOptions.trustCa), or --insecure for a development certificate"
          + " (unsafe)";
    }
    if (m.contains("no subject alternative") || m.contains("no name matching")) {
      return "the server's TLS certificate is not made out to " + host + " (" + all.trim() + "): connect with a name"
          + " it lists, or make one that lists " + host + " (scripts/gen-certs.sh --host " + host + ")";
    }
    if (m.contains("not an ssl/tls record") || m.contains("unrecognized ssl message")) {
      return "the server does not speak TLS on this port: use ws:// (http:// for the management port), or set"
          + " tls.cert on the server";
    }
    // TLS 1.3: the server checks the client's certificate after the client thinks it is done,
    // so a refused (or missing) client certificate often shows as a closed connection
    if (ssl && (m.contains("bad_certificate") || m.contains("certificate_required") || m.contains("unknown_ca")
        || m.contains("closed while handshake") || m.contains("closed during handshake"))) {
      return "the server ended the TLS handshake (" + all.trim() + "): it likely requires a client certificate"
          + " signed by its tls.clientCa and got none, or one it does not trust; give --cert FILE --key FILE"
          + " (ClientOptions.clientCertificate)";
    }
    if (ssl && sslException) { // not on words alone: a WebSocket upgrade has a "handshake" too
      return "the TLS handshake failed: " + all.trim();
    }
    return null;
  }

  /** Accepts any certificate for any name: --insecure. */
  static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
