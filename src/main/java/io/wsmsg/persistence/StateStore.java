package io.wsmsg.persistence;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.logging.Logger;

/**
 * The data directory: where the snapshot is written on a clean stop and found at start.
 * A snapshot is loaded once and then moved aside ({@code snapshot-<time>.loaded}); one that
 * cannot be read is moved aside untouched ({@code snapshot-<time>.unreadable}) and the
 * server starts empty. Nothing here ever deletes a snapshot.
 */
public final class StateStore {
  private static final Logger LOG = Logger.getLogger(StateStore.class.getName());
  public static final String FILE = "snapshot.wsmsg";

  private final Path dir;

  public StateStore(Path dir) {
    this.dir = dir;
  }

  public Path snapshotFile() {
    return dir.resolve(FILE);
  }

  /**
   * Loads the snapshot into the sink if there is one. Returns the number of records loaded,
   * 0 when there was none, -1 when it was unreadable (and moved aside).
   */
  public long loadIfPresent(Snapshot.Sink sink) {
    Path file = snapshotFile();
    if (!Files.exists(file)) return 0;
    long started = System.nanoTime();
    try {
      long records = SnapshotReader.load(file, sink);
      Path aside = moveAside(file, "loaded");
      LOG.info("restored " + records + " records from " + file + " in " + (System.nanoTime() - started) / 1_000_000
          + " ms; the file is kept as " + aside.getFileName());
      return records;
    } catch (SnapshotException | IOException e) {
      Path aside = null;
      try {
        aside = moveAside(file, "unreadable");
      } catch (IOException moveFailed) {
        // leave it where it is; it will be reported again next start
      }
      LOG.severe("the snapshot " + file + " cannot be read (" + e.getMessage() + "); starting empty, the file is kept"
          + (aside != null ? " as " + aside : " where it is"));
      return -1;
    }
  }

  private Path moveAside(Path file, String why) throws IOException {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"));
    Path aside = dir.resolve("snapshot-" + stamp + "." + why);
    return Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
  }
}
