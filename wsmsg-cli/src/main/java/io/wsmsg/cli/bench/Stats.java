package io.wsmsg.cli.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Counters and latency recording shared by a scenario's connections (any thread). Latencies
 * are recorded in nanoseconds into an HdrHistogram {@link Recorder} (wait-free for the
 * recording threads); the runner takes an interval histogram every second.
 */
final class Stats {
  final LongAdder sent = new LongAdder();
  final LongAdder received = new LongAdder();
  /** Messages that are not this run's, acked and ignored (a previous run's leftovers). */
  final LongAdder foreign = new LongAdder();
  /** error notices from the server. */
  final LongAdder errors = new LongAdder();
  final LongAdder timeouts = new LongAdder();
  final Recorder latency = new Recorder(3);
  private final List<String> errorTexts = Collections.synchronizedList(new ArrayList<>());

  void record(long nanos) {
    latency.recordValue(Math.max(0, nanos));
  }

  void error(String text) {
    errors.increment();
    if (errorTexts.size() < 5) errorTexts.add(text);
  }

  List<String> errorSamples() {
    synchronized (errorTexts) {
      return new ArrayList<>(errorTexts);
    }
  }

  /** Percentiles of a histogram of nanoseconds, in microseconds. */
  static double[] micros(Histogram h) {
    if (h.getTotalCount() == 0) return new double[] {0, 0, 0, 0, 0, 0};
    return new double[] {
      h.getValueAtPercentile(50) / 1000.0,
      h.getValueAtPercentile(90) / 1000.0,
      h.getValueAtPercentile(99) / 1000.0,
      h.getValueAtPercentile(99.9) / 1000.0,
      h.getMaxValue() / 1000.0,
      h.getMean() / 1000.0,
    };
  }

  static double median(List<Double> xs) {
    if (xs.isEmpty()) return 0;
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
