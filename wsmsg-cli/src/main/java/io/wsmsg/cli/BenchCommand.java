package io.wsmsg.cli;

import io.wsmsg.cli.bench.BenchRunner;
import io.wsmsg.cli.bench.BenchSettings;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code wsmsg bench rpc|fanout|queue|conns}: a load generator. Every run is bounded by
 * {@code --duration} (and optionally {@code --count}) and targets only the given URLs
 * (several: connections are spread over them, and {@code --pub-url} / {@code --sub-url} put
 * the two sides of a scenario on different servers, e.g. different gateways of a cluster);
 * with {@code --embedded} it starts its own server in-process on a free loopback port.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Load a wsmsg server and report throughput, latency percentiles and loss.",
        "Scenarios: rpc (request/reply), fanout (pub/sub), queue (task queue), conns (many connections).",
        "Several servers (e.g. the gateways of a cluster): --url A,B spreads connections over them;"
            + " --pub-url and --sub-url put the producing and the receiving side on different ones.",
        "The server's CPU per operation: --embedded, --server-pid PID or --management-url URL.",
        "Try: wsmsg bench rpc --embedded"},
    subcommands = {
        BenchCommand.Rpc.class,
        BenchCommand.Fanout.class,
        BenchCommand.Queue.class,
        BenchCommand.Conns.class,
    })
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every scenario takes. */
  static final class Common {
    @Option(names = "--url", split = ",", defaultValue = "ws://127.0.0.1:8765/", paramLabel = "URL",
        description = "server to load, ws[s]://host:port/root (wss: see --ca); several (comma-separated or repeated, e.g. the gateways"
            + " of a cluster): each side's connections are spread over them round-robin (default: ${DEFAULT-VALUE})")
    List<String> urls;

    @Option(names = "--token", defaultValue = "${env:WSMSG_TOKEN}", paramLabel = "JWT",
        description = "bearer token for every connection (default: $WSMSG_TOKEN; none for auth mode none)")
    String token;

    @Option(names = "--embedded",
        description = "start a server in this process on a free loopback port (auth none) and load it;"
            + " client and server then share the CPUs")
    boolean embedded;

    @Option(names = "--endpoint-prefix", defaultValue = "bench", paramLabel = "NAME",
        description = "endpoint names start with NAME- (NAME-rpc-0, NAME-fanout-3, NAME-control...). In a cluster an"
            + " endpoint stays owned by the gateway where it was first used: give each placement you compare its"
            + " own prefix (default: ${DEFAULT-VALUE})")
    String endpointPrefix;

    @Option(names = "--payload", defaultValue = "100", paramLabel = "BYTES",
        description = "data size: a bin of this many bytes, at least 12 (default: ${DEFAULT-VALUE})")
    int payload;

    @Option(names = "--window", defaultValue = "1", paramLabel = "N",
        description = "server flow-control window asked by every connection (?window=N) (default: ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--inflight", defaultValue = "0", paramLabel = "N",
        description = "per producer: messages sent and not yet received (rpc: outstanding requests)"
            + " (default: rpc 1, fanout and queue 1000)")
    int inflight;

    @Option(names = "--duration", defaultValue = "10s", paramLabel = "TIME", converter = TimeConverter.class,
        description = "measured time, e.g. 10s, 500ms, 2m (default: ${DEFAULT-VALUE})")
    long duration;

    @Option(names = "--warmup", defaultValue = "2s", paramLabel = "TIME", converter = TimeConverter.class,
        description = "load before measuring, not counted in throughput and latency (default: ${DEFAULT-VALUE})")
    long warmup;

    @Option(names = "--count", defaultValue = "0", paramLabel = "N",
        description = "stop producing after N messages in all (default: 0, only --duration bounds the run)")
    long count;

    @Option(names = "--drain", defaultValue = "5s", paramLabel = "TIME", converter = TimeConverter.class,
        description = "after producing stops, how long to wait for messages still in flight (default: ${DEFAULT-VALUE})")
    long drain;

    @Option(names = "--driver", paramLabel = "raw|client",
        description = "raw: hand-built frames on plain WebSockets; client: the WsmsgClient library"
            + " (default: client for rpc, raw otherwise)")
    String driver;

    @Option(names = "--event-loops", defaultValue = "0", paramLabel = "N",
        description = "client event loops; connections are spread over them, producers first on their own"
            + " (default: 2 x CPUs; for queue at least one per publisher and consumer, up to 64)")
    int eventLoops;

    @Option(names = "--json", description = "print the summary as one JSON object")
    boolean json;

    @Option(names = "--server-pid", defaultValue = "0", paramLabel = "PID",
        description = "the server runs on this machine as process PID: report its CPU per operation, the split over its"
            + " event loops and (conns) its memory per connection, read from /proc/PID (Linux)")
    long serverPid;

    @Option(names = {"--management-url", "--management"}, paramLabel = "URL",
        description = "report the server's CPU per operation, event-loop split and (conns) memory per connection,"
            + " read from GET /v1/process on its management port, http[s]://host:port (needs --admin-token)")
    String managementUrl;

    @Option(names = "--admin-token", defaultValue = "${env:WSMSG_ADMIN_TOKEN}", paramLabel = "JWT",
        description = "an admin token for --management-url (default: $WSMSG_ADMIN_TOKEN, else --token)")
    String adminToken;

    @Option(names = "--progress", defaultValue = "auto", paramLabel = "MODE",
        description = "auto (a live line on a terminal, else a line per second), tty, lines or none; on stderr")
    String progress;

    BenchSettings settings(String scenario) {
      BenchSettings s = new BenchSettings();
      s.scenario = scenario;
      s.urls = List.copyOf(urls);
      s.endpointPrefix = endpointPrefix;
      s.token = ClientOptionsMixin.bearer(token);
      s.embedded = embedded;
      s.payload = payload;
      s.window = window;
      s.inflight = inflight;
      s.durationMillis = duration;
      s.warmupMillis = warmup;
      s.count = count;
      s.drainMillis = drain;
      s.driver = driver == null ? null : driver.toLowerCase(Locale.ROOT);
      s.eventLoops = eventLoops;
      s.json = json;
      s.serverPid = serverPid;
      s.managementUrl = managementUrl;
      s.adminToken = adminToken == null || adminToken.isBlank() ? s.token : ClientOptionsMixin.bearer(adminToken);
      s.progress = progress;
      return s;
    }
  }

  /**
   * Where each side of a two-sided scenario connects, when not to every --url: to measure
   * what crossing between gateways costs, put the two sides on different ones.
   */
  static final class Sides {
    @Option(names = "--pub-url", split = ",", paramLabel = "URL",
        description = "the producing side only: rpc requesters, fanout and queue publishers; several are used"
            + " round-robin (default: the --url servers)")
    List<String> pubUrls;

    @Option(names = "--sub-url", split = ",", paramLabel = "URL",
        description = "the receiving side only: rpc responders, fanout subscribers, queue consumers, and the"
            + " control connection that sets up subscriptions; several are used round-robin (default: the --url servers)")
    List<String> subUrls;

    void apply(BenchSettings s) {
      s.pubUrls = pubUrls == null ? null : List.copyOf(pubUrls);
      s.subUrls = subUrls == null ? null : List.copyOf(subUrls);
    }
  }

  abstract static class Scenario implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin Common common;
    @Mixin TlsFlags tlsFlags;

    /** The settings this command line gives (no side effect: tests read it too). */
    abstract BenchSettings settings();

    @Override
    public Integer call() {
      BenchSettings s = settings();
      s.tls = tlsFlags.toClientTls(spec.commandLine().getErr());
      return BenchRunner.run(s, spec.commandLine().getOut(), spec.commandLine().getErr());
    }
  }

  @Command(name = "rpc", mixinStandardHelpOptions = true,
      description = {"Request/reply: N requesters, each on its own endpoint, call M responders sharing one endpoint"
          + " (subscribe.message + request; the reply references the request). Latency = round trip."})
  static final class Rpc extends Scenario {
    @Mixin Sides sides;

    @Option(names = {"-n", "--connections"}, defaultValue = "1", paramLabel = "N",
        description = "requester connections (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--responders", defaultValue = "1", paramLabel = "M",
        description = "responder connections (default: ${DEFAULT-VALUE})")
    int responders;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "REQ/S",
        description = "requests per second over all requesters; 0 = as fast as --inflight allows (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--request-timeout", defaultValue = "5s", paramLabel = "TIME", converter = TimeConverter.class,
        description = "a request without a reply by then is lost (default: ${DEFAULT-VALUE})")
    long requestTimeout;

    @Override
    BenchSettings settings() {
      BenchSettings s = common.settings("rpc");
      sides.apply(s);
      s.connections = connections;
      s.responders = responders;
      s.rate = rate;
      s.requestTimeoutMillis = requestTimeout;
      return s;
    }
  }

  @Command(name = "fanout", mixinStandardHelpOptions = true,
      description = {"Pub/sub: P publishers (default one), N subscriber endpoints with a connection each; every message"
          + " goes to all N. Throughput = deliveries/s; latency = publish to receipt."})
  static final class Fanout extends Scenario {
    @Mixin Sides sides;

    @Option(names = {"-n", "--connections"}, defaultValue = "1", paramLabel = "N",
        description = "subscriber endpoints, one connection each (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--publishers", defaultValue = "1", paramLabel = "P",
        description = "publisher connections, each with its own in-flight cap (default: ${DEFAULT-VALUE})")
    int publishers;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "MSG/S",
        description = "messages published per second over all publishers; 0 = as fast as --inflight and the socket"
            + " allow (default: ${DEFAULT-VALUE})")
    double rate;

    @Override
    BenchSettings settings() {
      BenchSettings s = common.settings("fanout");
      sides.apply(s);
      s.connections = connections;
      s.publishers = publishers;
      s.rate = rate;
      return s;
    }
  }

  @Command(name = "queue", mixinStandardHelpOptions = true,
      description = {"Task queue: P publishers into one endpoint shared by N consumer connections; each message goes to"
          + " one consumer. Reports fairness (each consumer's share)."})
  static final class Queue extends Scenario {
    @Mixin Sides sides;

    @Option(names = {"-n", "--connections"}, defaultValue = "4", paramLabel = "N",
        description = "consumer connections on the shared endpoint (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--publishers", defaultValue = "1", paramLabel = "P",
        description = "publisher connections (default: ${DEFAULT-VALUE})")
    int publishers;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "MSG/S",
        description = "messages per second over all publishers; 0 = unpaced (default: ${DEFAULT-VALUE})")
    double rate;

    @Override
    BenchSettings settings() {
      BenchSettings s = common.settings("queue");
      sides.apply(s);
      s.connections = connections;
      s.publishers = publishers;
      s.rate = rate;
      return s;
    }
  }

  @Command(name = "conns", mixinStandardHelpOptions = true,
      description = {"Connections: open N (rate-limited), hold them for the duration while each pings through the"
          + " server (a message routed back by a message subscription). Reports connect times and failures."})
  static final class Conns extends Scenario {
    @Option(names = {"-n", "--connections"}, defaultValue = "100", paramLabel = "N",
        description = "connections to open and hold (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--rate", defaultValue = "500", paramLabel = "CONN/S",
        description = "new connections per second during the ramp; 0 = as fast as possible, 256 handshakes at a time"
            + " (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--ping-interval", defaultValue = "1s", paramLabel = "TIME", converter = TimeConverter.class,
        description = "each connection sends a ping this often (default: ${DEFAULT-VALUE})")
    long pingInterval;

    @Override
    BenchSettings settings() {
      BenchSettings s = common.settings("conns");
      s.connections = connections;
      s.rate = rate;
      s.pingIntervalMillis = pingInterval;
      return s;
    }
  }

  /** 10s, 500ms, 1.5s, 2m, 1h, or a bare number of seconds; to milliseconds. */
  static final class TimeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String v) {
      String t = v.trim().toLowerCase(Locale.ROOT);
      double mult;
      String num;
      if (t.endsWith("ms")) {
        mult = 1;
        num = t.substring(0, t.length() - 2);
      } else if (t.endsWith("s")) {
        mult = 1000;
        num = t.substring(0, t.length() - 1);
      } else if (t.endsWith("m")) {
        mult = 60_000;
        num = t.substring(0, t.length() - 1);
      } else if (t.endsWith("h")) {
        mult = 3_600_000;
        num = t.substring(0, t.length() - 1);
      } else {
        mult = 1000;
        num = t;
      }
      try {
        double d = Double.parseDouble(num.trim());
        if (d < 0 || Double.isNaN(d) || Double.isInfinite(d)) throw new NumberFormatException();
        return Math.round(d * mult);
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("not a time: '" + v + "' (use e.g. 10s, 500ms, 2m)");
      }
    }
  }
}
