package io.wsmsg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The part of {@code scripts/fault-test.sh} that runs in CI: three member JVMs, numbered
 * messages from a publisher at one member to an endpoint owned by another and consumed through
 * the third, checked number by number. (A graceful leave and a hung member have their own tests:
 * {@link GracefulLeaveTest}, {@link HungMemberTest}.)
 */
class FaultSuiteTest {
  @TempDir Path dir;

  /** Every number published came exactly once. */
  private static void assertExactlyOnce(FaultScenarios.Run r, Map<String, String> row) {
    assertThat(r.missing()).as("numbers never received: " + row).isEmpty();
    assertThat(r.duplicates()).as("numbers received twice: " + row).isEmpty();
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aRollingRestartOfEveryMemberLosesAndDuplicatesNothing() throws Exception {
    Map<String, String> row = new LinkedHashMap<>();
    try (FaultScenarios.Run r = new FaultScenarios.Run(dir)) {
      r.rolling(row);
      assertThat(r.published).as("numbers published through the restarts").isGreaterThan(1000);
      assertExactlyOnce(r, row);
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void theAdminStopKeepsTheBacklogAcrossAFullRestart() throws Exception {
    Map<String, String> row = new LinkedHashMap<>();
    try (FaultScenarios.Run r = new FaultScenarios.Run(dir)) {
      r.stopAll(row);
      assertThat(r.receivedAfterRestart).as("a backlog waited in Q over the stop: " + row).isGreaterThan(0);
      assertExactlyOnce(r, row);
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void killingTheOwnerLosesNothingPublishedAfterTheKill() throws Exception {
    Map<String, String> row = new LinkedHashMap<>();
    try (FaultScenarios.Run r = new FaultScenarios.Run(dir)) {
      r.kill9(row);
      assertThat(r.atKill).isPositive();
      assertThat(r.published).as("numbers kept coming after the kill").isGreaterThan(r.atKill + 1000);
      // what the owner had confirmed and still held when it died (in its queue, or on its way to
      // the consumer's gateway) goes with it; everything published after the kill was never
      // confirmed by it and goes again to the new owner
      assertThat(r.missing()).as("numbers never received must be ones the owner held (published before the kill): " + row)
          .allSatisfy(n -> assertThat(n).isLessThan(r.atKill));
      // at-least-once across the death: only what the owner delivered after its last
      // confirmation can come twice, and that was published before the kill
      List<Integer> dup = r.duplicates();
      assertThat(dup).as("duplicates are numbers published before the kill: " + row)
          .allSatisfy(n -> assertThat(n).isLessThan(r.atKill));
    }
  }
}
