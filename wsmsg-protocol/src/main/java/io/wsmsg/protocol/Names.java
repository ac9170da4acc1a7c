package io.wsmsg.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The rules for names, one place for clients and peers alike: an endpoint or channel name is
 * 1 to 255 bytes of valid UTF-8; a subject pattern may be empty; a uid is 1 to 64 bytes.
 */
public final class Names {
  private Names() {}

  public static final int MAX_NAME_BYTES = FrameCodec.MAX_NAME_BYTES;
  public static final int MAX_UID_BYTES = FrameCodec.MAX_UID_BYTES;

  /** True for an endpoint or channel name a client may use. */
  public static boolean validName(String s) {
    return s != null && validLength(utf8Length(s), false);
  }

  /** True for a pattern (channel pattern: 1..255 bytes; subject pattern: 0..255 when {@code mayBeEmpty}). */
  public static boolean validPattern(String s, boolean mayBeEmpty) {
    return s != null && validLength(utf8Length(s), mayBeEmpty);
  }

  public static boolean validUid(byte[] uid) {
    return uid != null && uid.length >= 1 && uid.length <= MAX_UID_BYTES;
  }

  private static boolean validLength(int len, boolean mayBeEmpty) {
    return (mayBeEmpty || len > 0) && len <= MAX_NAME_BYTES;
  }

  /** Strict UTF-8 (no replacement characters): null when {@code b} is not valid UTF-8. */
  public static String strictUtf8(byte[] b, int off, int len) {
    boolean ascii = true; // names are mostly ASCII: no decoder for those (this is on the DELIVER path)
    for (int i = off; i < off + len && ascii; i++) ascii = b[i] >= 0;
    if (ascii) return new String(b, off, len, StandardCharsets.US_ASCII);
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b, off, len))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) n++;
      else if (c < 0x800) n += 2;
      else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        return Integer.MAX_VALUE; // a lone surrogate is not UTF-8
      } else n += 3;
    }
    return n;
  }
}
