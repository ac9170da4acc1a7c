package io.wsmsg.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.f4b6a3.ulid.Ulid;
import io.vertx.core.json.JsonArray;
import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Unit tests of the value types and helpers (no server). */
class MessageTest {

  static Message message(Object data, byte[] ref) {
    return new Message(Ulids.next(), "ch", "sub", ref, MsgPack.pack(data));
  }

  @Test
  void toStringLooksLikeTheOriginal() {
    Map<Object, Object> d = new LinkedHashMap<>();
    d.put("s", "it's");
    d.put("b", new byte[] {'h', 'i', 0});
    d.put("n", null);
    d.put("t", true);
    d.put("f", 1.5);
    d.put("l", List.of(1, -2));
    byte[] ref = Ulids.next();
    Message m = message(d, ref);
    assertThat(m.toString()).isEqualTo("Message(uid=" + m.uid() + ", channel='ch', subject='sub', reference="
        + Ulid.from(ref) + ", data={'s': 'it\\'s', 'b': b'hi\\x00', 'n': None, 't': True, 'f': 1.5, 'l': [1, -2]})");
    assertThat(m.reference()).isEqualTo(Ulid.from(ref));
    assertThat(m.uid().toBytes()).isEqualTo(m.uidBytes());
  }

  @Test
  void foreignUidsAreKeptAsBytes() {
    Message m = new Message(new byte[] {1, 2, 3}, "c", "s", new byte[] {9}, MsgPack.pack(null));
    assertThat(m.uid()).isNull();
    assertThat(m.reference()).isNull();
    assertThat(m.uidText()).isEqualTo("010203");
    assertThat(m.referenceBytes()).containsExactly(9);
    assertThat(m.toString()).contains("uid=010203").contains("reference=09").endsWith("data=None)");
  }

  @Test
  void dataConverts() {
    assertThat(message(5, null).dataAs(Integer.class)).isEqualTo(5);
    assertThat(message(5, null).dataAs(long.class)).isEqualTo(5L);
    assertThat(message(5, null).dataAs(Double.class)).isEqualTo(5.0);
    assertThat(message("x", null).dataAs(byte[].class)).containsExactly('x');
    assertThat(message(new byte[] {'y'}, null).dataAs(String.class)).isEqualTo("y");
    assertThat(message(List.of(1, Map.of("a", 2)), null).dataAs(JsonArray.class).encode()).isEqualTo("[1,{\"a\":2}]");
    assertThat(message(null, null).dataAs(String.class)).isNull();
    assertThatThrownBy(() -> message("x", null).dataAs(Long.class)).isInstanceOf(ClassCastException.class);
    Message m = message(List.of(1), null);
    assertThat(m.data()).isSameAs(m.data()); // decoded once
    assertThat(m).isEqualTo(new Message(m.uidBytes(), "ch", "sub", null, MsgPack.pack(List.of(1))));
  }

  @Test
  void literalGlobsMatchOnlyThemselves() {
    for (String p : List.of("orders.*", "a?b", "[x]y", "plain", "*", "[!a-z]*")) {
      Glob g = Glob.compile(WsmsgClient.literalGlob(p));
      assertThat(g.matches(p)).as(p).isTrue();
    }
    assertThat(Glob.compile(WsmsgClient.literalGlob("orders.*")).matches("orders.new")).isFalse();
    assertThat(Glob.compile(WsmsgClient.literalGlob("a?b")).matches("axb")).isFalse();
    String long255 = "*".repeat(200);
    assertThat(WsmsgClient.literalGlob(long255)).isEqualTo(long255); // too long escaped: sent as is
  }

  @Test
  void optionsParseUrlsAndEncodeEndpoints() {
    ClientOptions.GatewayUrl u = ClientOptions.GatewayUrl.parse("wss://example.org/wsmsg");
    assertThat(u.ssl()).isTrue();
    assertThat(u.port()).isEqualTo(443);
    assertThat(u.root()).isEqualTo("/wsmsg/");
    assertThat(ClientOptions.GatewayUrl.parse("ws://h:1").root()).isEqualTo("/");
    assertThat(ClientOptions.GatewayUrl.parse("http://h").port()).isEqualTo(80);
    assertThatThrownBy(() -> new ClientOptions().url("ftp://h/")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ClientOptions().window(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ClientOptions().endpoint("")).isInstanceOf(IllegalArgumentException.class);
    assertThat(WsmsgClient.encodeSegment("a b/ü~")).isEqualTo("a%20b%2F%C3%BC~");
    assertThat(ClientOptions.freshEndpoint()).startsWith("client-").hasSize(33);
  }
}
