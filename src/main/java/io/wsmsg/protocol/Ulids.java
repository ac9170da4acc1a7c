package io.wsmsg.protocol;

import com.github.f4b6a3.ulid.Ulid;
import com.github.f4b6a3.ulid.UlidCreator;
import java.util.HexFormat;

/** Server-made ids: 16-byte monotonic ULIDs. */
public final class Ulids {
  private Ulids() {}

  public static byte[] next() {
    return UlidCreator.getMonotonicUlid().toBytes();
  }

  public static String nextText() {
    return UlidCreator.getMonotonicUlid().toString();
  }

  /** Canonical 26-character text for a 16-byte ULID, else hex (uids may be 1..64 bytes). */
  public static String toText(byte[] uid) {
    if (uid == null) return "nil";
    if (uid.length == 16) return Ulid.from(uid).toString();
    return HexFormat.of().formatHex(uid);
  }
}
