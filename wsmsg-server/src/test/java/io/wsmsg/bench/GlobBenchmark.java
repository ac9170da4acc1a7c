package io.wsmsg.bench;

import io.wsmsg.glob.Glob;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** Glob matching against a typical subject, compared with the equivalent java.util.regex. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GlobBenchmark {
  final String text = "order.get.request";
  final Glob literal = Glob.compile("order.get.request");
  final Glob star = Glob.compile("order.*");
  final Glob middle = Glob.compile("*.get.*");
  final Glob klass = Glob.compile("order.[a-z]et.re?uest");
  final Pattern regex = Pattern.compile("order\\..*");
  /**
   * A hostile pattern against 255-character subjects (issue 9, item 8): a backtracking matcher
   * tries every way of placing five a's among 247 characters; this one scans the text once.
   */
  final Glob hostile = Glob.compile("orders.*a*a*a*a*a*b");
  final String hostileMiss = "orders." + "a".repeat(247) + "c";
  final String hostileMissInside = "orders.a" + "c".repeat(246) + "b";
  final String hostileHit = "orders." + "a".repeat(247) + "b";

  @Benchmark
  public boolean literal() {
    return literal.matches(text);
  }

  @Benchmark
  public boolean trailingStar() {
    return star.matches(text);
  }

  @Benchmark
  public boolean starsBothSides() {
    return middle.matches(text);
  }

  @Benchmark
  public boolean classAndQuestion() {
    return klass.matches(text);
  }

  /** Fails at the anchored tail: the last character is not 'b'. */
  @Benchmark
  public boolean hostileMissAtTheEnd() {
    return hostile.matches(hostileMiss);
  }

  /** Fails in the middle: only one 'a', found, then 247 characters scanned for the next. */
  @Benchmark
  public boolean hostileMissInside() {
    return hostile.matches(hostileMissInside);
  }

  @Benchmark
  public boolean hostileHit() {
    return hostile.matches(hostileHit);
  }

  @Benchmark
  public boolean regexTrailingStar() {
    return regex.matcher(text).matches();
  }
}
