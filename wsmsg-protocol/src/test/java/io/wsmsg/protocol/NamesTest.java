package io.wsmsg.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NamesTest {
  @Test
  void namesAreOneTo255BytesOfUtf8() {
    assertThat(Names.validName("orders")).isTrue();
    assertThat(Names.validName("")).isFalse();
    assertThat(Names.validName("x".repeat(255))).isTrue();
    assertThat(Names.validName("x".repeat(256))).isFalse();
    assertThat(Names.validName("é".repeat(127))).isTrue(); // 254 bytes
    assertThat(Names.validName("é".repeat(128))).isFalse(); // 256 bytes
    assertThat(Names.validName("\uD83D\uDE00")).isTrue(); // a pair: 4 bytes
    assertThat(Names.validName("a\uD83D")).isFalse(); // a lone surrogate is not UTF-8
    assertThat(Names.validPattern("", true)).isTrue();
    assertThat(Names.validPattern("", false)).isFalse();
    assertThat(Names.validUid(new byte[64])).isTrue();
    assertThat(Names.validUid(new byte[65])).isFalse();
    assertThat(Names.validUid(new byte[0])).isFalse();
  }

  @Test
  void strictUtf8RefusesWhatALenientDecoderWouldReplace() {
    byte[] ok = "zürich-ü".getBytes(StandardCharsets.UTF_8);
    assertThat(Names.strictUtf8(ok, 0, ok.length)).isEqualTo("zürich-ü");
    assertThat(Names.strictUtf8(new byte[] {'a', 'b', 'c'}, 1, 2)).isEqualTo("bc");
    assertThat(Names.strictUtf8(new byte[] {(byte) 0xc3, (byte) 0x28}, 0, 2)).isNull();
    assertThat(Names.strictUtf8(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, 0, 3)).isNull(); // a surrogate
  }
}
