package io.wsmsg.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates a TLS test needs beside {@link TestCerts}' good ones, made with openssl as
 * users would: an expired server certificate, one from another CA, and a fresh certificate
 * from the same CA (a renewal, for reload tests).
 */
public final class TlsCerts {
  private TlsCerts() {}

  /** A certificate and its key. */
  public record Pair(Path cert, Path key) {}

  /** A server certificate (SANs localhost, 127.0.0.1) signed by TestCerts' CA that expired in 2020. */
  public static Pair expiredServer() {
    return signed("wsmsg expired", "DNS:localhost,IP:127.0.0.1", "20200101000000Z", "20200201000000Z");
  }

  /** A valid certificate from TestCerts' CA made out to another host only (a name mismatch). */
  public static Pair elsewhere() {
    String from = java.time.format.DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(java.time.ZoneOffset.UTC)
        .format(java.time.Instant.now().minusSeconds(3600));
    return signed("wsmsg elsewhere", "DNS:elsewhere.example", from, "20991231000000Z");
  }

  /** A certificate signed by TestCerts' CA with the given SANs and validity (openssl ca -startdate/-enddate). */
  public static synchronized Pair signed(String cn, String san, String start, String end) {
    try {
      Path d = Files.createTempDirectory("wsmsg-signed");
      run(d, "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "exp.key");
      run(d, "openssl", "req", "-new", "-key", "exp.key", "-subj", "/CN=" + cn, "-out", "exp.csr");
      Files.writeString(d.resolve("index.txt"), "");
      Files.writeString(d.resolve("serial.txt"), "01\n");
      // openssl x509 cannot backdate in 3.0: openssl ca can (-startdate/-enddate)
      Files.writeString(d.resolve("ca.cnf"), String.join("\n", List.of(
          "[ca]", "default_ca = dev", "[dev]", "database = index.txt", "new_certs_dir = .", "serial = serial.txt",
          "default_md = sha256", "policy = any", "unique_subject = no", "[any]", "commonName = supplied", "[ext]",
          "basicConstraints = CA:FALSE", "keyUsage = critical,digitalSignature,keyAgreement",
          "extendedKeyUsage = serverAuth,clientAuth", "subjectAltName = " + san, "")));
      run(d, "openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", TestCerts.ca().toString(), "-keyfile",
          TestCerts.dir().resolve("ca.key").toString(), "-in", "exp.csr", "-out", "exp.pem", "-startdate",
          start, "-enddate", end, "-extensions", "ext", "-notext");
      return new Pair(d.resolve("exp.pem"), d.resolve("exp.key"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A directory made by gen-certs.sh with a CA of its own: its server.pem is "from the wrong CA". */
  public static Path otherCa() {
    try {
      Path d = Files.createTempDirectory("wsmsg-other-ca");
      run(Path.of("."), "bash", "scripts/gen-certs.sh", "--out", d.toString(), "--gateways", "1");
      return d;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new server certificate and key signed by TestCerts' CA (another serial): a renewal. */
  public static Pair renewedServer() {
    try {
      Path d = Files.createTempDirectory("wsmsg-renewed");
      Files.copy(TestCerts.ca(), d.resolve("ca.pem"), StandardCopyOption.REPLACE_EXISTING);
      Files.copy(TestCerts.dir().resolve("ca.key"), d.resolve("ca.key"), StandardCopyOption.REPLACE_EXISTING);
      run(Path.of("."), "bash", "scripts/gen-certs.sh", "--out", d.toString(), "--gateways", "0");
      return new Pair(d.resolve("server.pem"), d.resolve("server.key"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static void run(Path dir, String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + cmd[0] + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
