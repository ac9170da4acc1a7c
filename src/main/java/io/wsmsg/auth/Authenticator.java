package io.wsmsg.auth;

import io.vertx.core.Future;

/** Turns the token of an upgrade request (or its absence) into an {@link Identity}. */
public interface Authenticator {
  /**
   * @param tokenOrNull the bearer token from the Authorization header or the
   *     {@code access_token} query parameter, or null when the request carried none
   * @return the identity, or a future failed with {@link AuthException} (answer HTTP 401)
   */
  Future<Identity> authenticate(String tokenOrNull);

  /** False when every connection is accepted without a token (auth mode none). */
  boolean required();
}
