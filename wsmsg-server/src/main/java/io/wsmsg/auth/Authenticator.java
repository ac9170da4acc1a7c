package io.wsmsg.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

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

  /**
   * The node's small pool for token verification, shared by the gateway and the management
   * port (one pool by name): one thread per two cores at most, so a burst of RS256/ES256
   * verifications takes at most half of the machine and the event loops keep serving.
   */
  static WorkerExecutor verifierPool(Vertx vertx) {
    return vertx.createSharedWorkerExecutor("wsmsg-token-verify", Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
  }

  /**
   * {@link #authenticate} on {@code workers}, never on the caller's event loop (a signature
   * check costs up to milliseconds of CPU); unordered, so a slow one holds up no other. Without
   * a token check to make (auth mode none) no thread is involved.
   */
  default Future<Identity> authenticateOn(WorkerExecutor workers, String tokenOrNull) {
    if (!required()) return authenticate(tokenOrNull);
    return workers.<Future<Identity>>executeBlocking(() -> authenticate(tokenOrNull), false).compose(f -> f);
  }
}
