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

  @Benchmark
  public boolean regexTrailingStar() {
    return regex.matcher(text).matches();
  }
}
