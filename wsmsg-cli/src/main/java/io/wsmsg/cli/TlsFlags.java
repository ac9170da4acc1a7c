package io.wsmsg.cli;

import io.wsmsg.client.ClientTls;
import io.wsmsg.security.Pem;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The TLS options of every command that connects: which CA to trust, a client certificate, or --insecure. */
public final class TlsFlags {
  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(names = "--ca", paramLabel = "FILE", defaultValue = "${env:WSMSG_CA}",
      description = "for wss:// and https://: trust server certificates signed by the CA in this PEM file, e.g. the"
          + " ca.pem of scripts/gen-certs.sh, instead of the JVM's CAs (default: env WSMSG_CA; without it the JVM's"
          + " CAs, enough for a public CA)")
  Path ca;

  @Option(names = "--insecure", defaultValue = "${env:WSMSG_INSECURE:-false}",
      description = "UNSAFE, development only: accept any server certificate for any host name; anyone in between"
          + " can then read and change the traffic (default: env WSMSG_INSECURE)")
  boolean insecure;

  @Option(names = "--cert", paramLabel = "FILE", defaultValue = "${env:WSMSG_CERT}",
      description = "client certificate (PEM) for a server that requires one (tls.clientCa); with --key"
          + " (default: env WSMSG_CERT)")
  Path cert;

  @Option(names = "--key", paramLabel = "FILE", defaultValue = "${env:WSMSG_KEY}",
      description = "the client certificate's private key (PKCS#8 PEM) (default: env WSMSG_KEY)")
  Path key;

  /**
   * The settings, checked (files readable and parseable, --cert with --key); with --insecure
   * a one-line warning goes to {@code err}.
   *
   * @throws ParameterException (exit 2) naming what is wrong
   */
  ClientTls toClientTls(PrintWriter err) {
    try {
      if ((cert == null) != (key == null)) {
        throw new IllegalArgumentException(cert == null ? "--key needs --cert (the certificate it belongs to)"
            : "--cert needs --key (its private key)");
      }
      if (ca != null) Pem.certificates(ca, "--ca");
      if (cert != null) {
        Pem.certificates(cert, "--cert");
        Pem.privateKey(key, "--key");
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(mixee.commandLine(), e.getMessage());
    }
    if (insecure && err != null) {
      err.println("wsmsg: warning: --insecure: the server's certificate is not checked; anyone in between can read"
          + " and change this traffic (development only)");
      err.flush();
    }
    return new ClientTls(ca, insecure, cert, key);
  }
}
