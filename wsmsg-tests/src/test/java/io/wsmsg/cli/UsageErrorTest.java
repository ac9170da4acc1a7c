package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.cli.Cli.Result;
import org.junit.jupiter.api.Test;

/** A usage error is a few lines: what is wrong, a suggestion when there is one, where the help is; exit 2. */
class UsageErrorTest {
  private static void assertShort(Result r) {
    assertThat(r.code()).as(r.toString()).isEqualTo(2);
    assertThat(r.out()).as("nothing on stdout").isEmpty();
    assertThat(r.err()).as("no whole help").doesNotContain("Usage:").doesNotContain("Exit codes");
    assertThat(r.err().lines().count()).as(r.err()).isBetween(2L, 3L);
  }

  @Test
  void aMistypedCommandGetsASuggestion() {
    Result r = Cli.run("sbu");
    assertShort(r);
    assertThat(r.err()).startsWith("wsmsg: unknown command 'sbu'").contains("did you mean wsmsg sub?").endsWith("see 'wsmsg --help'" + System.lineSeparator());
  }

  @Test
  void aMistypedOptionGetsASuggestion() {
    Result r = Cli.run("sub", "--endpont", "x");
    assertShort(r);
    assertThat(r.err()).startsWith("wsmsg sub: ").contains("--endpont").contains("did you mean --endpoint?")
        .contains("see 'wsmsg sub --help'");
  }

  @Test
  void aMissingArgumentIsNamed() {
    Result r = Cli.run("pub");
    assertShort(r);
    assertThat(r.err()).startsWith("wsmsg pub: Missing required parameter").contains("CHANNEL")
        .doesNotContain("did you mean").contains("see 'wsmsg pub --help'");
  }

  @Test
  void aBadValueIsNamed() {
    Result r = Cli.run("endpoints", "--limit", "many");
    assertShort(r);
    assertThat(r.err()).contains("--limit").contains("many").contains("see 'wsmsg endpoints --help'");
  }
}
