package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** The JSON line format: one parseable object per record, whatever the message holds. */
class LoggingFormatTest {
  @Test
  void aRecordWithAnExceptionIsOneJsonLine() {
    LogRecord r = new LogRecord(Level.WARNING, "a \"quoted\" line\nwith a break, a tab\t and \u0001 {0}");
    r.setParameters(new Object[] {"param"});
    r.setLoggerName("io.wsmsg.test");
    r.setThrown(new IllegalStateException("boom"));
    String line = new Logging.Json().format(r);
    assertThat(line).endsWith("}\n");
    assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n");
    JsonObject j = new JsonObject(line);
    assertThat(j.getString("level")).isEqualTo("WARN");
    assertThat(j.getString("logger")).isEqualTo("io.wsmsg.test");
    assertThat(j.getString("message")).isEqualTo("a \"quoted\" line\nwith a break, a tab\t and \u0001 param");
    assertThat(j.getString("thread")).isEqualTo(Thread.currentThread().getName());
    assertThat(j.getString("exception")).startsWith("java.lang.IllegalStateException: boom").contains("\tat ");
  }

  @Test
  void levelsHaveTheOperatorsNames() {
    assertThat(Logging.levelName(Level.SEVERE)).isEqualTo("ERROR");
    assertThat(Logging.levelName(Level.WARNING)).isEqualTo("WARN");
    assertThat(Logging.levelName(Level.INFO)).isEqualTo("INFO");
    assertThat(Logging.levelName(Level.FINE)).isEqualTo("DEBUG");
    assertThat(Logging.levelName(Level.FINEST)).isEqualTo("TRACE");
    assertThat(new JsonObject(new Logging.Json().format(new LogRecord(Level.INFO, "x"))).containsKey("exception"))
        .isFalse();
  }
}
