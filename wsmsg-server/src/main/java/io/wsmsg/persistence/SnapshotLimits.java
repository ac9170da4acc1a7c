package io.wsmsg.persistence;

import io.wsmsg.config.ServerConfig;

/**
 * The bounds a snapshot's contents must keep for this server to restore them: the configured
 * limits, and the rules a client's commands are held to (checked in {@link SnapshotChecker}).
 * A snapshot is input like any other: one value outside them refuses the whole file.
 *
 * @param maxQueuedBytes the most frame bytes all queued messages together may hold
 */
public record SnapshotLimits(int maxChannels, int maxEndpoints, int maxSubscriptions, int maxMessageSubscriptions,
    long maxQueuedBytes) {

  /** The largest frame a queued message may be: the ceiling of {@code limits.maxFrameBytes}. */
  public static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;

  /**
   * How far ahead of this server's clock an enqueue time may be (clock skew between cluster
   * members or machines); later than that, the message would outlive its TTL.
   */
  public static final long CLOCK_TOLERANCE_MILLIS = 10 * 60_000L;

  /**
   * The server's limits. Queued messages may hold twice {@code limits.maxQueuedMiB}: a stop
   * writes what the queues held plus messages in flight, never more than that.
   */
  public static SnapshotLimits of(ServerConfig c) {
    return new SnapshotLimits(c.maxChannels, c.maxEndpoints, c.maxSubscriptions, c.maxMessageSubscriptions,
        2 * c.maxQueuedBytes);
  }

  /** The limits of the built-in default configuration (conf/standalone.json). */
  public static SnapshotLimits defaults() {
    return of(ServerConfig.of(null));
  }
}
