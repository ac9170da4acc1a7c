package io.wsmsg.cli;

import io.wsmsg.client.ClientOptions;
import io.wsmsg.protocol.WireOrder;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The options every client command shares: where to connect, as which endpoint, with which token. */
public final class ClientOptionsMixin {
  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(names = "--url", split = ",", paramLabel = "URL", defaultValue = "${env:WSMSG_URL:-ws://127.0.0.1:8765/}",
      description = "gateway URL ws[s]://host:port/root/; repeat it (or separate with commas) to fail over"
          + " (default: env WSMSG_URL, else ws://127.0.0.1:8765/)")
  List<String> urls;

  @Option(names = "--endpoint", paramLabel = "NAME",
      description = "endpoint to attach to (default: a fresh private cli-<ulid>)")
  String endpoint;

  @Option(names = "--token", paramLabel = "JWT", defaultValue = "${env:WSMSG_TOKEN}",
      description = "token sent as Authorization: Bearer (default: env WSMSG_TOKEN)")
  String token;

  @Option(names = "--window", paramLabel = "N", defaultValue = "1",
      description = "messages the server may deliver before they are acknowledged (default: ${DEFAULT-VALUE})")
  int window;

  @Option(names = "--order", paramLabel = "seed|legacy", defaultValue = "seed",
      converter = Converters.OrderConverter.class,
      description = "element order written on the wire (default: ${DEFAULT-VALUE})")
  WireOrder order;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s",
      converter = Converters.DurationConverter.class,
      description = "how long req waits for replies, and each wait for the server's confirmation:"
          + " 500ms, 5s, 2m... (default: ${DEFAULT-VALUE}); connecting is allowed at least 10s")
  Duration timeout;

  /** A short --timeout is about replies: connecting on a busy machine may take longer. */
  static final Duration MIN_CONNECT = Duration.ofSeconds(10);

  private String generated;

  /** True when no --endpoint was given: the endpoint is private to this run. */
  boolean privateEndpoint() {
    return endpoint == null || endpoint.isEmpty();
  }

  /** The endpoint this run attaches to. */
  String endpointName() {
    if (!privateEndpoint()) return endpoint;
    // a token's subject may always use <sub>~...: a narrowly granted token still gets an endpoint
    if (generated == null) generated = ClientOptions.privateEndpoint(bearer(token), "cli");
    return generated;
  }

  /** @throws ParameterException (exit 2) for a value the client cannot use */
  ClientOptions toClientOptions() {
    ClientOptions o = new ClientOptions();
    try {
      List<String> given = urls == null ? List.of() : urls.stream().map(String::trim).filter(u -> !u.isEmpty()).toList();
      if (given.isEmpty()) throw new IllegalArgumentException("give at least one --url");
      o.urls(given);
      o.endpoint(endpointName());
      o.ephemeral(privateEndpoint()); // the run's own cli-<ulid> goes when the run ends
      o.window(window);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(mixee.commandLine(), e.getMessage());
    }
    o.token(bearer(token));
    o.order(order);
    o.connectTimeout(timeout.compareTo(MIN_CONNECT) < 0 ? MIN_CONNECT : timeout);
    o.requestTimeout(timeout);
    return o;
  }

  boolean hasToken() {
    return bearer(token) != null;
  }

  /** Where the token came from, as a user would name it: "--token", "WSMSG_TOKEN", or null for none. */
  String tokenSource() {
    if (bearer(token) == null) return null;
    boolean given = mixee != null && mixee.commandLine() != null && mixee.commandLine().getParseResult() != null
        && mixee.commandLine().getParseResult().hasMatchedOption("--token");
    return given ? "--token" : "WSMSG_TOKEN";
  }

  /** A --token value as sent: trimmed, and none when blank (e.g. an empty WSMSG_TOKEN). */
  static String bearer(String token) {
    return token == null || token.isBlank() ? null : token.trim();
  }
}
