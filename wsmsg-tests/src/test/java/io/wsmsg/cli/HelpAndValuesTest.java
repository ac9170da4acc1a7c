package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsmsg.cli.Cli.Result;
import io.wsmsg.protocol.MsgPack;
import java.math.BigInteger;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** Help texts, and the JSON and duration conversions of the client commands. */
class HelpAndValuesTest {
  @Test
  void helpListsTheCommandsAndTheExitCodes() {
    Result main = Cli.run("--help");
    assertThat(main.code()).isZero();
    assertThat(main.out()).contains("server", "token", "pub", "sub", "req", "reply", "Exit codes: 0 done");
    for (String cmd : List.of("pub", "sub", "req", "reply")) {
      Result r = Cli.run(cmd, "--help");
      assertThat(r.code()).isZero();
      assertThat(r.out()).contains("--url", "--endpoint", "--token", "--window", "--order", "--timeout", "Exit codes:",
          "  3   cannot connect");
    }
    assertThat(Cli.run("req", "--help").out()).contains("  5   remote exception");
  }

  @Test
  void jsonBecomesPlainJavaValues() {
    Object v = JsonValues.parse("{\"i\": 1, \"big\": 18446744073709551615, \"d\": 2.5, \"s\": \"x\", \"n\": null,"
        + " \"b\": true, \"l\": [1, [2]], \"bin\": {\"$bin\": \"AQI=\"}, \"ext\": {\"$ext\": 5, \"data\": \"AA==\"}}");
    assertThat(v).isInstanceOf(Map.class);
    Map<?, ?> m = (Map<?, ?>) v;
    assertThat(List.<Object>copyOf(m.keySet())).containsExactly("i", "big", "d", "s", "n", "b", "l", "bin", "ext");
    assertThat(m.get("i")).isEqualTo(1L);
    assertThat(m.get("big")).isEqualTo(new BigInteger("18446744073709551615"));
    assertThat(m.get("d")).isEqualTo(2.5);
    assertThat(m.get("n")).isNull();
    assertThat(m.get("b")).isEqualTo(true);
    assertThat(m.get("l")).isEqualTo(List.of(1L, List.of(2L)));
    assertThat((byte[]) m.get("bin")).containsExactly(1, 2);
    assertThat(m.get("ext")).isEqualTo(new MsgPack.Ext((byte) 5, new byte[] {0}));
    assertThat(JsonValues.parse("\"text\"")).isEqualTo("text");
    assertThat(JsonValues.parse("-3")).isEqualTo(-3L);
    assertThatThrownBy(() -> JsonValues.parse("text")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not JSON");
    // packed and decoded again, the value prints as the JSON it came from
    String json = "{\"i\":1,\"big\":18446744073709551615,\"d\":2.5,\"s\":\"x\",\"n\":null,\"b\":true,\"l\":[1,[2]],"
        + "\"bin\":{\"$bin\":\"AQI=\"},\"ext\":{\"$ext\":5,\"data\":\"AA==\"}}";
    assertThat(JsonValues.toJson(MsgPack.unpack(MsgPack.pack(JsonValues.parse(json))))).isEqualTo(json);
  }

  @Test
  void msgpackValuesJsonCannotHoldArePrintedReadably() {
    Map<Object, Object> m = new LinkedHashMap<>();
    m.put(1L, "one");
    m.put(new MsgPack.BinKey(new byte[] {1}), Double.NaN);
    m.put("inf", Double.NEGATIVE_INFINITY);
    m.put("f", 1.5f);
    assertThat(JsonValues.toJson(m)).isEqualTo("{\"1\":\"one\",\"AQ==\":\"NaN\",\"inf\":\"-Infinity\",\"f\":1.5}");
    assertThat(JsonValues.toJson(null)).isEqualTo("null");
    assertThat(JsonValues.toJson(new byte[0])).isEqualTo("{\"$bin\":\"\"}");
  }

  @Test
  void durations() {
    Converters.DurationConverter c = new Converters.DurationConverter();
    assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(c.convert("5s")).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.convert("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(c.convert("2")).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.convert("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(c.convert("PT3S")).isEqualTo(Duration.ofSeconds(3));
    assertThatThrownBy(() -> c.convert("0s")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> c.convert("soon")).isInstanceOf(TypeConversionException.class);
    assertThat(Converters.text(Duration.ofMillis(300))).isEqualTo("300 ms");
    assertThat(Converters.text(Duration.ofMillis(1500))).isEqualTo("1.5 s");
    assertThat(Converters.text(Duration.ofSeconds(5))).isEqualTo("5 s");
  }
}
