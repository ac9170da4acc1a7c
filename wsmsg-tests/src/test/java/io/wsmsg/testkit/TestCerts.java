package io.wsmsg.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Development certificates for tests, made once per test JVM by {@code scripts/gen-certs.sh}
 * (so the script the README tells users to run is exercised too) in a temporary directory.
 */
public final class TestCerts {
  private static Path dir;

  private TestCerts() {}

  /** The directory holding ca.pem/.key, server.pem/.key, cluster-ca.pem/.key and gateway1..3.pem/.key. */
  public static synchronized Path dir() {
    if (dir == null) {
      try {
        Path d = Files.createTempDirectory("wsmsg-certs");
        Process p = new ProcessBuilder("bash", "scripts/gen-certs.sh", "--out", d.toString(), "--gateways", "3")
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new IllegalStateException("scripts/gen-certs.sh failed: " + out);
        }
        dir = d;
      } catch (IOException e) {
        throw new IllegalStateException("cannot run scripts/gen-certs.sh: " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return dir;
  }

  public static Path ca() {
    return dir().resolve("ca.pem");
  }

  /** The CA of member certificates only (cluster.tls.ca); the server certificate is not from it. */
  public static Path clusterCa() {
    return dir().resolve("cluster-ca.pem");
  }

  public static Path serverCert() {
    return dir().resolve("server.pem");
  }

  public static Path serverKey() {
    return dir().resolve("server.key");
  }

  /** Member certificate of gateway {@code n} (1..3), for cluster.tls.cert, signed by {@link #clusterCa()}. */
  public static Path memberCert(int n) {
    return dir().resolve("gateway" + n + ".pem");
  }

  public static Path memberKey(int n) {
    return dir().resolve("gateway" + n + ".key");
  }
}
