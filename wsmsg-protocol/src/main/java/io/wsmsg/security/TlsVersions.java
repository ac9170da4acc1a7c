package io.wsmsg.security;

import java.util.Set;

/** The TLS versions both ends accept: the server's listeners and the client's connections. */
public final class TlsVersions {
  public static final Set<String> ALLOWED = Set.of("TLSv1.2", "TLSv1.3");

  private TlsVersions() {}
}
