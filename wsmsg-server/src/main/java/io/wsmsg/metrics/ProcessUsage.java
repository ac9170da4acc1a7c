package io.wsmsg.metrics;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What this server process has spent so far: CPU time of the whole process (every thread, GC
 * and JIT included), CPU time of each Vert.x event-loop thread, and resident memory. Read by
 * the management port so a load tool can take two readings and divide by the work done in
 * between. Reading walks the JVM's threads and (on Linux) a file under /proc: call it on a
 * worker thread, never on an event loop.
 */
public final class ProcessUsage {
  /** Vert.x names its event-loop threads vert.x-eventloop-thread-0, -1, ... */
  public static final String EVENT_LOOP_PREFIX = "vert.x-eventloop-thread-";
  private static final Path PROC_STATUS = Path.of("/proc/self/status");

  private ProcessUsage() {}

  /** One event-loop thread and the CPU it has used since it started. */
  public record Thread(String name, long cpuNanos) {}

  /**
   * One reading. {@code cpuNanos} is -1 where the JVM cannot tell it; {@code rssBytes} is -1
   * where the system has no /proc (anything but Linux); {@code eventLoops} lists only the
   * threads the JVM measures (per-thread CPU time can be switched off), in the order of their numbers.
   */
  public record Reading(long cpuNanos, long rssBytes, long heapUsedBytes, int cpus, List<Thread> eventLoops) {}

  public static Reading read() {
    return new Reading(processCpuNanos(), rssBytes(), ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(),
        Runtime.getRuntime().availableProcessors(), eventLoops());
  }

  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** VmRSS of /proc/self/status in bytes, or -1 when there is no such file or line. */
  static long rssBytes() {
    if (!Files.isReadable(PROC_STATUS)) return -1;
    try {
      return vmRss(Files.readAllLines(PROC_STATUS));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The VmRSS line of a /proc/PID/status ("VmRSS:   123456 kB") in bytes, or -1. */
  public static long vmRss(List<String> statusLines) {
    for (String l : statusLines) {
      if (!l.startsWith("VmRSS:")) continue;
      String[] f = l.substring(6).trim().split("\\s+");
      long v = Long.parseLong(f[0]);
      return f.length > 1 && f[1].equalsIgnoreCase("kB") ? v * 1024 : v;
    }
    return -1;
  }

  static List<Thread> eventLoops() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    List<Thread> out = new ArrayList<>();
    if (!mx.isThreadCpuTimeSupported() || !mx.isThreadCpuTimeEnabled()) return out;
    for (ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (ti == null || !ti.getThreadName().startsWith(EVENT_LOOP_PREFIX)) continue;
      long cpu = mx.getThreadCpuTime(ti.getThreadId());
      if (cpu >= 0) out.add(new Thread(ti.getThreadName(), cpu)); // -1: the thread ended meanwhile
    }
    out.sort(Comparator.comparingInt((Thread t) -> t.name().length()).thenComparing(Thread::name)); // -2 before -10
    return out;
  }
}
