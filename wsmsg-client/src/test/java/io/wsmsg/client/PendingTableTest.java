package io.wsmsg.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.protocol.Uid;
import io.wsmsg.protocol.Ulids;
import org.junit.jupiter.api.Test;

class PendingTableTest {
  private final PendingTable<String> table = new PendingTable<>(100);

  private static Uid uid() {
    return Uid.of(Ulids.next());
  }

  @Test
  void anEntryIsFoundByItsUidUntilRemoved() {
    Uid a = uid();
    table.put(a, "request a");
    assertThat(table.get(Uid.of(a.bytes().clone()))).isEqualTo("request a"); // by value, not identity
    assertThat(table.remove(a)).isEqualTo("request a");
    assertThat(table.get(a)).isNull();
    assertThat(table.remove(a)).isNull();
  }

  @Test
  void anAliasResolvesToItsEntryUntilUnaliased() {
    Uid key = uid();
    Uid helper = uid();
    Uid stranger = uid();
    table.put(key, "command");
    table.alias(helper, key);
    assertThat(table.resolve(helper)).isEqualTo(key);
    assertThat(table.resolve(key)).isEqualTo(key);
    assertThat(table.resolve(stranger)).isEqualTo(stranger);
    table.unalias(helper);
    assertThat(table.resolve(helper)).isEqualTo(helper);
  }

  @Test
  void aFinishedEntryIsNoLongerPendingAndRecognizedUntilForgotten() {
    Uid a = uid();
    table.put(a, "request");
    table.finish(a, 1_000);
    assertThat(table.get(a)).isNull();
    assertThat(table.entries()).isEmpty();
    assertThat(table.isFinished(a)).isTrue();
    table.forgetFinished(1_000); // not past yet
    assertThat(table.isFinished(a)).isTrue();
    table.forgetFinished(1_001);
    assertThat(table.isFinished(a)).isFalse();
  }

  @Test
  void forgettingKeepsTheEntriesWhoseTimeHasNotCome() {
    Uid early = uid();
    Uid late = uid();
    table.finish(late, 5_000);
    table.finish(early, 1_000);
    table.forgetFinished(2_000);
    assertThat(table.isFinished(early)).isFalse();
    assertThat(table.isFinished(late)).isTrue();
  }

  @Test
  void finishedEntriesAreBoundedOldestFirst() {
    PendingTable<String> small = new PendingTable<>(2);
    Uid first = uid();
    Uid second = uid();
    Uid third = uid();
    small.finish(first, Long.MAX_VALUE);
    small.finish(second, Long.MAX_VALUE);
    small.finish(third, Long.MAX_VALUE);
    assertThat(small.isFinished(first)).isFalse();
    assertThat(small.isFinished(second)).isTrue();
    assertThat(small.isFinished(third)).isTrue();
  }

  @Test
  void entriesAreACopySoFailingThemMayRemoveThem() {
    Uid a = uid();
    Uid b = uid();
    table.put(a, "a");
    table.put(b, "b");
    for (String e : table.entries()) table.finish(e.equals("a") ? a : b, 0);
    assertThat(table.entries()).isEmpty();
  }

  @Test
  void clearDropsThePendingEntriesAndKeepsTheFinishedOnes() {
    Uid done = uid();
    Uid open = uid();
    table.finish(done, Long.MAX_VALUE);
    table.put(open, "open");
    table.clear();
    assertThat(table.get(open)).isNull();
    assertThat(table.isFinished(done)).isTrue();
  }
}
