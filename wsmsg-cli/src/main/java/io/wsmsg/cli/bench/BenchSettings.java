package io.wsmsg.cli.bench;

import java.util.List;

/** Everything a bench run is told on the command line; filled by {@code BenchCommand}. */
public final class BenchSettings {
  public String scenario;
  /** Servers to load; connections are spread over them round-robin (--url, repeatable or comma-separated). */
  public List<String> urls = List.of("ws://127.0.0.1:8765/");
  /**
   * The producing side (rpc requesters, fanout and queue publishers), round-robin; null =
   * {@link #urls}.
   */
  public List<String> pubUrls;
  /**
   * The receiving side (rpc responders, fanout subscribers, queue consumers) and the control
   * connection, round-robin; null = {@link #urls}.
   */
  public List<String> subUrls;
  /** Endpoint names start with this and a dash: bench-rpc-0, bench-fanout-3, bench-control... */
  public String endpointPrefix = "bench";
  public String token;
  /** wss:// servers: the CA to trust, a client certificate, or (unsafe) no check at all. */
  public io.wsmsg.client.ClientTls tls = io.wsmsg.client.ClientTls.DEFAULT;
  public boolean embedded;
  /** rpc: requesters; fanout: subscribers; queue: consumers; conns: connections to hold. */
  public int connections = 1;
  /** rpc: responders on the shared responder endpoint. */
  public int responders = 1;
  /** queue: publishers into the shared endpoint; fanout: publishers, each message to every subscriber. */
  public int publishers = 1;
  public int payload = 100;
  /** Server flow-control window asked by every connection ({@code ?window=N}). */
  public int window = 1;
  /** Per producer: messages sent and not yet received (rpc: requests awaiting their reply). */
  public int inflight;
  public long durationMillis = 10_000;
  public long warmupMillis = 2_000;
  /** Messages per second over all producers (conns: new connections per second); 0 = unpaced. */
  public double rate;
  /** Stop producing after this many messages (0 = only the duration bounds the run). */
  public long count;
  /** How long to wait for messages still in flight once producing stopped. */
  public long drainMillis = 5_000;
  public long requestTimeoutMillis = 5_000;
  /** conns: each held connection sends a ping through the server this often. */
  public long pingIntervalMillis = 1_000;
  /** raw (hand-built frames on plain WebSockets) or client (WsmsgClient). */
  public String driver;
  /** Client event loops (0 = 2 x CPUs, as Vert.x does). */
  public int eventLoops;
  public boolean json;
  /** Read the server's CPU and memory from /proc/PID (a server on this machine); 0 = not. */
  public long serverPid;
  /** Read the server's CPU and memory from GET /v1/process on this management URL; null = not. */
  public String managementUrl;
  /** The admin token for {@link #managementUrl} (null: {@link #token}). */
  public String adminToken;
  /** auto, tty, lines or none. */
  public String progress = "auto";

  public String driverOrDefault() {
    if (driver != null) return driver;
    return "rpc".equals(scenario) ? "client" : "raw";
  }

  public List<String> pubUrlsOrDefault() {
    return pubUrls == null || pubUrls.isEmpty() ? urls : pubUrls;
  }

  public List<String> subUrlsOrDefault() {
    return subUrls == null || subUrls.isEmpty() ? urls : subUrls;
  }

  /** An endpoint name of this run: the prefix, a dash, then {@code rest}. */
  public String endpoint(String rest) {
    return endpointPrefix + "-" + rest;
  }

  public int inflightOrDefault() {
    if (inflight > 0) return inflight;
    return "rpc".equals(scenario) ? 1 : 1000;
  }
}
