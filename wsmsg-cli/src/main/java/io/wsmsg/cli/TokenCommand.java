package io.wsmsg.cli;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.Permissions;
import io.wsmsg.auth.TokenSigner;
import io.wsmsg.config.ServerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code wsmsg token}: signs an HS256 token with the server's secret, so operators can hand
 * out tokens with exactly the permissions a node needs.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Sign a JWT for a node with the configured HS256 secret and print it.")
public final class TokenCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--sub", required = true, paramLabel = "NAME", description = "who the token is for (the sub claim)")
  String subject;

  @Option(names = "--admin", description = "allow admin commands (stop, channel.size, channel.priority, endpoint.size)"
      + " and seeing commands on system; lists not given are then \"*\"")
  boolean admin;

  @Option(names = "--publish", arity = "1..*", paramLabel = "GLOB", description = "channels it may publish to")
  List<String> publish;

  @Option(names = "--subscribe", arity = "1..*", paramLabel = "GLOB", description = "channel patterns it may subscribe with")
  List<String> subscribe;

  @Option(names = "--endpoints", arity = "1..*", paramLabel = "GLOB", description = "endpoints it may attach to and act on (besides its own, always allowed: SUB~*)")
  List<String> endpoints;

  @Option(names = "--quota", paramLabel = "KIND=N",
      description = "a quota of its own instead of the server's limits.perIdentity (repeatable): channels, endpoints,"
          + " subscriptions, messageSubscriptions, wildcardSubscriptions; e.g. --quota endpoints=5000 for a load generator")
  java.util.Map<String, Long> quotas;

  @Option(names = "--ttl", paramLabel = "SECONDS", defaultValue = "86400",
      description = "lifetime in seconds, 0 for no expiry (default: ${DEFAULT-VALUE})")
  long ttl;

  @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "server configuration with auth.hs256Secret")
  Path config;

  @Option(names = "--secret", paramLabel = "SECRET",
      description = "the HS256 secret (default: auth.hs256Secret of --config, or WSMSG_JWT_SECRET)")
  String secret;

  @Override
  public Integer call() throws Exception {
    String key = secret;
    ServerConfig cfg = null;
    if (key == null) {
      cfg = ServerConfig.load(config, System.getenv());
      key = cfg.hs256Secret;
    }
    if (key == null) {
      spec.commandLine().getErr().println("wsmsg token: no secret: pass --secret, set WSMSG_JWT_SECRET, or use a configuration"
          + " file with auth.hs256Secret");
      return 2;
    }
    if (ttl < 0) {
      spec.commandLine().getErr().println("wsmsg token: --ttl must be 0 (no expiry) or a positive number of seconds");
      return 2;
    }
    // A wsmsg claim is complete (a key it omits grants nothing), so: no option at all signs no
    // claim (the server's defaults apply); --admin fills the lists not given with "*"; without
    // --admin a list not given is left out and grants nothing but the subject's own endpoints.
    JsonObject claim = new JsonObject();
    List<String> unset = admin ? List.of("*") : null;
    if (admin) claim.put("admin", true);
    put(claim, "endpoints", endpoints != null ? endpoints : unset);
    put(claim, "publish", publish != null ? publish : unset);
    put(claim, "subscribe", subscribe != null ? subscribe : unset);
    String quotaText = null;
    if (quotas != null && !quotas.isEmpty()) {
      JsonObject q = new JsonObject();
      quotas.forEach(q::put);
      try {
        io.wsmsg.auth.Quotas.fromJson(q, "--quota", false); // refused here rather than at every upgrade
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("wsmsg token: " + e.getMessage());
        return 2;
      }
      quotaText = "quotas of its own: " + q.encode() + " (the rest: the server's limits.perIdentity)";
    }
    boolean grants = !claim.isEmpty(); // quotas are not permissions: a claim of quotas alone keeps the defaults
    if (quotaText != null) claim.put("quotas", new JsonObject(new java.util.LinkedHashMap<>(quotas)));
    String explained;
    try {
      Permissions effective = !grants
          ? Permissions.fromJson(cfg != null ? cfg.defaultPermissions : null).withOwner(subject)
          : Permissions.fromJson(claim, null).withOwner(subject);
      explained = (!grants ? (quotaText == null ? "no wsmsg claim" : "no permissions in the claim")
          + ": the server's default permissions apply"
          + (cfg != null ? " (from " + (config != null ? config : "the built-in configuration") + "):"
              : " (auth.defaultPermissions; built-in: everything but admin):")
          : "the token grants:") + "\n" + effective.explain().indent(2).stripTrailing()
          + (quotaText != null ? "\n" + quotaText : "");
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("wsmsg token: " + e.getMessage());
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    try {
      TokenSigner signer = cfg != null ? new TokenSigner(vertx, key, cfg.issuer, cfg.audience) : new TokenSigner(vertx, key);
      spec.commandLine().getOut().println(signer.sign(subject, claim.isEmpty() ? null : claim, ttl));
      // to stderr, so stdout stays exactly the token
      spec.commandLine().getErr().println(explained);
      return 0;
    } finally {
      vertx.close();
    }
  }

  private static void put(JsonObject claim, String key, List<String> globs) {
    if (globs != null) claim.put(key, new JsonArray(globs));
  }
}
