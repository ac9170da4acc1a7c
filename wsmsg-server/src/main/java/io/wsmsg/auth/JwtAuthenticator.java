package io.wsmsg.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.wsmsg.config.ServerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SignatureException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks JWTs with Vert.x Auth JWT: HS256 secrets and RS256/ES256 public keys, exp/nbf with
 * leeway, iss/aud when configured.
 *
 * <p>The token header is checked here before Vert.x sees the token: Vert.x accepts unsigned
 * ({@code alg: none}) tokens whenever it holds no key at all, and reports every failure as a
 * terse library message. Checking the algorithm ourselves makes "none is never accepted" a
 * property of this class rather than of how it happens to be configured, and lets every
 * refusal carry a sentence a client can act on.
 */
public final class JwtAuthenticator implements Authenticator {
  /** Algorithms a configured public key may declare (the spec names these two). */
  private static final Set<String> PUBLIC_KEY_ALGORITHMS = Set.of("RS256", "ES256");
  /** Far above any real token; stops a huge header being base64-decoded and parsed. */
  static final int MAX_TOKEN_CHARS = 16 * 1024;

  static final String NO_TOKEN = "no token: send Authorization: Bearer <token> or ?access_token=";
  static final String MALFORMED = "the token is malformed: a JWT is three base64url parts separated by dots";

  private final JWTAuth jwt;
  private final Set<String> algorithms;
  private final String issuer;
  private final String audience;
  private final int leewaySeconds;
  private final Permissions defaults;

  private JwtAuthenticator(JWTAuth jwt, Set<String> algorithms, String issuer, String audience,
      int leewaySeconds, Permissions defaults) {
    this.jwt = jwt;
    this.algorithms = algorithms;
    this.issuer = issuer;
    this.audience = audience;
    this.leewaySeconds = leewaySeconds;
    this.defaults = defaults;
  }

  /**
   * Builds from auth.hs256Secret, auth.publicKeys, auth.issuer, auth.audience,
   * auth.leewaySeconds and auth.defaultPermissions. Reads key files now (blocking: call at
   * start-up, not on an event loop that serves traffic).
   *
   * @throws IllegalArgumentException when a key is unusable, or when no key is configured at
   *     all (then generate one with {@link DevSecret} and use {@link #create(Vertx, ServerConfig, String)})
   */
  public static JwtAuthenticator create(Vertx vertx, ServerConfig config) {
    return create(vertx, config, null);
  }

  /**
   * As {@link #create(Vertx, ServerConfig)}, with {@code hs256Secret} (when not null) used
   * instead of auth.hs256Secret: how the server runs on a {@link DevSecret} when mode is jwt
   * but nothing is configured, since ServerConfig itself is immutable.
   */
  public static JwtAuthenticator create(Vertx vertx, ServerConfig config, String hs256Secret) {
    String secret = hs256Secret != null ? hs256Secret : config.hs256Secret;
    JWTAuthOptions options = new JWTAuthOptions();
    Set<String> algorithms = new LinkedHashSet<>();
    if (secret != null) {
      if (secret.isEmpty()) throw new IllegalArgumentException("auth.hs256Secret must not be empty");
      // For HS* algorithms the PubSecKeyOptions buffer is the raw secret (its UTF-8 bytes).
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret));
      algorithms.add("HS256");
    }
    int i = 0;
    for (JsonObject key : config.publicKeys) {
      String where = "auth.publicKeys[" + i++ + "]";
      String alg = key.getValue("algorithm") instanceof String ? key.getString("algorithm") : null;
      if (alg == null || !PUBLIC_KEY_ALGORITHMS.contains(alg)) {
        throw new IllegalArgumentException(where + ".algorithm must be \"RS256\" or \"ES256\", not "
            + (alg == null ? String.valueOf(key.getValue("algorithm")) : "\"" + alg + "\""));
      }
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm(alg).setBuffer(pem(key, where)));
      algorithms.add(alg);
    }
    if (algorithms.isEmpty()) {
      // Never hand Vert.x an empty key set: it then runs in "unsecure" mode and accepts
      // unsigned tokens.
      throw new IllegalArgumentException(
          "auth mode jwt needs auth.hs256Secret or auth.publicKeys (or a DevSecret for development)");
    }
    JWTOptions jwtOptions = new JWTOptions().setLeeway(config.leewaySeconds);
    if (config.issuer != null) jwtOptions.setIssuer(config.issuer);
    if (config.audience != null) jwtOptions.addAudience(config.audience);
    options.setJWTOptions(jwtOptions);
    JWTAuth auth;
    try {
      auth = JWTAuth.create(vertx, options);
    } catch (RuntimeException e) {
      // Vert.x parses the PEMs here; its message names the Java failure, not our setting.
      throw new IllegalArgumentException("auth.publicKeys: a key could not be loaded (" + e.getMessage()
          + "); keys are PEM \"-----BEGIN PUBLIC KEY-----\" (X.509 SubjectPublicKeyInfo)", e);
    }
    return new JwtAuthenticator(auth, Collections.unmodifiableSet(algorithms), config.issuer,
        config.audience, config.leewaySeconds, Permissions.fromJson(config.defaultPermissions));
  }

  private static String pem(JsonObject key, String where) {
    Object pem = key.getValue("pem");
    Object file = key.getValue("file");
    if ((pem == null) == (file == null)) {
      throw new IllegalArgumentException(where + " needs exactly one of \"pem\" (the PEM text) or \"file\" (a path)");
    }
    String text;
    if (pem != null) {
      if (!(pem instanceof String)) throw new IllegalArgumentException(where + ".pem must be a string");
      text = (String) pem;
    } else {
      if (!(file instanceof String)) throw new IllegalArgumentException(where + ".file must be a string");
      try {
        text = Files.readString(Path.of((String) file), StandardCharsets.US_ASCII);
      } catch (IOException e) {
        throw new IllegalArgumentException(where + ".file \"" + file + "\" cannot be read: " + e);
      }
    }
    if (!text.contains("-----BEGIN PUBLIC KEY-----")) {
      // Checked here because Vert.x would happily take a private key or a certificate and
      // fail later or obscurely.
      throw new IllegalArgumentException(where + " is not a PEM public key (\"-----BEGIN PUBLIC KEY-----\")");
    }
    return text.trim();
  }

  /** The algorithms a token may be signed with here, e.g. [HS256, RS256]. */
  public Set<String> algorithms() {
    return algorithms;
  }

  @Override
  public boolean required() {
    return true;
  }

  @Override
  public Future<Identity> authenticate(String tokenOrNull) {
    final Claims claims;
    try {
      claims = precheck(tokenOrNull);
    } catch (AuthException e) {
      return Future.failedFuture(e);
    }
    Future<?> verified;
    try {
      verified = jwt.authenticate(new TokenCredentials(claims.token));
    } catch (RuntimeException e) {
      // Vert.x throws some claim-type errors (e.g. ClassCastException) instead of failing.
      verified = Future.failedFuture(e);
    }
    return verified.transform(ar -> ar.succeeded()
        ? Future.succeededFuture(claims.identity)
        : Future.failedFuture(explain(ar.cause(), claims.payload)));
  }

  /** Everything that can be decided without the key: shape, algorithm, claim types. */
  private Claims precheck(String token) throws AuthException {
    if (token == null || token.isBlank()) throw new AuthException(AuthException.Kind.NO_TOKEN, NO_TOKEN, null);
    token = token.trim();
    if (token.length() > MAX_TOKEN_CHARS) {
      throw new AuthException("the token is too long (over " + MAX_TOKEN_CHARS + " characters)");
    }
    String[] parts = token.split("\\.", -1); // -1 keeps an empty signature part visible
    if (parts.length != 3) throw new AuthException(MALFORMED);
    JsonObject header = decodePart(parts[0], "header");
    Object alg = header.getValue("alg");
    if (!(alg instanceof String)) throw new AuthException("the token header has no algorithm (alg)");
    if (((String) alg).equalsIgnoreCase("none")) {
      throw new AuthException("the token algorithm \"none\" is never accepted");
    }
    if (!algorithms.contains(alg)) {
      // Also what stops algorithm confusion: an HS256 token is never checked against an
      // RSA public key used as an HMAC secret.
      throw new AuthException("the token algorithm \"" + alg + "\" is not accepted here (accepted: "
          + String.join(", ", algorithms) + ")");
    }
    if (header.containsKey("crit")) {
      // RFC 7515 4.1.11: a token naming extensions we do not implement must be refused.
      throw new AuthException("the token header lists critical extensions (crit) that this server does not support");
    }
    JsonObject payload = decodePart(parts[1], "payload");
    if (parts[2].isEmpty()) throw new AuthException("the token has no signature");

    for (String k : new String[] {"exp", "nbf", "iat"}) {
      if (payload.containsKey(k) && !(payload.getValue(k) instanceof Number)) {
        throw new AuthException("the token claim " + k + " must be a number of seconds since 1970");
      }
    }
    Object sub = payload.getValue("sub");
    if (sub != null && !(sub instanceof String)) throw new AuthException("the token claim sub must be a string");
    Object iss = payload.getValue("iss");
    if (iss != null && !(iss instanceof String)) throw new AuthException("the token claim iss must be a string");
    Object aud = payload.getValue("aud");
    if (aud != null && !(aud instanceof String) && !(aud instanceof JsonArray)) {
      throw new AuthException("the token claim aud must be a string or a list of strings");
    }
    Object claim = payload.getValue("wsmsg");
    Permissions permissions;
    if (claim == null) {
      permissions = defaults;
    } else if (!(claim instanceof JsonObject)) {
      throw new AuthException("the token claim wsmsg must be an object {\"endpoints\", \"publish\", \"subscribe\", \"admin\"}");
    } else {
      try {
        permissions = Permissions.fromJson((JsonObject) claim, defaults);
      } catch (IllegalArgumentException e) {
        throw new AuthException("the token has a bad wsmsg claim: " + e.getMessage());
      }
    }
    long exp = payload.containsKey("exp") ? payload.getNumber("exp").longValue() : 0;
    String subject = sub == null || ((String) sub).isEmpty() ? NoAuthenticator.ANONYMOUS : (String) sub;
    // exp <= 0 would read as "never expires", but Vert.x refuses such a token as expired; an
    // absurdly far exp saturates instead of overflowing.
    // The connection lives as long as the token is accepted: exp plus the configured leeway.
    long expiresAt = exp <= 0 ? 0
        : exp > Long.MAX_VALUE / 1000 - leewaySeconds ? Long.MAX_VALUE : (exp + leewaySeconds) * 1000;
    // a token with a subject may always use its own endpoints (<sub>, <sub>~...): Permissions
    if (sub != null && !((String) sub).isEmpty()) permissions = permissions.withOwner((String) sub);
    Quotas quotas = Quotas.DEFAULTS;
    if (claim instanceof JsonObject c && c.containsKey("quotas")) {
      if (!(c.getValue("quotas") instanceof JsonObject q)) {
        throw new AuthException("the token has a bad wsmsg claim: \"quotas\" must be an object such as {\"subscriptions\": 500}");
      }
      try {
        quotas = Quotas.fromJson(q, "wsmsg.quotas", false);
      } catch (IllegalArgumentException e) {
        throw new AuthException("the token has a bad wsmsg claim: " + e.getMessage());
      }
    }
    Identity identity = new Identity(subject, permissions, expiresAt, quotas);
    return new Claims(token, payload, identity);
  }

  private static JsonObject decodePart(String part, String name) throws AuthException {
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(part);
    } catch (IllegalArgumentException e) {
      throw new AuthException("the token is malformed: its " + name + " is not base64url");
    }
    try {
      return new JsonObject(new String(bytes, StandardCharsets.UTF_8));
    } catch (RuntimeException e) { // DecodeException, or ClassCastException for a non-object
      throw new AuthException("the token is malformed: its " + name + " is not a JSON object");
    }
  }

  /**
   * Vert.x's failures are terse and sometimes misleading (a future nbf or iat reads "token
   * expired"), so: a signature failure is reported as such; any other failure happened after
   * the signature was verified, and the claims say which check refused the token.
   */
  private AuthException explain(Throwable cause, JsonObject payload) {
    if (cause instanceof AuthException) return (AuthException) cause;
    if (cause instanceof SignatureException) {
      return new AuthException(AuthException.Kind.BAD_SIGNATURE, "the token signature is not valid", cause);
    }
    long now = System.currentTimeMillis() / 1000;
    if (payload.containsKey("exp") && now - leewaySeconds >= payload.getNumber("exp").longValue()) {
      return new AuthException(AuthException.Kind.EXPIRED, "the token has expired", cause);
    }
    if (payload.containsKey("nbf") && payload.getNumber("nbf").longValue() > now + leewaySeconds) {
      return new AuthException("the token is not valid yet (nbf is in the future)", cause);
    }
    if (payload.containsKey("iat") && payload.getNumber("iat").longValue() > now + leewaySeconds) {
      return new AuthException("the token was issued in the future (iat): check the clocks", cause);
    }
    if (issuer != null && !issuer.equals(payload.getValue("iss"))) {
      return new AuthException("the token issuer (iss) is not \"" + issuer + "\"", cause);
    }
    if (audience != null && !audiences(payload).contains(audience)) {
      return new AuthException("the token audience (aud) does not include \"" + audience + "\"", cause);
    }
    return new AuthException("the token was refused: " + cause.getMessage(), cause);
  }

  private static List<Object> audiences(JsonObject payload) {
    Object aud = payload.getValue("aud");
    if (aud instanceof JsonArray) return ((JsonArray) aud).getList();
    List<Object> one = new ArrayList<>();
    if (aud != null) one.add(aud);
    return one;
  }

  private record Claims(String token, JsonObject payload, Identity identity) {}
}
