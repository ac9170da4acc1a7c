package io.wsmsg.metrics;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Node-wide counters, cheap enough for the hot path (LongAdder). {@link MetricsExport} exposes
 * them as Prometheus metrics; tests read them to prove that drops are counted.
 */
public final class Counters {
  /** Why a message was dropped. */
  public enum Drop {
    /** No endpoint matched the message. */
    NO_ROUTE,
    /** The channel queue was full; the oldest message went. */
    CHANNEL_FULL,
    /** The endpoint queue was full; the oldest message of the lowest priority went. */
    ENDPOINT_FULL,
    /** The message waited in an endpoint queue longer than the TTL. */
    TTL,
    /** Delivered but not acknowledged within the ack timeout. */
    ACK_TIMEOUT,
    /** Delivered, not acknowledged, and the node disconnected (at most once). */
    DISCONNECTED,
    /** In a cluster: the member owning its endpoint kept changing or could not be reached. */
    UNREACHABLE,
    /**
     * In a cluster: the member owning its endpoint had not confirmed cluster.peerBudgetKiB of
     * messages sent to it (hung, paused or overloaded); counted by the member that routed it.
     */
    PEER_BACKLOG,
    /**
     * The node's message memory (limits.maxQueuedMiB) was full: the oldest message of the
     * lowest priority in the largest endpoint queue went to make room.
     */
    MEMORY,
    /** Queued for an endpoint that was removed (ephemeral or idle) as it arrived. */
    REMOVED,
    /**
     * A node's command forwarded on system, reaching a node whose token is not admin through
     * an admin's system subscription on a shared endpoint: not shown to it.
     */
    FORBIDDEN
  }

  /** Why a connection was refused or closed before (or for) misbehaving. */
  public enum Refusal {
    /** limits.maxConnections reached: HTTP 503. */
    MAX_CONNECTIONS,
    /** limits.maxConnectionsPerIp reached: HTTP 429. */
    PER_IP,
    /** limits.maxPendingUpgrades reached: HTTP 503. */
    PENDING_UPGRADES,
    /** Not upgraded within limits.handshakeTimeoutSeconds: closed. */
    HANDSHAKE_TIMEOUT,
    /** A node refused errorBurst times within errorWindowSeconds: closed with 1008. */
    ERROR_FLOOD,
    /** A compressed frame inflating beyond limits.maxFrameBytes: closed with 1009. */
    INFLATED_TOO_BIG,
    /** A frame or message beyond limits.maxFrameBytes: closed with 1009. */
    FRAME_TOO_BIG,
    /** A broken WebSocket frame, or compressed data that cannot be inflated: closed with 1002 or 1007. */
    MALFORMED_FRAME,
    /** Not a WebSocket upgrade, or a bad path, window, order or ephemeral parameter: HTTP 426 or 400. */
    BAD_REQUEST,
    /** No token, or a token that is invalid, expired or cannot be checked: HTTP 401. */
    UNAUTHORIZED,
    /** The token does not allow the endpoint: HTTP 403. */
    FORBIDDEN,
    /**
     * A new endpoint beyond the identity's endpoint quota: HTTP 429. Also a node closed with 1008
     * because its new endpoint was refused just after the upgrade (upgrades racing past a limit).
     */
    ENDPOINT_QUOTA,
    /** A new endpoint beyond limits.maxEndpoints: HTTP 503. */
    MAX_ENDPOINTS,
    /** The server is stopping: HTTP 503. */
    STOPPING
  }

  /** Why the management port refused a request (wsmsg_management_refused_total{reason}). */
  public enum ManagementRefusal {
    /** No Authorization header (401). */
    NO_TOKEN,
    /** An expired token (401). */
    EXPIRED,
    /** A token whose signature does not verify (401). */
    BAD_SIGNATURE,
    /** Any other token that is not valid here: malformed, wrong algorithm, issuer, audience... (401). */
    INVALID_TOKEN,
    /** A valid token without admin, or the scrape token on an admin route (403). */
    NOT_ADMIN
  }

  public final LongAdder messagesIn = new LongAdder();
  public final LongAdder messagesOut = new LongAdder();
  public final LongAdder commands = new LongAdder();
  public final LongAdder errorsSent = new LongAdder();
  /** Bytes of binary WebSocket messages received from nodes (payloads, without WebSocket framing). */
  public final LongAdder bytesIn = new LongAdder();
  /** Bytes of binary WebSocket messages written to nodes: deliveries and notices (without framing). */
  public final LongAdder bytesOut = new LongAdder();
  public final AtomicLong connections = new AtomicLong();
  /** TCP connections admitted and not upgraded yet (limits.maxPendingUpgrades bounds them). */
  public final AtomicLong pendingUpgrades = new AtomicLong();
  private final Map<Drop, LongAdder> dropped = new EnumMap<>(Drop.class);
  private final Map<Refusal, LongAdder> refused = new EnumMap<>(Refusal.class);
  private final Map<ManagementRefusal, LongAdder> managementRefused = new EnumMap<>(ManagementRefusal.class);
  /**
   * Messages waiting in the endpoint queues this node owns: the total and the deepest
   * (metrics.topN). Gathered by the gateway on its own event loop about once a second and
   * published whole, so readers on other threads never touch a queue.
   */
  public volatile QueueDepths endpointDepths = QueueDepths.EMPTY;
  /** Each gateway instance's latest picture, merged into {@link #endpointDepths}. */
  private QueueDepths[] endpointDepthsByInstance = {};

  /** Gateway instance {@code instance} publishes the depths of its queues (about once a second). */
  public synchronized void endpointDepths(int instance, QueueDepths depths, int topN) {
    if (instance >= endpointDepthsByInstance.length) {
      QueueDepths[] grown = java.util.Arrays.copyOf(endpointDepthsByInstance, instance + 1);
      java.util.Arrays.fill(grown, endpointDepthsByInstance.length, grown.length, QueueDepths.EMPTY);
      endpointDepthsByInstance = grown;
    }
    endpointDepthsByInstance[instance] = depths;
    endpointDepths = endpointDepthsByInstance.length == 1 ? depths
        : QueueDepths.merge(java.util.Arrays.asList(endpointDepthsByInstance), topN);
  }

  /** Where the Prometheus metrics live; counters above are exported from it by reference. */
  public final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** From delivery to a node to its ack: how long nodes take to process a message. */
  public final Timer ackLatency;
  /** From entering an endpoint queue to delivery: how long messages wait for a ready node. */
  public final Timer queueWait;

  public Counters() {
    for (Drop d : Drop.values()) dropped.put(d, new LongAdder());
    for (Refusal r : Refusal.values()) refused.put(r, new LongAdder());
    for (ManagementRefusal r : ManagementRefusal.values()) managementRefused.put(r, new LongAdder());
    // Percentiles computed here (p50, p90, p99 over the last minutes) rather than a histogram:
    // a percentile histogram exported about 190 bucket lines per timer.
    ackLatency = Timer.builder("wsmsg.delivery.ack").description("time from delivery to a node until its ack")
        .publishPercentiles(0.5, 0.9, 0.99)
        .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry);
    queueWait = Timer.builder("wsmsg.endpoint.queue.wait")
        .description("time a message waited in its endpoint queue before delivery")
        .publishPercentiles(0.5, 0.9, 0.99)
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(600))
        .register(registry);
  }

  // ---- peer messages refused (bounds helper) ----
  private final java.util.concurrent.ConcurrentHashMap<String, LongAdder> peerRejected =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Counts a peer message refused before it was applied. Exported as
   * {@code wsmsg_peer_rejected_total{type,reason}}; a series appears with its first refusal
   * (types times reasons would be some 200 lines of zeros).
   */
  public void peerRejected(String type, String reason) {
    peerRejected.computeIfAbsent(type + "|" + reason, k -> {
      LongAdder a = new LongAdder();
      io.micrometer.core.instrument.FunctionCounter.builder("wsmsg.peer.rejected", a, LongAdder::sum)
          .tags("type", type, "reason", reason)
          .description("messages from other cluster members refused before being applied, by type and reason")
          .register(registry);
      return a;
    }).increment();
  }

  /** How many peer messages of {@code type} were refused for {@code reason} (null: any). */
  public long peerRejectedCount(String type, String reason) {
    long n = 0;
    for (var e : peerRejected.entrySet()) {
      String[] k = e.getKey().split("\\|", 2);
      if ((type == null || type.equals(k[0])) && (reason == null || reason.equals(k[1]))) n += e.getValue().sum();
    }
    return n;
  }

  public void drop(Drop reason) {
    dropped.get(reason).increment();
  }

  public void drop(Drop reason, long n) {
    dropped.get(reason).add(n);
  }

  public long dropped(Drop reason) {
    return dropped.get(reason).sum();
  }

  /** The live adder behind a drop reason (for metric export). */
  public LongAdder droppedAdder(Drop reason) {
    return dropped.get(reason);
  }

  public void refused(Refusal reason) {
    refused.get(reason).increment();
  }

  /** The live adder behind a refusal reason (for metric export and tests). */
  public LongAdder refusedAdder(Refusal reason) {
    return refused.get(reason);
  }

  public void managementRefused(ManagementRefusal reason) {
    managementRefused.get(reason).increment();
  }

  /** The live adder behind a management refusal reason (for metric export and tests). */
  public LongAdder managementRefusedAdder(ManagementRefusal reason) {
    return managementRefused.get(reason);
  }
}
