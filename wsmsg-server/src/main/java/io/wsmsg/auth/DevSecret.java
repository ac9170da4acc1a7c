package io.wsmsg.auth;

import java.security.SecureRandom;
import java.util.Base64;

/** The throwaway HS256 secret used when auth mode is jwt but no key is configured. */
public final class DevSecret {
  private static final SecureRandom RANDOM = new SecureRandom();

  private DevSecret() {}

  /** 256 random bits, base64url without padding (43 characters): as long as the HS256 hash. */
  public static String random() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
