package io.wsmsg.auth;

import io.vertx.core.Future;
import io.wsmsg.config.ServerConfig;
import java.util.Objects;

/**
 * Auth mode none: every connection is "anonymous" with the configured default permissions.
 * A token sent anyway is ignored rather than checked, so clients configured for jwt still
 * connect to a development server.
 */
public final class NoAuthenticator implements Authenticator {
  public static final String ANONYMOUS = "anonymous";

  private final Future<Identity> identity;

  public NoAuthenticator(Permissions defaults) {
    // One identity for everyone: nothing per connection to compute.
    this.identity = Future.succeededFuture(new Identity(ANONYMOUS, Objects.requireNonNull(defaults), 0));
  }

  public static NoAuthenticator create(ServerConfig config) {
    return new NoAuthenticator(Permissions.fromJson(config.defaultPermissions));
  }

  @Override
  public Future<Identity> authenticate(String tokenOrNull) {
    return identity;
  }

  @Override
  public boolean required() {
    return false;
  }
}
