package io.wsmsg.protocol;

import java.util.Arrays;
import java.util.HexFormat;

/** A message uid as a hash key: bytes compared by value. The array is never modified. */
public final class Uid {
  private final byte[] bytes;
  private final int hash;

  private Uid(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
  }

  /** Wraps without copying: callers hand over arrays they no longer change. */
  public static Uid of(byte[] bytes) {
    return new Uid(bytes);
  }

  public byte[] bytes() {
    return bytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Uid && Arrays.equals(((Uid) o).bytes, bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return Ulids.toText(bytes);
  }

  public static String hex(byte[] b) {
    return b == null ? "nil" : HexFormat.of().formatHex(b);
  }
}
