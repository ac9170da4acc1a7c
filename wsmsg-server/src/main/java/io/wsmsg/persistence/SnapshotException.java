package io.wsmsg.persistence;

/** A snapshot that cannot be read: corrupt, truncated, or of an unknown version. */
public final class SnapshotException extends Exception {
  public SnapshotException(String message) {
    super(message, null, false, false);
  }
}
