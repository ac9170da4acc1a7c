package io.wsmsg.persistence;

import io.wsmsg.protocol.Frame;
import io.wsmsg.registry.Stamp;

/**
 * What a snapshot holds, as the callbacks a reader feeds and a writer is fed with. The server
 * implements {@link Sink} to restore its state; the writer is called once per item.
 */
public final class Snapshot {
  private Snapshot() {}

  /** Receives a snapshot's contents in file order: settings, subscriptions, then messages. */
  public interface Sink {
    void channel(String name, int size, int priority);

    /** A channel with the versions of its size and priority (version 2 files). */
    default void channel(String name, int size, int priority, Stamp sizeStamp, Stamp priorityStamp) {
      channel(name, size, priority);
    }

    void endpoint(String name, int size);

    /** The endpoint (given before by {@link #endpoint}) is ephemeral; older snapshots have none. */
    default void ephemeralEndpoint(String name) {}

    void subscription(String endpoint, String channelPattern, String subjectPattern);

    /** A subscription with its version (version 2 files). */
    default void subscription(String endpoint, String channelPattern, String subjectPattern, Stamp stamp) {
      subscription(endpoint, channelPattern, subjectPattern);
    }

    /** A removed subscription and the version of its removal (version 2 files): a stale copy elsewhere loses to it. */
    default void tombstone(String endpoint, String channelPattern, String subjectPattern, Stamp stamp) {}

    void messageSubscription(String endpoint, byte[] uid, long expiresAt);

    /** One queued message, in dequeue order per endpoint. */
    void queued(String endpoint, int priority, long enqueuedAt, Frame frame);

    /**
     * Loading failed after records were handed over (a value refused late, the file changed
     * between passes, or applying a record failed): forget everything received, so that
     * nothing of the file stays restored.
     */
    default void discard() {}
  }
}
