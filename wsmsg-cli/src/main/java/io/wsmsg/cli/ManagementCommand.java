package io.wsmsg.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The introspection commands ({@code status}, {@code endpoints}, {@code channels}): one GET to
 * a {@code /v1} route of the server's management port with an admin token, printed as a table
 * or, with {@code --json}, as the server's JSON document.
 */
abstract class ManagementCommand implements Callable<Integer> {
  static final String DEFAULT_URL = "http://127.0.0.1:8766";

  @Spec
  CommandSpec spec;

  @Option(names = "--management-url", paramLabel = "URL",
      defaultValue = "${env:WSMSG_MANAGEMENT_URL:-" + DEFAULT_URL + "}",
      description = "the server's management port, http://host:port or https://host:port when it uses TLS (default: env WSMSG_MANAGEMENT_URL, else "
          + DEFAULT_URL + ", the port of management.port)")
  String managementUrl;

  @Option(names = "--token", paramLabel = "JWT", defaultValue = "${env:WSMSG_TOKEN}",
      description = "an admin token, sent as Authorization: Bearer (default: env WSMSG_TOKEN)")
  String token;

  @Mixin
  TlsFlags tlsFlags;

  @Option(names = "--json", description = "print the server's JSON document instead of a table (fields: docs/operations.md)")
  boolean json;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
      converter = Converters.DurationConverter.class,
      description = "how long to wait for the answer: 500ms, 5s, 2m... (default: ${DEFAULT-VALUE})")
  Duration timeout;

  /** The route, such as {@code /v1/endpoints}. */
  abstract String path();

  /** Query parameters of the route (insertion order); none by default. */
  Map<String, String> query() {
    return new LinkedHashMap<>();
  }

  /** Prints the document as a table. */
  abstract void table(JsonObject doc, PrintWriter out);

  @Override
  public final Integer call() {
    try {
      JsonObject doc = fetch();
      PrintWriter out = spec.commandLine().getOut();
      if (json) out.println(doc.encodePrettily());
      else table(doc, out);
      out.flush();
      warnMissing(doc);
      return Exit.OK;
    } catch (CliFailure f) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(spec.qualifiedName() + ": " + f.getMessage());
      err.flush();
      return f.code;
    }
  }

  private URI uri() {
    String base = managementUrl == null ? "" : managementUrl.trim();
    while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
    if (!base.startsWith("http://") && !base.startsWith("https://")) {
      throw new CliFailure(Exit.USAGE, "--management-url must be http://host:port or https://host:port (the management port, not the"
          + " WebSocket URL), not \"" + managementUrl + "\"");
    }
    StringBuilder q = new StringBuilder();
    query().forEach((k, v) -> {
      if (v == null) return;
      q.append(q.length() == 0 ? '?' : '&').append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
    });
    try {
      return URI.create(base + path() + q);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(Exit.USAGE, "--management-url is not a URL: " + e.getMessage());
    }
  }

  private JsonObject fetch() {
    URI uri = uri();
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(timeout).GET().header("Accept", "application/json");
    boolean hasToken = token != null && !token.isBlank();
    if (hasToken) req.header("Authorization", "Bearer " + token.trim());
    HttpClient.Builder hb = HttpClient.newBuilder().connectTimeout(timeout);
    io.wsmsg.client.ClientTls tls = tlsFlags.toClientTls(uri.getScheme().equals("https") ? spec.commandLine().getErr() : null);
    if (uri.getScheme().equals("https")) {
      try {
        hb.sslContext(tls.sslContext());
      } catch (IllegalArgumentException e) {
        throw new CliFailure(Exit.USAGE, e.getMessage());
      }
    }
    HttpClient http = hb.build();
    HttpResponse<String> resp;
    try {
      resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (HttpTimeoutException e) {
      throw new CliFailure(Exit.TIMEOUT, "no answer from " + uri + " within " + Converters.text(timeout));
    } catch (ConnectException e) {
      throw new CliFailure(Exit.CONNECT, "cannot connect to the management port at " + base(uri)
          + " (connection refused); is the server running? Give its management port with --management-url or"
          + " WSMSG_MANAGEMENT_URL");
    } catch (IOException e) {
      String why = io.wsmsg.client.ClientTls.explain(e, uri.getScheme().equals("https"), uri.getHost());
      String msg = String.valueOf(e.getMessage());
      // a TLS port closes on a plain request without a byte of answer
      if (why == null && uri.getScheme().equals("http") && (msg.contains("closed") || msg.contains("no bytes"))) {
        why = e + " (if the management port uses TLS, give --management-url https://...)";
      }
      throw new CliFailure(Exit.CONNECT, "cannot connect to the management port at " + base(uri) + ": "
          + (why != null ? why : e.toString()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(Exit.REFUSED, "interrupted");
    }
    String reason = reason(resp.body());
    switch (resp.statusCode()) {
      case 200 -> {
        try {
          return new JsonObject(resp.body());
        } catch (DecodeException | ClassCastException e) {
          throw new CliFailure(Exit.REFUSED, base(uri) + " answered something that is not a JSON object: is it the"
              + " management port of a wsmsg server?");
        }
      }
      case 401 -> throw new CliFailure(Exit.CONNECT, "refused (HTTP 401): "
          + (hasToken ? reason + "; give an admin token signed with the server's key (wsmsg token --sub NAME --admin)"
              : "no token; give an admin token with --token or WSMSG_TOKEN (wsmsg token --sub NAME --admin makes one)"));
      case 403 -> throw new CliFailure(Exit.REFUSED, "refused (HTTP 403): " + reason
          + (reason.contains("wsmsg token") ? "" : "; this needs a token with admin: true (wsmsg token --admin)"));
      case 404 -> throw new CliFailure(Exit.REFUSED, base(uri) + " has no " + path() + ": is it the management port"
          + " of a wsmsg server of this version?");
      default -> throw new CliFailure(Exit.REFUSED, "refused (HTTP " + resp.statusCode() + "): " + reason);
    }
  }

  private static String base(URI uri) {
    return uri.getScheme() + "://" + uri.getRawAuthority();
  }

  /** The {@code error} of a JSON answer, else its first line. */
  private static String reason(String body) {
    if (body == null || body.isBlank()) return "no reason given";
    try {
      String e = new JsonObject(body).getString("error");
      if (e != null) return e;
    } catch (RuntimeException notJson) {
      // plain text
    }
    String line = body.strip().lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  /** Members of a cluster that did not answer: their figures are missing from the table. */
  private void warnMissing(JsonObject doc) {
    JsonObject missing = doc.getJsonObject("membersMissing");
    if (missing == null || missing.isEmpty()) return;
    PrintWriter err = spec.commandLine().getErr();
    missing.forEach(e -> err.println(spec.qualifiedName() + ": member " + e.getKey() + " did not answer (" + e.getValue()
        + "): the queues it owns are shown as ?"));
    err.flush();
  }
}
