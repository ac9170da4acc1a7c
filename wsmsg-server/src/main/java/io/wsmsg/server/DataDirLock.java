package io.wsmsg.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One server per data directory: two servers sharing one would each write their snapshot over
 * the other's on stop. A running server holds an OS lock on {@value #FILE} in its data
 * directory (released by the OS if the process dies, so a crash never leaves a stale lock);
 * the file holds the process id of the holder, for the message another server prints. The
 * file itself stays.
 */
final class DataDirLock implements AutoCloseable {
  static final String FILE = "wsmsg.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Creates the directory if needed and locks it, or says in one sentence why not. Blocking. */
  static DataDirLock acquire(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    Path file = abs.resolve(FILE);
    FileChannel ch;
    try {
      Files.createDirectories(abs);
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException | RuntimeException e) {
      throw new StartupException("cannot use the data directory " + abs + " (dataDir): " + e.getMessage()
          + "; choose another with --data-dir or WSMSG_DATA_DIR");
    }
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException inThisProcess) {
      lock = null;
    } catch (IOException e) {
      close(ch);
      throw new StartupException("cannot lock the data directory " + abs + " (dataDir): " + e.getMessage()
          + "; choose another with --data-dir or WSMSG_DATA_DIR");
    }
    if (lock == null) {
      String holder = holder(file);
      close(ch);
      throw new StartupException("the data directory " + abs + " (dataDir) is in use by another wsmsg server"
          + (holder.isEmpty() ? "" : " (process " + holder + ")") + ": give this one its own with --data-dir or"
          + " WSMSG_DATA_DIR (a second server on this machine also needs its own --port and --management-port)");
    }
    try {
      ch.truncate(0);
      ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
    } catch (IOException e) {
      // the lock holds without the note of who holds it
    }
    return new DataDirLock(ch, lock);
  }

  private static String holder(Path file) {
    try {
      String s = Files.readString(file, StandardCharsets.US_ASCII).trim();
      return s.matches("\\d{1,10}") ? s : "";
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static void close(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing held
    }
  }

  /** Releases the directory (idempotent). */
  @Override
  public void close() {
    try {
      if (lock.isValid()) lock.release();
    } catch (IOException ignored) {
      // closing the channel below releases it too
    }
    close(channel);
  }
}
