package io.wsmsg.protocol;

import static io.wsmsg.protocol.Packing.bin;
import static io.wsmsg.protocol.Packing.bytes;
import static io.wsmsg.protocol.Packing.concat;
import static io.wsmsg.protocol.Packing.filled;
import static io.wsmsg.protocol.Packing.frame;
import static io.wsmsg.protocol.Packing.header;
import static io.wsmsg.protocol.Packing.pack;
import static io.wsmsg.protocol.Packing.rawStr;
import static io.wsmsg.protocol.Packing.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class FrameCodecTest {
  static final byte[] UID = Ulids.next();
  static final byte[] REF = Ulids.next();
  static final byte[] NIL = bytes(0xc0);

  static WireOrder other(WireOrder o) {
    return o == WireOrder.SEED ? WireOrder.LEGACY : WireOrder.SEED;
  }

  // ---------------------------------------------------------------- data of every msgpack type

  static Stream<Arguments> dataOfEveryType() {
    List<Arguments> a = new ArrayList<>();
    a.add(Arguments.of("nil", NIL));
    a.add(Arguments.of("true", pack(p -> p.packBoolean(true))));
    a.add(Arguments.of("false", pack(p -> p.packBoolean(false))));
    a.add(Arguments.of("positive fixint", pack(p -> p.packInt(127))));
    a.add(Arguments.of("negative fixint", pack(p -> p.packInt(-32))));
    a.add(Arguments.of("uint8", pack(p -> p.packInt(200))));
    a.add(Arguments.of("uint16", pack(p -> p.packInt(60_000))));
    a.add(Arguments.of("uint32", pack(p -> p.packLong(4_000_000_000L))));
    a.add(Arguments.of("uint64 max", pack(p -> p.packBigInteger(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE)))));
    a.add(Arguments.of("int8", pack(p -> p.packInt(-100))));
    a.add(Arguments.of("int16", pack(p -> p.packInt(-30_000))));
    a.add(Arguments.of("int32", pack(p -> p.packInt(Integer.MIN_VALUE))));
    a.add(Arguments.of("int64", pack(p -> p.packLong(Long.MIN_VALUE))));
    a.add(Arguments.of("float32", pack(p -> p.packFloat(1.5f))));
    a.add(Arguments.of("float64", pack(p -> p.packDouble(Math.PI))));
    a.add(Arguments.of("float64 NaN", pack(p -> p.packDouble(Double.NaN))));
    a.add(Arguments.of("fixstr", pack(p -> p.packString("hello"))));
    a.add(Arguments.of("empty str", pack(p -> p.packString(""))));
    a.add(Arguments.of("str8", pack(p -> p.packString("x".repeat(100)))));
    a.add(Arguments.of("str16", pack(p -> p.packString("ж".repeat(500)))));
    a.add(Arguments.of("str32", pack(p -> p.packString("y".repeat(70_000)))));
    a.add(Arguments.of("str32 holding a short string", rawStr(0xdb, 4, utf8("short"))));
    a.add(Arguments.of("str16 holding a short string", rawStr(0xda, 2, utf8("s"))));
    a.add(Arguments.of("bin8", pack(p -> bin(p, filled(10, 0xc1)))));
    a.add(Arguments.of("bin16", pack(p -> bin(p, filled(300, 0x95)))));
    a.add(Arguments.of("bin32", pack(p -> bin(p, filled(70_000, 0xdd)))));
    a.add(Arguments.of("empty bin", pack(p -> bin(p, new byte[0]))));
    for (int n : new int[] {1, 2, 4, 8, 16, 3, 300, 70_000}) {
      a.add(Arguments.of("ext of " + n + " bytes", pack(p -> {
        p.packExtensionTypeHeader((byte) 7, n);
        p.writePayload(filled(n, 0xc1));
      })));
    }
    a.add(Arguments.of("ext with negative type", pack(p -> {
      p.packExtensionTypeHeader((byte) -100, 2);
      p.writePayload(bytes(1, 2));
    })));
    a.add(Arguments.of("timestamp ext", pack(p -> p.packTimestamp(Instant.parse("2024-05-06T07:08:09.123456789Z")))));
    a.add(Arguments.of("empty array", pack(p -> p.packArrayHeader(0))));
    a.add(Arguments.of("empty map", pack(p -> p.packMapHeader(0))));
    a.add(Arguments.of("array16", pack(p -> {
      p.packArrayHeader(20);
      for (int i = 0; i < 20; i++) p.packInt(i * 1000);
    })));
    a.add(Arguments.of("map16", pack(p -> {
      p.packMapHeader(20);
      for (int i = 0; i < 20; i++) {
        p.packString("k" + i);
        p.packArrayHeader(1);
        p.packInt(i);
      }
    })));
    a.add(Arguments.of("array32 (non-canonical)", bytes(0xdd, 0, 0, 0, 2, 0x01, 0xc3)));
    a.add(Arguments.of("map32 (non-canonical)", bytes(0xdf, 0, 0, 0, 1, 0xa1, 'k', 0x90)));
    a.add(Arguments.of("array16 of 0 (non-canonical)", bytes(0xdc, 0, 0)));
    a.add(Arguments.of("nested maps and arrays", nestedData()));
    a.add(Arguments.of("python datetime-like map", pythonDatetime()));
    a.add(Arguments.of("1000 nested arrays", concat(filled(1000, 0x91), NIL)));
    return a.stream();
  }

  static byte[] nestedData() {
    return pack(p -> {
      p.packMapHeader(3);
      p.packString("a");
      p.packArrayHeader(2);
      p.packInt(1);
      p.packMapHeader(1);
      p.packString("b");
      p.packArrayHeader(3);
      p.packNil();
      p.packBoolean(true);
      p.packDouble(1.5);
      p.packString("c");
      p.packMapHeader(1);
      p.packInt(-7);
      p.packMapHeader(1);
      bin(p, utf8("e"));
      bin(p, filled(40, 0xc1));
      p.packString("d");
      p.packArrayHeader(2);
      p.packExtensionTypeHeader((byte) 1, 1);
      p.writePayload(bytes(0xc1));
      p.packFloat(-0.0f);
    });
  }

  /** What msgpack-python's datetime hook sends: {b"__datetime__": True, b"as_str": b"..."}. */
  static byte[] pythonDatetime() {
    return pack(p -> {
      p.packMapHeader(2);
      bin(p, utf8("__datetime__"));
      p.packBoolean(true);
      bin(p, utf8("as_str"));
      bin(p, utf8("20240506T07:08:09.123456"));
    });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dataOfEveryType")
  void decodesBothOrdersAndReordersWithoutTouchingData(String name, byte[] data) throws Exception {
    for (WireOrder order : WireOrder.values()) {
      for (byte[] ref : new byte[][] {null, REF}) {
        byte[] f = frame(order, UID, "orders", "order.get.request", ref, data);
        Frame fr = FrameCodec.decode(f);
        assertHeader(fr, order, UID, "orders", "order.get.request", ref);
        int headerLength = 1 + header(order, UID, "orders", "order.get.request", ref).length;
        assertThat(fr.dataOffset()).isEqualTo(headerLength);
        assertThat(fr.dataLength()).isEqualTo(data.length);
        assertThat(fr.dataBytes()).isEqualTo(data);
        assertThat(fr.size()).isEqualTo(f.length);
        assertThat(fr.rawBytes()).isSameAs(f);
        assertThat(fr.bytes(order)).isSameAs(f);

        WireOrder o = other(order);
        byte[] reordered = fr.bytes(o);
        // exactly what msgpack-core writes for the other order: only the header moved
        assertThat(reordered).isEqualTo(frame(o, UID, "orders", "order.get.request", ref, data));
        assertThat(Arrays.copyOfRange(reordered, reordered.length - data.length, reordered.length))
            .isEqualTo(data);
        assertThat(fr.bytes(o)).as("built once and reused").isSameAs(reordered);
        assertThat(fr.bytes(order)).isSameAs(f);

        Frame back = FrameCodec.decode(reordered);
        assertHeader(back, o, UID, "orders", "order.get.request", ref);
        assertThat(back.dataBytes()).isEqualTo(data);
        assertThat(back.dataOffset()).isEqualTo(reordered.length - data.length);
        assertThat(back.bytes(order)).isEqualTo(f);
      }
    }
  }

  static void assertHeader(Frame fr, WireOrder order, byte[] uid, String channel, String subject, byte[] ref) {
    assertThat(fr.order()).isEqualTo(order);
    assertThat(fr.uid()).isEqualTo(uid);
    assertThat(fr.channel()).isEqualTo(channel);
    assertThat(fr.subject()).isEqualTo(subject);
    if (ref == null) assertThat(fr.reference()).isNull();
    else assertThat(fr.reference()).isEqualTo(ref);
  }

  // ---------------------------------------------------------------- header variants

  static Stream<Arguments> headers() {
    return Stream.of(
        Arguments.of(bytes(1), "c", "", null),
        Arguments.of(UID, "orders", "order.get.request", REF),
        Arguments.of(filled(64, 0xab), "x".repeat(255), "y".repeat(255), filled(64, 0xcd)),
        Arguments.of(filled(2, 0), "x".repeat(31), "y".repeat(32), bytes(0)),
        Arguments.of(UID, "заказы", "заказ.создан", REF),
        Arguments.of(UID, "\uD83D\uDE00", "s\u0000t", null),
        Arguments.of(UID, "system", "subscribe", null));
  }

  @ParameterizedTest
  @MethodSource("headers")
  void headerFieldsDecodeInBothOrders(byte[] uid, String channel, String subject, byte[] ref) throws Exception {
    byte[] data = pythonDatetime();
    for (WireOrder order : WireOrder.values()) {
      byte[] f = frame(order, uid, channel, subject, ref, data);
      Frame fr = FrameCodec.decode(f);
      assertHeader(fr, order, uid, channel, subject, ref);
      assertThat(fr.dataBytes()).isEqualTo(data);
      Frame back = FrameCodec.decode(fr.bytes(other(order)));
      assertHeader(back, other(order), uid, channel, subject, ref);
      assertThat(back.dataBytes()).isEqualTo(data);
    }
  }

  @Test
  void orderIsToldByTheTypeOfElementOne() throws Exception {
    // str (any str format) = seed; bin or nil = legacy
    byte[] seedStr8 = frame(WireOrder.SEED, UID, "c".repeat(40), "s", null, NIL);
    assertThat(seedStr8[1 + 2 + UID.length] & 0xff).isEqualTo(0xd9);
    assertThat(FrameCodec.decode(seedStr8).order()).isEqualTo(WireOrder.SEED);
    byte[] seedStr16 = concat(bytes(0x95), pack(p -> bin(p, UID)), rawStr(0xda, 2, utf8("ch")),
        rawStr(0xdb, 4, utf8("su")), NIL, NIL);
    Frame s16 = FrameCodec.decode(seedStr16);
    assertThat(s16.order()).isEqualTo(WireOrder.SEED);
    assertThat(s16.channel()).isEqualTo("ch");
    assertThat(s16.subject()).isEqualTo("su");
    assertThat(FrameCodec.decode(frame(WireOrder.LEGACY, UID, "c", "s", null, NIL)).order())
        .isEqualTo(WireOrder.LEGACY);
    assertThat(FrameCodec.decode(frame(WireOrder.LEGACY, UID, "c", "s", REF, NIL)).order())
        .isEqualTo(WireOrder.LEGACY);
    // a bin16-encoded reference is still bin
    byte[] legacyBin16 = concat(bytes(0x95), pack(p -> bin(p, UID)), bytes(0xc5, 0, 2, 7, 8),
        pack(p -> p.packString("c")), pack(p -> p.packString("s")), NIL);
    Frame l16 = FrameCodec.decode(legacyBin16);
    assertThat(l16.order()).isEqualTo(WireOrder.LEGACY);
    assertThat(l16.reference()).containsExactly(7, 8);
  }

  @ParameterizedTest
  @EnumSource(WireOrder.class)
  void nonCanonicalArrayHeadersWithFiveElements(WireOrder order) throws Exception {
    byte[] data = pack(p -> {
      p.packArrayHeader(2);
      p.packString("payload");
      p.packInt(42);
    });
    byte[] canonical = frame(order, UID, "orders", "created", REF, data);
    byte[] body = Arrays.copyOfRange(canonical, 1, canonical.length);
    for (byte[] head : new byte[][] {bytes(0xdc, 0, 5), bytes(0xdd, 0, 0, 0, 5)}) {
      byte[] f = concat(head, body);
      Frame fr = FrameCodec.decode(f);
      assertHeader(fr, order, UID, "orders", "created", REF);
      assertThat(fr.dataOffset()).isEqualTo(canonical.length - data.length + head.length - 1);
      assertThat(fr.dataLength()).isEqualTo(data.length);
      assertThat(fr.dataBytes()).isEqualTo(data);
      assertThat(fr.bytes(order)).isSameAs(f);
      // the other order is written with a fixarray header
      byte[] o = fr.bytes(other(order));
      assertThat(o).isEqualTo(frame(other(order), UID, "orders", "created", REF, data));
      assertThat(o.length).isEqualTo(f.length - (head.length - 1));
      assertHeader(FrameCodec.decode(o), other(order), UID, "orders", "created", REF);
    }
  }

  @Test
  void uidMayUseAWiderBinFormat() throws Exception {
    byte[] f = concat(bytes(0x95, 0xc5, 0, 3, 1, 2, 3), pack(p -> {
      p.packString("c");
      p.packString("s");
      p.packNil();
      p.packNil();
    }));
    Frame fr = FrameCodec.decode(f);
    assertThat(fr.uid()).containsExactly(1, 2, 3);
    assertThat(fr.bytes(WireOrder.LEGACY)).isEqualTo(concat(bytes(0x95, 0xc5, 0, 3, 1, 2, 3, 0xc0),
        pack(p -> {
          p.packString("c");
          p.packString("s");
          p.packNil();
        })));
  }

  @Test
  void deepNestingInDataDoesNotOverflowTheStack() throws Exception {
    byte[] arrays = concat(filled(100_000, 0x91), NIL);
    byte[] maps = new byte[200_001];
    for (int i = 0; i < 200_000; i += 2) {
      maps[i] = (byte) 0x81; // {nil: {nil: ...}}
      maps[i + 1] = (byte) 0xc0;
    }
    maps[200_000] = (byte) 0xc0;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Frame> decoded = new ArrayList<>();
    // a small stack, so a recursive walker would certainly overflow
    Thread t = new Thread(null, () -> {
      try {
        decoded.add(FrameCodec.decode(frame(WireOrder.SEED, UID, "c", "s", null, arrays)));
        decoded.add(FrameCodec.decode(frame(WireOrder.LEGACY, UID, "c", "s", REF, maps)));
        Throwable cut = catchThrowable(() -> FrameCodec.decode(frame(WireOrder.SEED, UID, "c", "s", null,
            filled(100_000, 0x91))));
        if (!(cut instanceof ProtocolException)) throw new AssertionError("unterminated nesting: " + cut);
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "small-stack", 128 * 1024);
    t.start();
    t.join();
    assertThat(failure.get()).isNull();
    assertThat(decoded).hasSize(2);
    assertThat(decoded.get(0).dataLength()).isEqualTo(100_001);
    assertThat(decoded.get(0).dataBytes()).isEqualTo(arrays);
    assertThat(decoded.get(1).dataBytes()).isEqualTo(maps);
    byte[] legacy = decoded.get(0).bytes(WireOrder.LEGACY);
    assertThat(FrameCodec.decode(legacy).dataBytes()).isEqualTo(arrays);
  }

  // ---------------------------------------------------------------- refusals

  static ProtocolException refused(byte[] frame, byte[] expectedUid) {
    Throwable t = catchThrowable(() -> FrameCodec.decode(frame));
    assertThat(t).isInstanceOf(ProtocolException.class);
    ProtocolException e = (ProtocolException) t;
    assertThat(e.code()).isEqualTo(ErrorCodes.BAD_FRAME);
    assertThat(e.getMessage()).isNotBlank();
    if (expectedUid == null) assertThat(e.uid()).as("uid of the refusal").isNull();
    else assertThat(e.uid()).as("uid of the refusal").isEqualTo(expectedUid);
    return e;
  }

  static byte[] elements(int n, Packing.Writer w) {
    return concat(pack(p -> p.packArrayHeader(n)), pack(w));
  }

  @Test
  void refusesFramesThatAreNotFiveElementArrays() {
    assertThat(refused(new byte[0], null)).hasMessageContaining("empty");
    assertThat(refused(bytes(0x05), null)).hasMessageContaining("array").hasMessageContaining("integer");
    assertThat(refused(pack(p -> p.packString("hello")), null)).hasMessageContaining("str");
    assertThat(refused(pack(p -> p.packMapHeader(0)), null)).hasMessageContaining("map");
    assertThat(refused(NIL, null)).hasMessageContaining("nil");
    assertThat(refused(bytes(0x90), null)).hasMessageContaining("5").hasMessageContaining("0");
    assertThat(refused(elements(4, p -> {
      bin(p, UID);
      p.packString("c");
      p.packString("s");
      p.packNil();
    }), UID)).hasMessageContaining("5").hasMessageContaining("4");
    assertThat(refused(elements(6, p -> {
      bin(p, UID);
      p.packString("c");
      p.packString("s");
      p.packNil();
      p.packNil();
      p.packNil();
    }), UID)).hasMessageContaining("6");
    assertThat(refused(bytes(0xdd, 0x80, 0, 0, 0), null)).hasMessageContaining("5");
    assertThat(refused(bytes(0xdc, 0xff, 0xff), null)).hasMessageContaining("65535");
  }

  @Test
  void refusesBadUids() {
    assertThat(refused(elements(5, p -> {
      p.packString("uid");
      p.packString("c");
      p.packString("s");
      p.packNil();
      p.packNil();
    }), null)).hasMessageContaining("uid").hasMessageContaining("bin");
    assertThat(refused(elements(5, p -> {
      p.packNil();
      p.packString("c");
      p.packString("s");
      p.packNil();
      p.packNil();
    }), null)).hasMessageContaining("uid");
    for (int n : new int[] {0, 65, 300}) {
      assertThat(refused(frame(WireOrder.SEED, new byte[n], "c", "s", null, NIL), null))
          .as("uid of %d bytes", n).hasMessageContaining("uid").hasMessageContaining("64");
    }
    // bounds that are fine
    for (int n : new int[] {1, 64}) {
      Throwable t = catchThrowable(() -> FrameCodec.decode(frame(WireOrder.SEED, new byte[n], "c", "s", null, NIL)));
      assertThat(t).as("uid of %d bytes", n).isNull();
    }
  }

  @Test
  void refusesBadChannels() {
    for (WireOrder order : WireOrder.values()) {
      assertThat(refused(frame(order, UID, "", "s", null, NIL), UID)).hasMessageContaining("channel");
      assertThat(refused(frame(order, UID, "x".repeat(256), "s", null, NIL), UID))
          .hasMessageContaining("channel").hasMessageContaining("255");
      assertThat(refused(frame(order, UID, "é".repeat(128), "s", null, NIL), UID))
          .as("128 two-byte characters are 256 bytes").hasMessageContaining("channel");
    }
    // seed position holding an int: element 1 is neither str nor bin/nil
    assertThat(refused(elements(5, p -> {
      bin(p, UID);
      p.packInt(5);
      p.packString("s");
      p.packNil();
      p.packNil();
    }), UID)).hasMessageContaining("integer");
    // legacy order with a channel that is not a str
    assertThat(refused(elements(5, p -> {
      bin(p, UID);
      p.packNil();
      p.packInt(5);
      p.packString("s");
      p.packNil();
    }), UID)).hasMessageContaining("channel").hasMessageContaining("str");
    assertThat(refused(elements(5, p -> {
      bin(p, UID);
      p.packNil();
      bin(p, utf8("orders"));
      p.packString("s");
      p.packNil();
    }), UID)).hasMessageContaining("channel").hasMessageContaining("bin");
  }

  static Stream<byte[]> invalidUtf8() {
    return Stream.of(
        bytes(0xff),
        bytes('a', 0x80, 'b'),
        bytes(0xc0, 0x80), // overlong NUL
        bytes(0xe0, 0x80, 0xaf), // overlong '/'
        bytes(0xed, 0xa0, 0x80), // a UTF-16 surrogate encoded as UTF-8
        bytes(0xe2, 0x82), // truncated sequence
        bytes(0xf4, 0x90, 0x80, 0x80)); // beyond U+10FFFF
  }

  @ParameterizedTest
  @MethodSource("invalidUtf8")
  void refusesChannelsAndSubjectsThatAreNotUtf8(byte[] bad) {
    for (WireOrder order : WireOrder.values()) {
      byte[] badChannel = frameWithRawStrings(order, bad, utf8("s"));
      assertThat(refused(badChannel, UID)).hasMessageContaining("channel").hasMessageContaining("UTF-8");
      byte[] badSubject = frameWithRawStrings(order, utf8("c"), bad);
      assertThat(refused(badSubject, UID)).hasMessageContaining("subject").hasMessageContaining("UTF-8");
    }
  }

  /** A frame whose channel and subject payloads are arbitrary bytes under a str header. */
  static byte[] frameWithRawStrings(WireOrder order, byte[] channel, byte[] subject) {
    byte[] uid = pack(p -> bin(p, UID));
    byte[] ch = rawStr(0xa0 | channel.length, 0, channel);
    byte[] su = rawStr(0xa0 | subject.length, 0, subject);
    return order == WireOrder.SEED
        ? concat(bytes(0x95), uid, ch, su, NIL, NIL)
        : concat(bytes(0x95), uid, NIL, ch, su, NIL);
  }

  @Test
  void acceptsValidMultiByteUtf8() throws Exception {
    Frame fr = FrameCodec.decode(frameWithRawStrings(WireOrder.SEED, bytes(0xf0, 0x9f, 0x98, 0x80),
        utf8("ü€")));
    assertThat(fr.channel()).isEqualTo("\uD83D\uDE00");
    assertThat(fr.subject()).isEqualTo("ü€");
  }

  @Test
  void refusesBadSubjects() {
    for (WireOrder order : WireOrder.values()) {
      assertThat(refused(frame(order, UID, "c", "x".repeat(256), null, NIL), UID))
          .hasMessageContaining("subject").hasMessageContaining("255");
    }
    assertThat(refused(elements(5, p -> {
      bin(p, UID);
      p.packString("c");
      p.packNil();
      p.packNil();
      p.packNil();
    }), UID)).hasMessageContaining("subject");
    assertThat(refused(elements(5, p -> {
      bin(p, UID);
      p.packNil();
      p.packString("c");
      p.packInt(1);
      p.packNil();
    }), UID)).hasMessageContaining("subject");
  }

  @Test
  void refusesBadReferences() {
    assertThat(refused(elements(5, p -> {
      bin(p, UID);
      p.packString("c");
      p.packString("s");
      p.packString("a reference");
      p.packNil();
    }), UID)).hasMessageContaining("reference").hasMessageContaining("str");
    assertThat(refused(elements(5, p -> {
      bin(p, UID);
      p.packString("c");
      p.packString("s");
      p.packInt(12345);
      p.packNil();
    }), UID)).hasMessageContaining("reference").hasMessageContaining("integer");
    // legacy position holding an int (nor str, nor bin/nil)
    assertThat(refused(elements(5, p -> {
      bin(p, UID);
      p.packInt(12345);
      p.packString("c");
      p.packString("s");
      p.packNil();
    }), UID)).hasMessageContaining("reference");
    for (WireOrder order : WireOrder.values()) {
      assertThat(refused(frame(order, UID, "c", "s", new byte[0], NIL), UID)).hasMessageContaining("reference");
      assertThat(refused(frame(order, UID, "c", "s", new byte[65], NIL), UID)).hasMessageContaining("reference");
    }
  }

  @Test
  void refusesMissingDataAndStrayBytes() throws Exception {
    byte[] noData = Arrays.copyOf(frame(WireOrder.SEED, UID, "c", "s", null, NIL),
        1 + header(WireOrder.SEED, UID, "c", "s", null).length);
    assertThat(refused(noData, UID)).hasMessageContaining("data");
    byte[] ok = frame(WireOrder.LEGACY, UID, "c", "s", REF, pythonDatetime());
    assertThat(FrameCodec.decode(ok).dataBytes()).isEqualTo(pythonDatetime());
    assertThat(refused(concat(ok, NIL), UID)).hasMessageContaining("1 stray byte");
    assertThat(refused(concat(ok, bytes(1, 2, 3)), UID)).hasMessageContaining("3 stray bytes");
    assertThat(refused(concat(frame(WireOrder.SEED, UID, "c", "s", null, NIL), bytes(0x00)), UID))
        .hasMessageContaining("stray");
  }

  @Test
  void refusesTheNeverUsedByteAnywhereInData() {
    for (byte[] data : List.of(bytes(0xc1), bytes(0x92, 0x01, 0xc1), bytes(0x81, 0xc1, 0x01),
        bytes(0x81, 0x01, 0xc1), bytes(0xdc, 0, 1, 0xc1))) {
      for (WireOrder order : WireOrder.values()) {
        assertThat(refused(frame(order, UID, "c", "s", REF, data), UID)).hasMessageContaining("0xc1");
      }
    }
    // inside a bin or str payload 0xc1 is just a byte
    Throwable t = catchThrowable(() -> FrameCodec.decode(frame(WireOrder.SEED, UID, "c", "s", null,
        pack(p -> bin(p, bytes(0xc1, 0xc1))))));
    assertThat(t).isNull();
  }

  static Stream<Arguments> validFrames() {
    return Stream.of(
        Arguments.of("seed, nil data", frame(WireOrder.SEED, UID, "c", "", null, NIL)),
        Arguments.of("seed, nested data", frame(WireOrder.SEED, UID, "orders", "order.get.request", REF,
            nestedData())),
        Arguments.of("legacy, python datetime", frame(WireOrder.LEGACY, UID, "orders", "x", REF, pythonDatetime())),
        Arguments.of("legacy, nil ref, str16 data", frame(WireOrder.LEGACY, filled(64, 7), "c".repeat(255), "s", null,
            pack(p -> p.packString("z".repeat(300))))),
        Arguments.of("seed, every fixed-size type", frame(WireOrder.SEED, UID, "c", "s", REF, pack(p -> {
          p.packArrayHeader(12);
          p.packLong(Long.MIN_VALUE);
          p.packLong(-1L << 40);
          p.packInt(-70_000);
          p.packShort((short) -300);
          p.packByte((byte) -100);
          p.packBigInteger(BigInteger.ONE.shiftLeft(63));
          p.packLong(1L << 40);
          p.packInt(70_000);
          p.packInt(300);
          p.packFloat(2.5f);
          p.packDouble(-2.5);
          p.packTimestamp(Instant.ofEpochSecond(1L << 35, 5));
        }))),
        Arguments.of("array16 header", concat(bytes(0xdc, 0, 5), Arrays.copyOfRange(
            frame(WireOrder.SEED, UID, "c", "s", null, bytes(0xc7, 2, 9, 1, 2)), 1,
            frame(WireOrder.SEED, UID, "c", "s", null, bytes(0xc7, 2, 9, 1, 2)).length))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validFrames")
  void everyTruncationIsRefusedAsBadFrame(String name, byte[] f) throws Exception {
    Frame whole = FrameCodec.decode(f);
    // every frame here has a bin8 uid right after a fixarray or array16 header
    int uidEnd = ((f[0] & 0xff) == 0xdc ? 3 : 1) + 2 + whole.uid().length;
    assertThat(f[uidEnd - whole.uid().length - 2] & 0xff).isEqualTo(0xc4);
    for (int len = 0; len < f.length; len++) {
      byte[] prefix = Arrays.copyOf(f, len);
      Throwable t = catchThrowable(() -> FrameCodec.decode(prefix));
      assertThat(t).as("%s cut to %d of %d bytes", name, len, f.length).isInstanceOf(ProtocolException.class);
      ProtocolException e = (ProtocolException) t;
      assertThat(e.code()).isEqualTo(ErrorCodes.BAD_FRAME);
      assertThat(e.getMessage()).isNotBlank();
      if (len >= uidEnd) {
        assertThat(e.uid()).as("uid readable at %d bytes", len).isEqualTo(whole.uid());
      } else {
        assertThat(e.uid()).as("uid not readable at %d bytes", len).isNull();
      }
    }
  }

  static Stream<Arguments> hugeClaims() {
    return Stream.of(
        Arguments.of("array32 of 2^31 elements", bytes(0xdd, 0x80, 0, 0, 0, 0xc0)),
        Arguments.of("array32 of 2^32-1 elements", bytes(0xdd, 0xff, 0xff, 0xff, 0xff)),
        Arguments.of("map32 of 2^32-1 pairs", bytes(0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0)),
        Arguments.of("array of array32s", bytes(0x92, 0xdd, 0x80, 0, 0, 0, 0xdd, 0x80, 0, 0, 0)),
        Arguments.of("bin32 of 4 GiB", bytes(0xc6, 0xff, 0xff, 0xff, 0xff, 1, 2, 3)),
        Arguments.of("str32 of 2 GiB", bytes(0xdb, 0x80, 0, 0, 0, 'a')),
        Arguments.of("ext32 of 4 GiB", bytes(0xc9, 0xff, 0xff, 0xff, 0xff, 1, 2)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hugeClaims")
  void hugeLengthsInDataAreRefusedWithoutAllocating(String name, byte[] data) throws Exception {
    byte[] f = frame(WireOrder.SEED, UID, "c", "s", null, data);
    com.sun.management.ThreadMXBean mx = threadBean();
    FrameCodec.decode(frame(WireOrder.SEED, UID, "c", "s", null, NIL)); // warm up
    catchThrowable(() -> FrameCodec.decode(f));
    long before = mx.getCurrentThreadAllocatedBytes();
    ProtocolException e = refused(f, UID);
    long allocated = mx.getCurrentThreadAllocatedBytes() - before;
    assertThat(e.getMessage()).contains("ends");
    assertThat(allocated).as("bytes allocated while refusing").isLessThan(256 * 1024);
  }

  @Test
  void hugeLengthsInTheHeaderAreRefusedWithoutAllocating() {
    com.sun.management.ThreadMXBean mx = threadBean();
    byte[] uidBin32 = bytes(0x95, 0xc6, 0xff, 0xff, 0xff, 0xff, 1);
    byte[] channelStr32 = concat(bytes(0x95), pack(p -> bin(p, UID)), bytes(0xdb, 0xff, 0xff, 0xff, 0xff, 'a'));
    byte[] refBin32 = concat(bytes(0x95), pack(p -> bin(p, UID)), bytes(0xc6, 0xff, 0xff, 0xff, 0xff, 'a'));
    for (int round = 0; round < 2; round++) { // the first round warms up
      long before = mx.getCurrentThreadAllocatedBytes();
      refused(uidBin32, null);
      refused(channelStr32, UID);
      refused(refBin32, UID);
      long allocated = mx.getCurrentThreadAllocatedBytes() - before;
      if (round == 1) assertThat(allocated).isLessThan(256 * 1024);
    }
  }

  static com.sun.management.ThreadMXBean threadBean() {
    var bean = ManagementFactory.getThreadMXBean();
    assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "allocation counting needs HotSpot");
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
    return mx;
  }

  // ---------------------------------------------------------------- encode

  static Stream<Arguments> encodeCases() {
    List<Arguments> a = new ArrayList<>();
    for (WireOrder order : WireOrder.values()) {
      a.add(Arguments.of(order, UID, "orders", "order.get.request", REF, pythonDatetime()));
      a.add(Arguments.of(order, bytes(9), "c", "", null, NIL));
      a.add(Arguments.of(order, filled(64, 1), "x".repeat(255), "y".repeat(255), filled(64, 2),
          pack(p -> p.packString("z".repeat(70_000)))));
      a.add(Arguments.of(order, UID, "c".repeat(31), "s".repeat(32), REF, bytes(0xdc, 0, 0)));
      a.add(Arguments.of(order, UID, "заказы", "\uD83D\uDE00", null, pack(p -> p.packDouble(1.25))));
    }
    return a.stream();
  }

  @ParameterizedTest
  @MethodSource("encodeCases")
  void encodeRoundTrips(WireOrder order, byte[] uid, String channel, String subject, byte[] ref, byte[] data)
      throws Exception {
    Frame fr = FrameCodec.encode(uid, channel, subject, ref, data, order);
    assertHeader(fr, order, uid, channel, subject, ref);
    assertThat(fr.dataBytes()).isEqualTo(data);
    // byte for byte what msgpack-core writes
    assertThat(fr.rawBytes()).isEqualTo(frame(order, uid, channel, subject, ref, data));
    Frame again = FrameCodec.decode(fr.rawBytes());
    assertHeader(again, order, uid, channel, subject, ref);
    assertThat(again.dataBytes()).isEqualTo(data);
    assertThat(FrameCodec.decode(fr.bytes(other(order))).dataBytes()).isEqualTo(data);
    assertThat(MsgPack.unpack(fr.rawBytes(), fr.dataOffset(), fr.dataLength()))
        .usingRecursiveComparison().isEqualTo(MsgPack.unpack(data));
  }

  @Test
  void encodeRefusesWhatDecodeWouldRefuse() {
    assertThatThrownBy(() -> FrameCodec.encode(UID, "", "s", null, NIL, WireOrder.SEED))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("channel");
    assertThatThrownBy(() -> FrameCodec.encode(UID, "x".repeat(256), "s", null, NIL, WireOrder.SEED))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("255");
    assertThatThrownBy(() -> FrameCodec.encode(UID, "c", "é".repeat(128), null, NIL, WireOrder.LEGACY))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("255");
    for (byte[] uid : new byte[][] {new byte[0], new byte[65]}) {
      assertThatThrownBy(() -> FrameCodec.encode(uid, "c", "s", null, NIL, WireOrder.SEED))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("uid");
    }
    for (byte[] data : new byte[][] {new byte[0], bytes(0xc1), bytes(0x01, 0x02), bytes(0x92, 0x01)}) {
      assertThatThrownBy(() -> FrameCodec.encode(UID, "c", "s", null, data, WireOrder.SEED))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void encodeRefusesReferencesThatDoNotFitInsteadOfCorruptingTheFrame() {
    // a 260-byte reference used to be written with a one-byte length of 4: the rest of it was
    // then read as data, giving a "valid" frame with a different reference
    byte[] sneaky = new byte[260];
    sneaky[4] = (byte) 0xc4;
    sneaky[5] = (byte) 255;
    for (byte[] ref : new byte[][] {new byte[0], new byte[65], new byte[256], sneaky}) {
      for (WireOrder order : WireOrder.values()) {
        assertThatThrownBy(() -> FrameCodec.encode(UID, "a", "", ref, NIL, order))
            .as("reference of %d bytes", ref.length)
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reference");
      }
    }
  }

  @Test
  void frameToStringNamesTheMessage() throws Exception {
    Frame fr = FrameCodec.encode(UID, "orders", "created", null, bytes(0x93, 1, 2, 3), WireOrder.SEED);
    assertThat(fr.toString()).contains(Ulids.toText(UID)).contains("orders").contains("created")
        .contains("reference=nil").contains("4 bytes");
    Frame shortUid = FrameCodec.encode(bytes(0xab, 0xcd), "c", "s", REF, NIL, WireOrder.LEGACY);
    assertThat(shortUid.toString()).contains("abcd").contains(Ulids.toText(REF));
  }
}
