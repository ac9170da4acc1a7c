package io.wsmsg.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.wsmsg.client.ClientOptions;
import io.wsmsg.client.ClientTls;
import io.wsmsg.security.Pem;
import io.wsmsg.client.Message;
import io.wsmsg.client.WsmsgClient;
import io.wsmsg.client.WsmsgException;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestCerts;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import io.wsmsg.testkit.TlsCerts;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** wss:// and https:// with real certificates on 127.0.0.1: what is accepted, what is refused and why, reload. */
class TlsServerTest extends ServerTestBase {
  private final List<WsmsgClient> clients = new ArrayList<>();
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void tearDown() {
    for (WsmsgClient c : clients) await(c.close().recover(e -> Future.succeededFuture()));
    await(vertx.close());
  }

  private TestServer tlsServer(JsonObject overrides) {
    return startTlsServer(overrides);
  }

  private ClientOptions options(TestServer s) {
    return new ClientOptions().url(s.url()).token(s.adminToken()).reconnect(false)
        .connectTimeout(Duration.ofSeconds(10));
  }

  private WsmsgClient connect(ClientOptions o) {
    WsmsgClient c = await(WsmsgClient.connect(vertx, o));
    clients.add(c);
    return c;
  }

  /** The connect failure's exception. */
  private WsmsgException refused(ClientOptions o) {
    Throwable t = catchFailure(WsmsgClient.connect(vertx, o));
    assertThat(t).isInstanceOf(WsmsgException.class);
    return (WsmsgException) t;
  }

  @Test
  void wssPubSubAndRequestReplyWithTheJavaClient() throws Exception {
    TestServer s = tlsServer(null);
    assertThat(s.url()).startsWith("wss://");
    WsmsgClient a = connect(options(s).trustCa(TestCerts.ca()));
    WsmsgClient b = connect(options(s).trustCa(TestCerts.ca()));
    LinkedBlockingQueue<Message> got = new LinkedBlockingQueue<>();
    await(b.consume("news", "*", got::add));
    await(a.publish("news", "hello", "over tls"));
    Message m = got.poll(30, TimeUnit.SECONDS);
    assertThat(m).isNotNull();
    assertThat(m.data()).isEqualTo("over tls");

    await(b.reply("math", "*.request", r -> Future.succeededFuture("pong " + r.data())));
    Message reply = await(a.request("math", "ping.request", "x", Duration.ofSeconds(20)));
    assertThat(reply.data()).isEqualTo("pong x");
  }

  @Test
  void plainWsToATlsPortIsRefused() {
    TestServer s = tlsServer(null);
    java.util.logging.Logger gw = java.util.logging.Logger.getLogger(io.wsmsg.gateway.GatewayVerticle.class.getName());
    List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler h = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        logged.add(r.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    gw.addHandler(h);
    try {
      WsmsgException e = refused(options(s).url("ws://127.0.0.1:" + s.port() + "/"));
      assertThat(e.code()).isEqualTo(WsmsgException.CONNECT_FAILED);
      assertThat(e.getMessage()).contains("wss://");
      // the operator is told once, and the plain request (with its token) is not in the log
      String line = Await.until("the refusal logged", () -> logged.stream()
          .filter(l -> l.contains("TLS handshake")).findFirst().orElse(null), java.util.Objects::nonNull);
      assertThat(line).contains("plain ws://").doesNotContain("Bearer").doesNotContain("474554");
    } finally {
      gw.removeHandler(h);
    }
  }

  /**
   * A connection that opens TCP and never starts the TLS handshake is closed after
   * limits.handshakeTimeoutSeconds, like one that stalls its upgrade: it is not yet an HTTP
   * connection, so the connection limits do not see it, and only this timeout frees the socket.
   */
  @Test
  void aConnectionThatNeverHandshakesIsClosedAfterTheHandshakeTimeout() throws Exception {
    TestServer s = tlsServer(new JsonObject().put("limits", new JsonObject().put("handshakeTimeoutSeconds", 1)));
    try (java.net.Socket raw = new java.net.Socket("127.0.0.1", s.port())) {
      // well past the 1 s set here, well short of Vert.x's own 10 s default: the setting is what closes it
      raw.setSoTimeout(6_000);
      assertThat(raw.getInputStream().read()).as("the server closed the silent connection").isEqualTo(-1);
    }
    // a real client still gets in
    connect(options(s).trustCa(TestCerts.ca()));
  }

  @Test
  void wssToAPlainPortSaysTheServerDoesNotSpeakTls() {
    TestServer plain = startServer();
    WsmsgException e = refused(options(plain).url("wss://127.0.0.1:" + plain.port() + "/").trustCa(TestCerts.ca()));
    assertThat(e.getMessage()).contains("does not speak TLS on this port").doesNotContain("485454");
  }

  @Test
  void aClientWithoutTheCaIsRefusedWithAClearError() {
    TestServer s = tlsServer(null);
    WsmsgException e = refused(options(s));
    assertThat(e.getMessage()).contains("certificate was not trusted").contains("--ca");
  }

  @Test
  void anExpiredServerCertificateIsRefusedWithAClearError() {
    TlsCerts.Pair expired = TlsCerts.expiredServer();
    TestServer s = tlsServer(new JsonObject().put("tls", new JsonObject()
        .put("cert", expired.cert().toString()).put("key", expired.key().toString())));
    WsmsgException e = refused(options(s).trustCa(TestCerts.ca()));
    assertThat(e.getMessage()).contains("certificate has expired");
  }

  @Test
  void aCertificateFromAnotherCaIsRefused() {
    Path other = TlsCerts.otherCa();
    TestServer s = tlsServer(new JsonObject().put("tls", new JsonObject()
        .put("cert", other.resolve("server.pem").toString()).put("key", other.resolve("server.key").toString())));
    WsmsgException e = refused(options(s).trustCa(TestCerts.ca()));
    assertThat(e.getMessage()).contains("not trusted");
    // trusting the right CA works: the refusal was about the CA, nothing else
    connect(options(s).trustCa(other.resolve("ca.pem")));
  }

  @Test
  void insecureAcceptsAnUntrustedCertificate() {
    TestServer s = tlsServer(null);
    connect(options(s).insecure(true));
  }

  @Test
  void aCertificateForAnotherHostIsRefusedUnlessInsecure() {
    TlsCerts.Pair elsewhere = TlsCerts.elsewhere();
    TestServer s = tlsServer(new JsonObject().put("tls", new JsonObject()
        .put("cert", elsewhere.cert().toString()).put("key", elsewhere.key().toString())));
    WsmsgException e = refused(options(s).trustCa(TestCerts.ca()));
    assertThat(e.getMessage()).contains("is not made out to 127.0.0.1");
    connect(options(s).insecure(true)); // insecure turns the host name check off too
  }

  @Test
  void mutualTlsRefusesAClientWithoutACertificateAndAcceptsOneSignedByTheClientCa() throws Exception {
    // client certificates from a CA of their own (here the development cluster CA), not the server's
    TestServer s = tlsServer(new JsonObject().put("tls", new JsonObject().put("clientCa", TestCerts.clusterCa().toString())));
    WsmsgException e = refused(options(s).trustCa(TestCerts.ca()));
    assertThat(e.getMessage()).contains("client certificate");
    Path other = TlsCerts.otherCa();
    WsmsgException wrong = refused(options(s).trustCa(TestCerts.ca())
        .clientCertificate(other.resolve("gateway1.pem"), other.resolve("gateway1.key")));
    assertThat(wrong.getMessage()).contains("client certificate");
    connect(options(s).trustCa(TestCerts.ca()).clientCertificate(TestCerts.memberCert(1), TestCerts.memberKey(1)));
    // the management port serves the certificate but asks for none: probes have no client certificate
    HttpClient http = HttpClient.newBuilder().sslContext(new ClientTls(TestCerts.ca(), false, null, null).sslContext())
        .connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.managementUrl() + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
  }

  @Test
  void tls11IsRefusedAndTls12And13Accepted() throws Exception {
    TestServer s = tlsServer(null);
    assertThat(sClient(s.port(), "-tls1_2").exit).isZero();
    assertThat(sClient(s.port(), "-tls1_3").exit).isZero();
    SClient old = sClient(s.port(), "-tls1_1");
    assertThat(old.exit).as(old.out).isNotZero();
  }

  @Test
  void replacedCertificateFilesAreServedToNewConnectionsWithoutARestart() throws Exception {
    Path dir = Files.createTempDirectory("wsmsg-live-cert");
    Path cert = dir.resolve("server.pem");
    Path key = dir.resolve("server.key");
    Files.copy(TestCerts.serverCert(), cert);
    Files.copy(TestCerts.serverKey(), key);
    TestServer s = tlsServer(new JsonObject().put("tls", new JsonObject()
        .put("cert", cert.toString()).put("key", key.toString()).put("reloadSeconds", 1)));
    BigInteger first = servedSerial(s.port());
    assertThat(first).isEqualTo(Pem.certificates(TestCerts.serverCert(), "t").get(0).getSerialNumber());
    WsmsgClient before = connect(options(s).trustCa(TestCerts.ca()));

    // a half-written or wrong pair keeps the current certificate
    Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nnot yet\n");
    Thread.sleep(2500); // the point: two reload periods pass and the served certificate stays
    assertThat(servedSerial(s.port())).isEqualTo(first);

    TlsCerts.Pair renewed = TlsCerts.renewedServer();
    BigInteger next = Pem.certificates(renewed.cert(), "t").get(0).getSerialNumber();
    Files.copy(renewed.key(), key, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(renewed.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
    Await.until("the renewed certificate served", () -> servedSerial(s.port()), next::equals);
    // current() is set once every server has the new one: a connection may see it a moment before
    Await.until("the reloader's current certificate", () -> s.server.certificates().current().leaf().getSerialNumber(),
        next::equals);
    // new connections work with it, and the one made before still does
    connect(options(s).trustCa(TestCerts.ca()));
    await(before.publish("still", "there", 1));
  }

  @Test
  void sighupReloadsTheCertificate() throws Exception {
    Path dir = Files.createTempDirectory("wsmsg-hup-cert");
    Path cert = dir.resolve("server.pem");
    Path key = dir.resolve("server.key");
    Files.copy(TestCerts.serverCert(), cert);
    Files.copy(TestCerts.serverKey(), key);
    TestServer s = tlsServer(new JsonObject().put("tls", new JsonObject()
        .put("cert", cert.toString()).put("key", key.toString()).put("reloadSeconds", 0)));
    org.junit.jupiter.api.Assumptions.assumeTrue(CertificateReloader.reloadsOnSighup(), "no SIGHUP in this JVM");
    TlsCerts.Pair renewed = TlsCerts.renewedServer();
    BigInteger next = Pem.certificates(renewed.cert(), "t").get(0).getSerialNumber();
    Files.copy(renewed.key(), key, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(renewed.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
    Thread.sleep(300); // the point: nothing reloads during this interval without the signal
    assertThat(servedSerial(s.port())).isNotEqualTo(next); // no file watch: nothing changes by itself
    new ProcessBuilder("kill", "-HUP", Long.toString(ProcessHandle.current().pid())).start().waitFor();
    Await.until("the certificate reloaded on SIGHUP", () -> servedSerial(s.port()), next::equals);
  }

  @Test
  void theManagementPortSpeaksHttpsWithTheSameCertificate() throws Exception {
    TestServer s = tlsServer(null);
    assertThat(s.managementUrl()).startsWith("https://");
    HttpClient http = HttpClient.newBuilder().sslContext(new ClientTls(TestCerts.ca(), false, null, null).sslContext())
        .connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.managementUrl() + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(servedSerial(s.server.managementPort()))
        .isEqualTo(Pem.certificates(TestCerts.serverCert(), "t").get(0).getSerialNumber());
    // plain http to it gets no answer
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + s.server.managementPort() + "/health")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);

    TestServer off = tlsServer(new JsonObject().put("management", new JsonObject().put("tls", false)));
    assertThat(off.managementUrl()).startsWith("http://");
    HttpResponse<String> r2 = plain.send(HttpRequest.newBuilder(URI.create(off.managementUrl() + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r2.statusCode()).isEqualTo(200);
  }

  @Test
  void unreadableOrMismatchedFilesStopTheStartWithASentence() {
    assertThatThrownBy(() -> startTlsServer(new JsonObject().put("tls", new JsonObject()
        .put("cert", "/nonexistent/server.pem"))))
        .hasMessageContaining("tls.cert /nonexistent/server.pem: no such file");
    assertThatThrownBy(() -> startTlsServer(new JsonObject().put("tls", new JsonObject()
        .put("key", TestCerts.memberKey(1).toString()))))
        .hasMessageContaining("does not belong to the certificate");
    assertThatThrownBy(() -> startServer(new JsonObject().put("tls", new JsonObject()
        .put("cert", TestCerts.serverCert().toString()))))
        .hasMessageContaining("tls.cert and tls.key go together");
  }

  // ---- helpers ----

  /** The serial of the certificate a new TLS connection to {@code port} is shown. */
  private static BigInteger servedSerial(int port) {
    try (SSLSocket sock = (SSLSocket) new ClientTls(null, true, null, null).sslContext().getSocketFactory()
        .createSocket("127.0.0.1", port)) {
      sock.setSoTimeout(10_000);
      sock.startHandshake();
      return ((X509Certificate) sock.getSession().getPeerCertificates()[0]).getSerialNumber();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  record SClient(int exit, String out) {}

  /** openssl s_client with one protocol version forced (the JDK client will not even offer TLS 1.1). */
  private static SClient sClient(int port, String version) throws Exception {
    Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, version,
        "-cipher", "DEFAULT@SECLEVEL=0", "-servername", "localhost")
        .redirectErrorStream(true).start();
    p.getOutputStream().close(); // s_client ends at EOF on stdin
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new SClient(p.exitValue(), out);
  }

  private static <T> T await(Future<T> f) {
    return TestNode.await(f);
  }

  private static Throwable catchFailure(Future<?> f) {
    try {
      f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("connected, but should have been refused");
  }
}
