package io.wsmsg.protocol;

import com.github.f4b6a3.ulid.Ulid;
import com.github.f4b6a3.ulid.UlidCreator;
import java.util.HexFormat;

/**
 * Fresh uids (server-made and the Java client's): 16-byte ULIDs whose 80 random bits come from
 * {@link java.security.SecureRandom} for every id. Not monotonic: a monotonic ULID is the
 * previous one plus 1 within a millisecond, so anyone who saw one request uid could guess the
 * next and subscribe to its replies (docs/protocol.md, "Who sees what on system").
 */
public final class Ulids {
  private Ulids() {}

  public static byte[] next() {
    return UlidCreator.getUlid().toBytes();
  }

  public static String nextText() {
    return UlidCreator.getUlid().toString();
  }

  /** Canonical 26-character text for a 16-byte ULID, else hex (uids may be 1..64 bytes). */
  public static String toText(byte[] uid) {
    if (uid == null) return "nil";
    if (uid.length == 16) return Ulid.from(uid).toString();
    return HexFormat.of().formatHex(uid);
  }
}
