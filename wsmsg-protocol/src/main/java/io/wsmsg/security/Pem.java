package io.wsmsg.security;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading PEM files with the JDK alone, each failure as a sentence naming the file and what
 * is wrong with it (an operator reads these at start and on reload).
 */
public final class Pem {
  private static final Pattern KEY = Pattern.compile(
      "-----BEGIN ([A-Z ]*)PRIVATE KEY-----([^-]*)-----END \\1PRIVATE KEY-----");
  static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

  private Pem() {}

  /** A file's bytes; the message says which setting named it and why it cannot be read. */
  public static byte[] read(Path file, String setting) {
    if (file == null) throw new IllegalArgumentException(setting + " is not set");
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException(setting + " " + file + ": no such file");
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(setting + " " + file + ": not readable by this user (check its permissions)");
    }
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(setting + " " + file + ": cannot be read: " + e.getMessage());
    }
  }

  /** The certificates of a PEM file, leaf first; at least one. */
  public static List<X509Certificate> certificates(byte[] pem, Path file, String setting) {
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      for (var c : cf.generateCertificates(new ByteArrayInputStream(pem))) out.add((X509Certificate) c);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException(setting + " " + file + ": not a PEM certificate (" + e.getMessage() + ")");
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(setting + " " + file + ": holds no certificate (-----BEGIN CERTIFICATE-----)");
    }
    return out;
  }

  public static List<X509Certificate> certificates(Path file, String setting) {
    return certificates(read(file, setting), file, setting);
  }

  /** An unencrypted PKCS#8 private key (EC, RSA or EdDSA). */
  public static PrivateKey privateKey(byte[] pem, Path file, String setting) {
    String text = new String(pem, StandardCharsets.US_ASCII);
    Matcher m = KEY.matcher(text);
    if (!m.find()) {
      throw new IllegalArgumentException(setting + " " + file + ": holds no private key (-----BEGIN PRIVATE KEY-----)");
    }
    String kind = m.group(1).trim();
    if (!kind.isEmpty()) {
      throw new IllegalArgumentException(setting + " " + file + ": is a " + kind + " PRIVATE KEY; give an unencrypted"
          + " PKCS#8 key (-----BEGIN PRIVATE KEY-----): openssl pkcs8 -topk8 -nocrypt -in " + file + " -out NEW.key");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(2).trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(setting + " " + file + ": the key is not valid base64");
    }
    for (String alg : List.of("EC", "RSA", "Ed25519", "Ed448", "RSASSA-PSS")) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException | RuntimeException tryNext) {
        // not this algorithm
      }
    }
    throw new IllegalArgumentException(setting + " " + file + ": not an EC, RSA or EdDSA PKCS#8 key this JVM can read");
  }

  public static PrivateKey privateKey(Path file, String setting) {
    return privateKey(read(file, setting), file, setting);
  }

  /**
   * True when {@code key} is the private half of {@code pub}: a signature made with one checks
   * with the other (a certificate renewed with a new key but the old key file left in place).
   */
  public static boolean matches(PrivateKey key, PublicKey pub) {
    String alg = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      case "Ed448" -> "Ed448";
      default -> null;
    };
    if (alg == null) return true; // cannot tell: the TLS stack will
    try {
      byte[] probe = "wsmsg key check".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** "CN=wsmsg server, serial 3f2a..., expires 2029-03-01 10:00 UTC" for logs. */
  public static String describe(X509Certificate c) {
    return c.getSubjectX500Principal().getName() + ", serial " + c.getSerialNumber().toString(16) + ", expires "
        + DATE.format(c.getNotAfter().toInstant());
  }
}
