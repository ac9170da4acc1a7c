package io.wsmsg.auth;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.auth.JWTOptions;

/** Tests that need a token with a chosen exp (e.g. already expired) sign it here. */
public final class TokenSignerTestAccess {
  private TokenSignerTestAccess() {}

  public static String signWithExp(Vertx vertx, String secret, String subject, long expEpochSeconds) {
    JWTAuth auth = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(
        new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    return auth.generateToken(new JsonObject().put("sub", subject).put("exp", expEpochSeconds),
        new JWTOptions().setAlgorithm("HS256").setNoTimestamp(true));
  }
}
