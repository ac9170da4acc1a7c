package io.wsmsg.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.f4b6a3.ulid.Ulid;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Uid}, {@link Ulids} and {@link WireOrder}. */
class IdsAndOrderTest {

  @Test
  void uidComparesBytesByValue() {
    byte[] a = {1, 2, 3};
    Uid u = Uid.of(a);
    assertThat(u).isEqualTo(Uid.of(new byte[] {1, 2, 3})).hasSameHashCodeAs(Uid.of(new byte[] {1, 2, 3}));
    assertThat(u).isNotEqualTo(Uid.of(new byte[] {1, 2, 4}));
    assertThat(u).isNotEqualTo(Uid.of(new byte[] {1, 2}));
    assertThat(u).isNotEqualTo(a);
    assertThat(u.bytes()).isSameAs(a);

    Map<Uid, String> m = new HashMap<>();
    m.put(Uid.of(new byte[] {9, 9}), "x");
    assertThat(m.get(Uid.of(new byte[] {9, 9}))).isEqualTo("x");
  }

  @Test
  void uidTextIsUlidForSixteenBytesAndHexOtherwise() {
    byte[] ulid = Ulids.next();
    assertThat(Uid.of(ulid).toString()).hasSize(26).isEqualTo(Ulid.from(ulid).toString());
    assertThat(Uid.of(new byte[] {(byte) 0xab, 0x01}).toString()).isEqualTo("ab01");
    assertThat(Uid.hex(new byte[] {0x00, (byte) 0xff})).isEqualTo("00ff");
    assertThat(Uid.hex(null)).isEqualTo("nil");
  }

  @Test
  void ulidsAreSixteenBytesUniqueTimeOrderedAndNotGuessable() {
    byte[] prev = Ulids.next();
    Set<Uid> seen = new HashSet<>();
    seen.add(Uid.of(prev));
    int successors = 0;
    for (int i = 0; i < 10_000; i++) {
      byte[] next = Ulids.next();
      assertThat(next).hasSize(16);
      // ordered by their millisecond timestamps, random within one (no +1 successor to guess)
      assertThat(Ulid.from(next).getTime()).as("time-ordered at %d", i).isGreaterThanOrEqualTo(Ulid.from(prev).getTime());
      if (Ulid.from(prev).increment().equals(Ulid.from(next))) successors++;
      assertThat(seen.add(Uid.of(next))).isTrue();
      prev = next;
    }
    assertThat(successors).as("uids that are the previous one plus 1").isZero();
    // the timestamp part is close to now
    long ms = Ulid.from(prev).getTime();
    assertThat(Math.abs(ms - System.currentTimeMillis())).isLessThan(60_000);
  }

  @Test
  void ulidTextIsCanonical() {
    String text = Ulids.nextText();
    assertThat(text).hasSize(26).matches("[0-9A-HJKMNP-TV-Z]{26}");
    assertThat(Ulids.toText(Ulid.from(text).toBytes())).isEqualTo(text);
    assertThat(Ulids.toText(null)).isEqualTo("nil");
    assertThat(Ulids.toText(new byte[] {1, 2, 3})).isEqualTo("010203");
    assertThat(Ulids.toText(new byte[17])).isEqualTo("00".repeat(17));
  }

  @ParameterizedTest
  @CsvSource({"seed, SEED", "SEED, SEED", "' Seed ', SEED", "legacy, LEGACY", "LEGACY, LEGACY",
      "' legacy', LEGACY"})
  void parsesOrderNames(String text, WireOrder expected) {
    assertThat(WireOrder.parse(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"x", "seeds", "legacyy", "0", "1", "documented"})
  void refusesOtherOrderNames(String text) {
    assertThat(WireOrder.parse(text)).isNull();
  }

  @Test
  void wireNamesParseBack() {
    for (WireOrder o : WireOrder.values()) assertThat(WireOrder.parse(o.wireName())).isEqualTo(o);
    assertThat(WireOrder.SEED.wireName()).isEqualTo("seed");
    assertThat(WireOrder.LEGACY.wireName()).isEqualTo("legacy");
  }
}
