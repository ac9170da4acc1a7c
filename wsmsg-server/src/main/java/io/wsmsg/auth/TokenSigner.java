package io.wsmsg.auth;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.Objects;

/**
 * Signs HS256 tokens that {@link JwtAuthenticator} accepts: the development token the server
 * prints, and {@code wsmsg token}. Immutable and thread-safe.
 */
public final class TokenSigner {
  private final JWTAuth jwt;
  private final String issuer;
  private final String audience;

  public TokenSigner(Vertx vertx, String secret) {
    this(vertx, secret, null, null);
  }

  /** Tokens get {@code iss}/{@code aud} when these are not null (use auth.issuer/auth.audience). */
  public TokenSigner(Vertx vertx, String secret, String issuer, String audience) {
    Objects.requireNonNull(secret, "secret");
    if (secret.isEmpty()) throw new IllegalArgumentException("the HS256 secret must not be empty");
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    this.issuer = issuer;
    this.audience = audience;
  }

  /**
   * @param subject the {@code sub} claim, or null for none (the server then says "anonymous")
   * @param wsmsgClaimOrNull the permissions claim, or null to get the server's defaults; it is
   *     validated here so a typo fails when signing rather than when connecting
   * @param ttlSeconds lifetime; 0 means no {@code exp}: the token never expires
   */
  public String sign(String subject, JsonObject wsmsgClaimOrNull, long ttlSeconds) {
    if (ttlSeconds < 0 || ttlSeconds > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("the token lifetime must be between 0 and " + Integer.MAX_VALUE
          + " seconds, not " + ttlSeconds);
    }
    JsonObject claims = new JsonObject();
    if (wsmsgClaimOrNull != null) {
      Permissions.fromJson(wsmsgClaimOrNull, Permissions.ALL); // throws IllegalArgumentException
      claims.put("wsmsg", wsmsgClaimOrNull.copy());
    }
    // Vert.x adds iat itself, and exp only when expiresInSeconds > 0.
    JWTOptions options = new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds((int) ttlSeconds);
    if (subject != null) options.setSubject(subject);
    if (issuer != null) options.setIssuer(issuer);
    if (audience != null) options.addAudience(audience);
    return jwt.generateToken(claims, options);
  }
}
