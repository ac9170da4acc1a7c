package io.wsmsg.protocol;

import static io.wsmsg.protocol.Packing.bin;
import static io.wsmsg.protocol.Packing.bytes;
import static io.wsmsg.protocol.Packing.concat;
import static io.wsmsg.protocol.Packing.filled;
import static io.wsmsg.protocol.Packing.pack;
import static io.wsmsg.protocol.Packing.rawStr;
import static io.wsmsg.protocol.Packing.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

class MsgPackTest {
  static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  /** (Java value written, value read back). */
  static Stream<Arguments> roundTrips() {
    Map<Object, Object> nested = new LinkedHashMap<>();
    nested.put("z", List.of(1L, "two", List.of()));
    nested.put("a", Map.of("deep", Arrays.asList(null, true, 1.5)));
    nested.put(7L, new LinkedHashMap<>());
    return Stream.of(
        Arguments.of(null, null),
        Arguments.of(true, true),
        Arguments.of(false, false),
        Arguments.of(0, 0L),
        Arguments.of(-1, -1L),
        Arguments.of(127, 127L),
        Arguments.of(-32, -32L),
        Arguments.of(255, 255L),
        Arguments.of(Integer.MAX_VALUE, (long) Integer.MAX_VALUE),
        Arguments.of(Integer.MIN_VALUE, (long) Integer.MIN_VALUE),
        Arguments.of(Long.MAX_VALUE, Long.MAX_VALUE),
        Arguments.of(Long.MIN_VALUE, Long.MIN_VALUE),
        Arguments.of((short) -300, -300L),
        Arguments.of((byte) -100, -100L),
        Arguments.of(BigInteger.valueOf(5), 5L),
        Arguments.of(BigInteger.valueOf(-5), -5L),
        Arguments.of(BigInteger.ONE.shiftLeft(63), BigInteger.ONE.shiftLeft(63)),
        Arguments.of(U64_MAX, U64_MAX),
        Arguments.of(1.5f, 1.5d),
        Arguments.of(Math.PI, Math.PI),
        Arguments.of(-0.0d, -0.0d),
        Arguments.of(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY),
        Arguments.of("", ""),
        Arguments.of("hello", "hello"),
        Arguments.of("ж€\uD83D\uDE00", "ж€\uD83D\uDE00"),
        Arguments.of("x".repeat(70_000), "x".repeat(70_000)),
        Arguments.of('c', "c"),
        Arguments.of(List.of(1, "a", List.of(true)), List.of(1L, "a", List.of(true))),
        Arguments.of(new Object[] {1, null, "b"}, Arrays.asList(1L, null, "b")),
        Arguments.of(Set.of(3), List.of(3L)),
        Arguments.of(nested, nested),
        Arguments.of(new MsgPack.Ext((byte) 5, bytes(1, 2, 3)), new MsgPack.Ext((byte) 5, bytes(1, 2, 3))),
        Arguments.of(new MsgPack.Ext((byte) -1, filled(8, 0)), new MsgPack.Ext((byte) -1, filled(8, 0))),
        Arguments.of(new MsgPack.Raw(bytes(0x92, 0x01, 0xc0)), Arrays.asList(1L, null)),
        Arguments.of(new MsgPack.BinKey(utf8("k")), utf8("k")));
  }

  /** The class a decoded value must have: List and Map implementations may differ. */
  static Class<?> kind(Object expected) {
    if (expected instanceof List) return List.class;
    if (expected instanceof Map) return Map.class;
    return expected.getClass();
  }

  @ParameterizedTest
  @MethodSource("roundTrips")
  void packThenUnpack(Object written, Object expected) {
    Object back = MsgPack.unpack(MsgPack.pack(written));
    if (expected == null) {
      assertThat(back).isNull();
    } else {
      assertThat(back).isInstanceOf(kind(expected));
      assertThat(back).usingRecursiveComparison().isEqualTo(expected);
      if (expected instanceof byte[] b) assertThat((byte[]) back).isEqualTo(b);
      else assertThat(back).isEqualTo(expected);
    }
  }

  @Test
  void byteArraysRoundTripAsBin() {
    for (int n : new int[] {0, 1, 255, 256, 65_535, 65_536}) {
      byte[] b = filled(n, 0xc1);
      byte[] packed = MsgPack.pack(b);
      int header = packed[0] & 0xff;
      assertThat(header).as("bin format for %d bytes", n).isIn(0xc4, 0xc5, 0xc6);
      assertThat((byte[]) MsgPack.unpack(packed)).isEqualTo(b);
    }
  }

  @Test
  void mapsKeepInsertionOrderAndBinKeysGetValueEquality() {
    Map<Object, Object> m = new LinkedHashMap<>();
    for (String k : List.of("zeta", "alpha", "mid", "beta")) m.put(k, k.length());
    @SuppressWarnings("unchecked")
    Map<Object, Object> back = (Map<Object, Object>) MsgPack.unpack(MsgPack.pack(m));
    assertThat(back.keySet()).containsExactly("zeta", "alpha", "mid", "beta");

    Map<Object, Object> withBinKey = new LinkedHashMap<>();
    withBinKey.put(utf8("key"), "v");
    @SuppressWarnings("unchecked")
    Map<Object, Object> b = (Map<Object, Object>) MsgPack.unpack(MsgPack.pack(withBinKey));
    assertThat(b).containsOnlyKeys(new MsgPack.BinKey(utf8("key")));
    assertThat(b.get(new MsgPack.BinKey(utf8("key")))).isEqualTo("v");
  }

  @Test
  void writesTheExpectedWireFormats() {
    assertThat(MsgPack.pack(null)).containsExactly(0xc0);
    assertThat(MsgPack.pack(true)).containsExactly(0xc3);
    assertThat(MsgPack.pack(1)).containsExactly(0x01);
    assertThat(MsgPack.pack(-1L)).containsExactly(0xff);
    assertThat(MsgPack.pack(1.5f)).containsExactly(0xca, 0x3f, 0xc0, 0, 0);
    assertThat(MsgPack.pack(1.5d)).containsExactly(0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0);
    assertThat(MsgPack.pack("a")).containsExactly(0xa1, 'a');
    assertThat(MsgPack.pack("x".repeat(40))).startsWith(0xd9, 40);
    assertThat(MsgPack.pack(bytes(7))).containsExactly(0xc4, 1, 7);
    assertThat(MsgPack.pack(new MsgPack.BinKey(bytes(7)))).containsExactly(0xc4, 1, 7);
    assertThat(MsgPack.pack(new MsgPack.Ext((byte) 3, bytes(9)))).containsExactly(0xd4, 3, 9);
    assertThat(MsgPack.pack(List.of())).containsExactly(0x90);
    assertThat(MsgPack.pack(Map.of())).containsExactly(0x80);
    assertThat(MsgPack.pack(new MsgPack.Raw(bytes(0x93, 1, 2, 3)))).containsExactly(0x93, 1, 2, 3);
    assertThat(MsgPack.packArray("ack", null, 3)).containsExactly(0x93, 0xa3, 'a', 'c', 'k', 0xc0, 3);
    assertThat(MsgPack.pack(List.of(new MsgPack.Raw(bytes(0xc3)), 1))).containsExactly(0x92, 0xc3, 1);
  }

  @Test
  void refusesJavaTypesItCannotMap() {
    for (Object v : List.of(new Object(), Instant.EPOCH, new java.math.BigDecimal("1.5"),
        new java.util.concurrent.atomic.AtomicInteger(1))) {
      assertThatThrownBy(() -> MsgPack.pack(v)).as(v.getClass().getName())
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(v.getClass().getName());
    }
    assertThatThrownBy(() -> MsgPack.pack(U64_MAX.add(BigInteger.ONE)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MsgPack.pack(List.of(1, new Object())))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** Bytes written by msgpack-core directly, and the Java value they must decode to. */
  static Stream<Arguments> independentlyPacked() {
    Map<Object, Object> datetime = new LinkedHashMap<>();
    datetime.put(new MsgPack.BinKey(utf8("__datetime__")), true);
    datetime.put(new MsgPack.BinKey(utf8("as_str")), utf8("20240506T07:08:09.123456"));
    List<Object> array16 = new ArrayList<>();
    for (long i = 0; i < 20; i++) array16.add(i);
    Map<Object, Object> map16 = new LinkedHashMap<>();
    for (long i = 0; i < 20; i++) map16.put("k" + i, i);
    return Stream.of(
        Arguments.of(pack(p -> p.packInt(200)), 200L),
        Arguments.of(pack(p -> p.packInt(60_000)), 60_000L),
        Arguments.of(pack(p -> p.packLong(4_000_000_000L)), 4_000_000_000L),
        Arguments.of(bytes(0xcf, 0, 0, 0, 0, 0, 0, 0, 5), 5L), // uint64 holding a small value
        Arguments.of(bytes(0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0), BigInteger.ONE.shiftLeft(63)),
        Arguments.of(pack(p -> p.packBigInteger(U64_MAX)), U64_MAX),
        Arguments.of(pack(p -> p.packInt(-100)), -100L),
        Arguments.of(pack(p -> p.packInt(-30_000)), -30_000L),
        Arguments.of(pack(p -> p.packLong(Long.MIN_VALUE)), Long.MIN_VALUE),
        Arguments.of(pack(p -> p.packFloat(0.25f)), 0.25d),
        Arguments.of(pack(p -> p.packDouble(-1e300)), -1e300),
        Arguments.of(rawStr(0xd9, 1, utf8("s8")), "s8"),
        Arguments.of(rawStr(0xda, 2, utf8("s16")), "s16"),
        Arguments.of(rawStr(0xdb, 4, utf8("s32")), "s32"),
        Arguments.of(pack(p -> bin(p, filled(300, 1))), filled(300, 1)),
        Arguments.of(bytes(0xc6, 0, 0, 0, 2, 8, 9), bytes(8, 9)),
        Arguments.of(pack(p -> {
          p.packExtensionTypeHeader((byte) 42, 3);
          p.writePayload(bytes(1, 2, 3));
        }), new MsgPack.Ext((byte) 42, bytes(1, 2, 3))),
        Arguments.of(bytes(0xc9, 0, 0, 0, 1, 0x80, 0x07), new MsgPack.Ext((byte) -128, bytes(7))),
        Arguments.of(pack(p -> p.packTimestamp(Instant.ofEpochSecond(1))),
            new MsgPack.Ext((byte) -1, bytes(0, 0, 0, 1))),
        Arguments.of(pack(p -> {
          p.packArrayHeader(20);
          for (int i = 0; i < 20; i++) p.packInt(i);
        }), array16),
        Arguments.of(pack(p -> {
          p.packMapHeader(20);
          for (int i = 0; i < 20; i++) {
            p.packString("k" + i);
            p.packInt(i);
          }
        }), map16),
        Arguments.of(bytes(0xdd, 0, 0, 0, 1, 0xc2), List.of(false)),
        Arguments.of(bytes(0xdf, 0, 0, 0, 1, 0x01, 0x02), Map.of(1L, 2L)),
        Arguments.of(FrameCodecTest.pythonDatetime(), datetime));
  }

  @ParameterizedTest
  @MethodSource("independentlyPacked")
  void unpacksWhatMsgpackCoreWrites(byte[] packed, Object expected) {
    Object v = MsgPack.unpack(packed);
    assertThat(v).isInstanceOf(kind(expected));
    assertThat(v).usingRecursiveComparison().isEqualTo(expected);
    if (expected instanceof byte[] b) assertThat((byte[]) v).isEqualTo(b);
    else if (!(expected instanceof Map)) assertThat(v).isEqualTo(expected); // maps may hold byte[]
  }

  @Test
  void pythonDatetimeMapIsReadableByBinKey() {
    @SuppressWarnings("unchecked")
    Map<Object, Object> m = (Map<Object, Object>) MsgPack.unpack(FrameCodecTest.pythonDatetime());
    assertThat(m.get(new MsgPack.BinKey(utf8("__datetime__")))).isEqualTo(true);
    assertThat((byte[]) m.get(new MsgPack.BinKey(utf8("as_str")))).asString()
        .isEqualTo("20240506T07:08:09.123456");
    assertThat(new MsgPack.BinKey(utf8("as_str")).toString()).isEqualTo("as_str");
    // a bin key packs back to the very same bytes
    assertThat(MsgPack.pack(m)).isEqualTo(FrameCodecTest.pythonDatetime());
  }

  @Test
  void unpacksASliceOfALargerArray() throws Exception {
    byte[] data = MsgPack.pack(Map.of("n", 1));
    Frame f = FrameCodec.encode(Ulids.next(), "c", "s", null, data, WireOrder.SEED);
    assertThat(MsgPack.unpack(f.rawBytes(), f.dataOffset(), f.dataLength())).isEqualTo(Map.of("n", 1L));
    // the uid element alone is a bin value
    assertThat((byte[]) MsgPack.unpack(f.rawBytes(), 1, 18)).isEqualTo(f.uid());
  }

  @Test
  void refusesBytesThatAreNotExactlyOneValue() {
    record Bad(String name, byte[] bytes, String text) {}
    for (Bad bad : List.of(
        new Bad("empty", new byte[0], "middle of a value"),
        new Bad("never-used byte", bytes(0xc1), "NEVER_USED"),
        new Bad("truncated array", bytes(0x92, 0x01), "middle of a value"),
        new Bad("truncated str", bytes(0xa5, 'a'), "not a msgpack value"),
        new Bad("two values", bytes(0x01, 0x02), "1 stray bytes"),
        new Bad("a value and garbage", bytes(0x90, 0xc1, 0xc1), "2 stray bytes"),
        new Bad("invalid UTF-8 in a str", bytes(0xa2, 0xc3, 0x28), "not a msgpack value"),
        new Bad("surrogate in a str", bytes(0xa3, 0xed, 0xa0, 0x80), "not a msgpack value"),
        new Bad("array32 of 2^31", bytes(0xdd, 0x80, 0, 0, 0), "not a msgpack value"),
        new Bad("map32 of 2^32-1", bytes(0xdf, 0xff, 0xff, 0xff, 0xff), "not a msgpack value"),
        new Bad("bin32 of 2 GiB", bytes(0xc6, 0x7f, 0xff, 0xff, 0xf0, 1), "not a msgpack value"),
        new Bad("str32 of 2 GiB", bytes(0xdb, 0x7f, 0xff, 0xff, 0xf0, 'a'), "not a msgpack value"),
        new Bad("ext32 of 2 GiB", bytes(0xc9, 0x7f, 0xff, 0xff, 0xf0, 1, 2), "not a msgpack value"))) {
      Throwable t = catchThrowable(() -> MsgPack.unpack(bad.bytes()));
      assertThat(t).as(bad.name()).isInstanceOf(IllegalArgumentException.class);
      assertThat(t.getMessage()).as(bad.name()).contains(bad.text()).doesNotContain("null");
    }
  }

  @Test
  void deepNestingIsRefusedNotAStackOverflow() throws Exception {
    byte[] deep = concat(filled(100_000, 0x91), bytes(0xc0));
    byte[] deepMaps = new byte[200_001];
    for (int i = 0; i < 200_000; i += 2) {
      deepMaps[i] = (byte) 0x81;
      deepMaps[i + 1] = (byte) 0x01;
    }
    deepMaps[200_000] = (byte) 0xc0;
    AtomicReference<Throwable> arrays = new AtomicReference<>();
    AtomicReference<Throwable> maps = new AtomicReference<>();
    AtomicReference<Object> atLimit = new AtomicReference<>();
    Thread t = new Thread(null, () -> {
      arrays.set(catchThrowable(() -> MsgPack.unpack(deep)));
      maps.set(catchThrowable(() -> MsgPack.unpack(deepMaps)));
      atLimit.set(MsgPack.unpack(concat(filled(MsgPack.MAX_DEPTH, 0x91), bytes(0x07))));
    }, "small-stack", 512 * 1024);
    t.start();
    t.join();
    assertThat(arrays.get()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nested");
    assertThat(maps.get()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nested");
    // exactly MAX_DEPTH levels are fine
    Object v = atLimit.get();
    for (int i = 0; i < MsgPack.MAX_DEPTH; i++) {
      assertThat(v).isInstanceOf(List.class);
      v = ((List<?>) v).get(0);
    }
    assertThat(v).isEqualTo(7L);
  }

  @Test
  void readFromAnUnpackerLeavesTheRestForTheCaller() throws Exception {
    byte[] two = concat(MsgPack.pack("first"), MsgPack.pack(List.of(2)));
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(two)) {
      assertThat(MsgPack.read(u)).isEqualTo("first");
      assertThat(MsgPack.read(u)).isEqualTo(List.of(2L));
      assertThat(u.hasNext()).isFalse();
    }
    byte[] deep = concat(filled(MsgPack.MAX_DEPTH + 1, 0x91), bytes(0xc0));
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(deep)) {
      assertThatThrownBy(() -> MsgPack.read(u)).isInstanceOf(java.io.IOException.class)
          .hasMessageContaining("nested");
    }
  }

  @Test
  void extAndBinKeyHaveValueEquality() {
    MsgPack.Ext a = new MsgPack.Ext((byte) 1, bytes(1, 2));
    assertThat(a).isEqualTo(new MsgPack.Ext((byte) 1, bytes(1, 2)))
        .hasSameHashCodeAs(new MsgPack.Ext((byte) 1, bytes(1, 2)));
    assertThat(a).isNotEqualTo(new MsgPack.Ext((byte) 2, bytes(1, 2)));
    assertThat(a).isNotEqualTo(new MsgPack.Ext((byte) 1, bytes(1, 3)));
    assertThat(a.toString()).contains("0102");
    // so ext map keys work
    Map<Object, Object> m = new LinkedHashMap<>();
    m.put(a, "x");
    @SuppressWarnings("unchecked")
    Map<Object, Object> back = (Map<Object, Object>) MsgPack.unpack(MsgPack.pack(m));
    assertThat(back.get(new MsgPack.Ext((byte) 1, bytes(1, 2)))).isEqualTo("x");

    MsgPack.BinKey k = new MsgPack.BinKey(bytes(1, 2));
    assertThat(k).isEqualTo(new MsgPack.BinKey(bytes(1, 2))).hasSameHashCodeAs(new MsgPack.BinKey(bytes(1, 2)));
    assertThat(k).isNotEqualTo(new MsgPack.BinKey(bytes(1, 3)));
  }
}
