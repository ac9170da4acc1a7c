package io.wsmsg.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/gen-certs.sh}, run as users run it (bash, the real openssl), into a temporary
 * directory: what it makes must be what cluster.sh, docker-compose.yml and the README rely on.
 */
class GenCertsScriptTest {
  @TempDir Path tmp;

  record Run(int exit, String out) {}

  static Run genCerts(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", "scripts/gen-certs.sh"));
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  static Run run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
    return new Run(p.exitValue(), out);
  }

  static X509Certificate cert(Path pem) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(pem)));
  }

  static List<String> sans(X509Certificate c) throws Exception {
    List<String> out = new ArrayList<>();
    for (List<?> san : c.getSubjectAlternativeNames()) out.add(String.valueOf(san.get(1)));
    return out;
  }

  /** openssl verify of NAME.pem against the CA that should sign it: cluster-ca.pem for members, ca.pem else. */
  static Run verify(Path dir, String name) throws Exception {
    return verify(dir, name, name.startsWith("gateway") ? "cluster-ca" : "ca");
  }

  static Run verify(Path dir, String name, String ca) throws Exception {
    return run(List.of("openssl", "verify", "-CAfile", dir.resolve(ca + ".pem").toString(),
        dir.resolve(name + ".pem").toString()));
  }

  @Test
  void makesCaServerAndOneMemberCertificatePerGatewayThatVerifyAgainstTheCa() throws Exception {
    Path dir = tmp.resolve("certs");
    Run r = genCerts("--out", dir.toString(), "--gateways", "2", "--host", "wsmsg.example.org", "--host", "10.1.2.3");
    assertThat(r.exit()).as(r.out()).isZero();

    for (String f : List.of("ca.pem", "ca.key", "cluster-ca.pem", "cluster-ca.key", "server.pem", "server.key",
        "gateway1.pem", "gateway1.key",
        "gateway2.pem", "gateway2.key")) {
      assertThat(dir.resolve(f)).as(f).isRegularFile();
    }
    assertThat(dir.resolve("gateway3.pem")).doesNotExist();
    // keys: their owner only; certificates are public
    Set<PosixFilePermission> ownerRw = PosixFilePermissions.fromString("rw-------");
    for (String k : List.of("ca.key", "cluster-ca.key", "server.key", "gateway1.key", "gateway2.key")) {
      assertThat(Files.getPosixFilePermissions(dir.resolve(k))).as(k).isEqualTo(ownerRw);
    }
    assertThat(Files.getPosixFilePermissions(dir.resolve("server.pem")))
        .contains(PosixFilePermission.OTHERS_READ).doesNotContain(PosixFilePermission.OTHERS_WRITE);

    X509Certificate server = cert(dir.resolve("server.pem"));
    assertThat(sans(server)).contains("localhost", "127.0.0.1", "gateway1", "gateway2", "wsmsg.example.org", "10.1.2.3");
    assertThat(sans(server).stream().anyMatch(s -> s.equals("0:0:0:0:0:0:0:1") || s.equals("::1"))).isTrue();
    assertThat(server.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1"); // serverAuth
    assertThat(server.getBasicConstraints()).isEqualTo(-1); // not a CA
    X509Certificate ca = cert(dir.resolve("ca.pem"));
    assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(server.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
    server.verify(ca.getPublicKey());

    for (String g : List.of("server", "gateway1", "gateway2")) {
      Run v = verify(dir, g);
      assertThat(v.exit()).as(v.out()).isZero();
      assertThat(v.out()).contains(": OK");
    }
    // members come from a CA of their own: the server certificate is no member, a member certificate
    // no server certificate for clients
    assertThat(verify(dir, "server", "cluster-ca").exit()).isNotZero();
    assertThat(verify(dir, "gateway1", "ca").exit()).isNotZero();
    // a member certificate authenticates both ends of an event-bus connection
    X509Certificate g1 = cert(dir.resolve("gateway1.pem"));
    assertThat(g1.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(sans(g1)).contains("gateway1", "localhost", "127.0.0.1");

    // each key is the private half of its certificate, in the PKCS#8 form Vert.x's PemKeyCertOptions reads
    for (String g : List.of("server", "gateway1", "gateway2")) {
      PrivateKey key = readPkcs8(dir.resolve(g + ".key"));
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(key);
      s.update(g.getBytes(StandardCharsets.UTF_8));
      byte[] sig = s.sign();
      s.initVerify(cert(dir.resolve(g + ".pem")).getPublicKey());
      s.update(g.getBytes(StandardCharsets.UTF_8));
      assertThat(s.verify(sig)).as("%s.key matches %s.pem", g, g).isTrue();
    }
  }

  @Test
  void aSecondRunKeepsTheCaAndCertificatesAndAddsGatewaysSignedByTheSameCa() throws Exception {
    Path dir = tmp.resolve("certs");
    assertThat(genCerts("--out", dir.toString(), "--gateways", "1").exit()).isZero();
    byte[] ca = Files.readAllBytes(dir.resolve("ca.pem"));
    byte[] caKey = Files.readAllBytes(dir.resolve("ca.key"));
    byte[] g1 = Files.readAllBytes(dir.resolve("gateway1.pem"));

    Run again = genCerts("--out", dir.toString(), "--gateways", "2");
    assertThat(again.exit()).as(again.out()).isZero();
    assertThat(again.out()).contains("kept " + dir.resolve("gateway1.pem")).contains("made " + dir.resolve("gateway2.pem"));
    assertThat(Files.readAllBytes(dir.resolve("ca.pem"))).isEqualTo(ca);
    assertThat(Files.readAllBytes(dir.resolve("ca.key"))).isEqualTo(caKey);
    assertThat(Files.readAllBytes(dir.resolve("gateway1.pem"))).isEqualTo(g1);
    Run v = verify(dir, "gateway2");
    assertThat(v.exit()).as(v.out()).isZero();
  }

  @Test
  void forceMakesANewCaAndResignsEverything() throws Exception {
    Path dir = tmp.resolve("certs");
    assertThat(genCerts("--out", dir.toString(), "--gateways", "1").exit()).isZero();
    byte[] ca = Files.readAllBytes(dir.resolve("ca.pem"));
    byte[] server = Files.readAllBytes(dir.resolve("server.pem"));
    byte[] g1 = Files.readAllBytes(dir.resolve("gateway1.pem"));
    Path oldCa = tmp.resolve("old-ca.pem");
    Files.write(oldCa, ca);

    Run forced = genCerts("--out", dir.toString(), "--gateways", "1", "--force");
    assertThat(forced.exit()).as(forced.out()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("ca.pem"))).isNotEqualTo(ca);
    assertThat(Files.readAllBytes(dir.resolve("server.pem"))).isNotEqualTo(server);
    assertThat(Files.readAllBytes(dir.resolve("gateway1.pem"))).isNotEqualTo(g1);
    assertThat(verify(dir, "gateway1").exit()).isZero();
    assertThat(verify(dir, "server").exit()).isZero();
    // nothing signed by the old CA is left: a member still holding it would be refused
    Run old = run(List.of("openssl", "verify", "-CAfile", oldCa.toString(), dir.resolve("gateway1.pem").toString()));
    assertThat(old.exit()).isNotZero();
  }

  @Test
  void aLostCaKeyMeansANewCaAndNewCertificatesNotAMixOfTwoCas() throws Exception {
    Path dir = tmp.resolve("certs");
    assertThat(genCerts("--out", dir.toString(), "--gateways", "1").exit()).isZero();
    byte[] g1 = Files.readAllBytes(dir.resolve("gateway1.pem"));
    byte[] server = Files.readAllBytes(dir.resolve("server.pem"));
    Files.delete(dir.resolve("cluster-ca.key"));
    assertThat(genCerts("--out", dir.toString(), "--gateways", "1").exit()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("gateway1.pem"))).isNotEqualTo(g1);
    assertThat(verify(dir, "gateway1").exit()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("server.pem"))).isEqualTo(server); // the other CA's are kept
    Files.delete(dir.resolve("ca.key"));
    assertThat(genCerts("--out", dir.toString(), "--gateways", "1").exit()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("server.pem"))).isNotEqualTo(server);
    assertThat(verify(dir, "server").exit()).isZero();
  }

  @Test
  void wrongArgumentsAreRefusedWithTheReason() throws Exception {
    Run unknown = genCerts("--out", tmp.resolve("x").toString(), "--bogus");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.out()).contains("unknown argument --bogus");
    Run gateways = genCerts("--out", tmp.resolve("x").toString(), "--gateways", "three");
    assertThat(gateways.exit()).isEqualTo(2);
    assertThat(gateways.out()).contains("--gateways must be a number");
    assertThat(tmp.resolve("x/ca.pem")).doesNotExist();
  }

  static PrivateKey readPkcs8(Path pem) throws IOException, Exception {
    String text = Files.readString(pem);
    assertThat(text).startsWith("-----BEGIN PRIVATE KEY-----"); // PKCS#8, unencrypted
    String b64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
  }
}
