package io.wsmsg.bench;

import io.wsmsg.persistence.Snapshot;
import io.wsmsg.persistence.SnapshotReader;
import io.wsmsg.persistence.SnapshotWriter;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Time to write and to load snapshots of 10k, 100k and 1M queued messages with 100-byte data
 * (median of three runs each). Whole-file operations, so a plain timer rather than JMH.
 * Run with scripts/bench-snapshot.sh.
 */
public final class SnapshotBench {
  public static void main(String[] args) throws Exception {
    int[] sizes = args.length > 0 ? Arrays.stream(args).mapToInt(Integer::parseInt).toArray()
        : new int[] {10_000, 100_000, 1_000_000};
    Path dir = Files.createTempDirectory("wsmsg-snapshot-bench");
    System.out.printf("%10s %12s %12s %12s%n", "messages", "file MiB", "write ms", "load ms");
    for (int n : sizes) {
      List<Frame> frames = new ArrayList<>(n);
      byte[] data = MsgPack.pack(new byte[97]); // 100 bytes of msgpack: bin8 header + 97
      for (int i = 0; i < n; i++) {
        frames.add(FrameCodec.encode(Ulids.next(), "jobs", "work", null, data, WireOrder.SEED));
      }
      long[] write = new long[3];
      long[] load = new long[3];
      Path file = dir.resolve("snapshot.wsmsg");
      for (int r = 0; r < 3; r++) {
        long t0 = System.nanoTime();
        try (SnapshotWriter w = new SnapshotWriter(file)) {
          w.endpoint("workers", n);
          long now = System.currentTimeMillis();
          for (Frame f : frames) w.queued("workers", 0, now, f);
          w.commit();
        }
        write[r] = (System.nanoTime() - t0) / 1_000_000;
        long[] count = {0};
        long t1 = System.nanoTime();
        SnapshotReader.load(file, new Snapshot.Sink() {
          @Override public void channel(String name, int size, int priority) { }
          @Override public void endpoint(String name, int size) { }
          @Override public void subscription(String e, String c, String s) { }
          @Override public void messageSubscription(String e, byte[] uid, long exp) { }
          @Override public void queued(String e, int p, long at, Frame f) {
            count[0]++;
          }
        });
        load[r] = (System.nanoTime() - t1) / 1_000_000;
        if (count[0] != n) throw new IllegalStateException("loaded " + count[0] + " of " + n);
      }
      Arrays.sort(write);
      Arrays.sort(load);
      System.out.printf("%10d %12.1f %12d %12d%n", n, Files.size(file) / 1048576.0, write[1], load[1]);
      frames.clear();
    }
  }
}
