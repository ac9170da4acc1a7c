package io.wsmsg.persistence;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The data directory: where the snapshot is written on a clean stop and found at start.
 * A snapshot is loaded once and then moved aside ({@code snapshot-<time>.loaded}); only the
 * last {@value #KEEP_LOADED} of those are kept. One that cannot be read or restored is moved
 * aside untouched ({@code snapshot-<time>.unreadable}, never deleted) and the server starts
 * empty.
 */
public final class StateStore {
  private static final Logger LOG = Logger.getLogger(StateStore.class.getName());
  public static final String FILE = "snapshot.wsmsg";
  /** How many {@code .loaded} snapshots are kept; older ones are deleted after a load. */
  public static final int KEEP_LOADED = 3;
  private static final String LOADED = "loaded";

  private final Path dir;

  public StateStore(Path dir) {
    this.dir = dir;
  }

  public Path snapshotFile() {
    return dir.resolve(FILE);
  }

  /**
   * Loads the snapshot into the sink if there is one. Returns the number of records loaded,
   * 0 when there was none, -1 when it was refused: it could not be read, a value broke the
   * limits, or the sink failed to apply a record. A refused file restores nothing (the sink
   * is told to {@linkplain Snapshot.Sink#discard discard} what it got) and is moved aside.
   */
  public long loadIfPresent(SnapshotLimits limits, Snapshot.Sink sink) {
    Path file = snapshotFile();
    if (!Files.exists(file)) return 0;
    long started = System.nanoTime();
    long records;
    try {
      records = SnapshotReader.load(file, limits, sink);
    } catch (SnapshotException | IOException | RuntimeException e) {
      refuse(file, sink, e);
      return -1;
    }
    Path aside;
    try {
      aside = moveAside(file, LOADED);
    } catch (IOException e) {
      // restored, but it would be restored again at the next start: refuse it instead
      refuse(file, sink, e);
      return -1;
    }
    LOG.info("restored " + records + " records from " + file + " in " + (System.nanoTime() - started) / 1_000_000
        + " ms; the file is kept as " + aside.getFileName());
    rotateLoaded(aside);
    return records;
  }

  private void refuse(Path file, Snapshot.Sink sink, Exception e) {
    try {
      sink.discard();
    } catch (RuntimeException ignored) {
      // discarding is best effort; the failure below is what the operator needs to see
    }
    String why = e instanceof SnapshotException ? e.getMessage()
        : e instanceof IOException ? "reading or moving it failed: " + e
        : "restoring it failed: " + e;
    Path aside = null;
    try {
      aside = moveAside(file, "unreadable");
    } catch (IOException moveFailed) {
      // leave it where it is; it will be reported again next start
    }
    LOG.severe("the snapshot " + file + " was NOT restored (" + why + "); the server starts EMPTY, the file is kept"
        + (aside != null ? " as " + aside : " where it is (it could not be moved)")
        + (aside != null ? "; fix what is wrong, then move it back to " + FILE + " to load it" : ""));
  }

  private Path moveAside(Path file, String why) throws IOException {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"));
    Path aside = dir.resolve("snapshot-" + stamp + "." + why);
    for (int i = 2; Files.exists(aside); i++) aside = dir.resolve("snapshot-" + stamp + "-" + i + "." + why);
    Path moved = Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
    SnapshotWriter.syncDirectory(dir);
    return moved;
  }

  /**
   * Keeps {@code justLoaded} and the newest others up to {@value #KEEP_LOADED} in all (by the
   * time in their names), deleting the rest. A deletion that fails is logged and left.
   */
  private void rotateLoaded(Path justLoaded) {
    List<Path> others;
    try (Stream<Path> s = Files.list(dir)) {
      others = new ArrayList<>(s.filter(p -> {
        String n = p.getFileName().toString();
        return n.startsWith("snapshot-") && n.endsWith("." + LOADED) && !p.equals(justLoaded) && Files.isRegularFile(p);
      }).sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList());
    } catch (IOException e) {
      LOG.warning("old loaded snapshots in " + dir + " could not be listed (" + e.getMessage() + "); none deleted");
      return;
    }
    if (others.size() < KEEP_LOADED) return;
    List<String> deleted = new ArrayList<>();
    for (Path old : others.subList(KEEP_LOADED - 1, others.size())) {
      try {
        Files.deleteIfExists(old);
        deleted.add(old.getFileName().toString());
      } catch (IOException e) {
        LOG.warning("the old loaded snapshot " + old + " could not be deleted: " + e.getMessage());
      }
    }
    if (!deleted.isEmpty()) {
      LOG.info("deleted " + deleted.size() + " old loaded snapshot" + (deleted.size() == 1 ? "" : "s") + " from "
          + dir + " (the last " + KEEP_LOADED + " are kept): " + String.join(", ", deleted));
    }
  }
}
