package io.wsmsg.persistence;

/**
 * The snapshot file: a header, a stream of records, a trailer.
 *
 * <pre>
 * header : "WSMSGSNP" (8 bytes) | version (int) | written-at epoch millis (long)
 * record : type (byte) | fields (below)                      -- repeated
 * trailer: END (type byte) | record count (long) | CRC32C of every byte before the trailer (int)
 * </pre>
 *
 * Strings are modified-UTF-8 ({@link java.io.DataOutputStream#writeUTF}); byte arrays are an
 * int length and the bytes. Frames are stored as received, so data is never decoded.
 * Records are written and read one at a time: the file is never held in memory.
 */
final class SnapshotFormat {
  static final byte[] MAGIC = {'W', 'S', 'M', 'S', 'G', 'S', 'N', 'P'};
  /**
   * 2: versions (clock, member; see {@link io.wsmsg.registry.Stamp}) on subscriptions and
   * channel settings, and tombstones of removed subscriptions. Version 1 files are still read:
   * their entries get version 0, so any removal the cluster remembers beats them.
   */
  static final int VERSION = 2;
  static final int VERSION_1 = 1;

  /** name, size, priority; from version 2 also size clock, size member, priority clock, priority member */
  static final byte CHANNEL = 1;
  /** name, size */
  static final byte ENDPOINT = 2;
  /** endpoint, channel pattern, subject pattern; from version 2 also clock, member */
  static final byte SUBSCRIPTION = 3;
  /** endpoint, uid, expires-at millis */
  static final byte MESSAGE_SUBSCRIPTION = 4;
  /** endpoint, priority, enqueued-at millis, frame bytes */
  static final byte QUEUED = 5;
  /** name: the endpoint of the ENDPOINT record before is ephemeral (removed when unused) */
  static final byte EPHEMERAL_ENDPOINT = 6;
  /** version 2: endpoint, channel pattern, subject pattern, clock, member of a removed subscription */
  static final byte TOMBSTONE = 7;
  static final byte END = 127;

  private SnapshotFormat() {}
}
