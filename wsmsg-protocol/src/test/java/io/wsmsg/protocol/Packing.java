package io.wsmsg.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;

/**
 * Builds msgpack with msgpack-core's own {@link MessagePacker}, independently of
 * {@link FrameCodec#encode} and {@link MsgPack}, so the tests do not check the codec against
 * itself.
 */
final class Packing {
  private Packing() {}

  @FunctionalInterface
  interface Writer {
    void write(MessagePacker p) throws IOException;
  }

  static byte[] pack(Writer w) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      w.write(p);
      p.flush();
      return p.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void bin(MessagePacker p, byte[] b) throws IOException {
    p.packBinaryHeader(b.length);
    p.writePayload(b);
  }

  static void binOrNil(MessagePacker p, byte[] b) throws IOException {
    if (b == null) p.packNil();
    else bin(p, b);
  }

  /** The four header elements (no array header) in the given order. */
  static byte[] header(WireOrder order, byte[] uid, String channel, String subject, byte[] ref) {
    return pack(p -> {
      bin(p, uid);
      if (order == WireOrder.SEED) {
        p.packString(channel);
        p.packString(subject);
        binOrNil(p, ref);
      } else {
        binOrNil(p, ref);
        p.packString(channel);
        p.packString(subject);
      }
    });
  }

  /** A five-element frame with a fixarray header; {@code data} is one encoded msgpack value. */
  static byte[] frame(WireOrder order, byte[] uid, String channel, String subject, byte[] ref, byte[] data) {
    return concat(new byte[] {(byte) 0x95}, header(order, uid, channel, subject, ref), data);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) out.writeBytes(part);
    return out.toByteArray();
  }

  static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) b[i] = (byte) values[i];
    return b;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) value);
    return b;
  }

  /** A raw msgpack str with an explicit header byte layout (for str8/16/32 on purpose). */
  static byte[] rawStr(int headerByte, int lengthBytes, byte[] payload) {
    byte[] h = new byte[1 + lengthBytes];
    h[0] = (byte) headerByte;
    for (int i = 0; i < lengthBytes; i++) {
      h[1 + i] = (byte) (payload.length >>> (8 * (lengthBytes - 1 - i)));
    }
    return concat(h, payload);
  }
}
