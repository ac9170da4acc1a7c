package io.wsmsg.client;

import com.github.f4b6a3.ulid.Ulid;
import io.wsmsg.protocol.Ulids;

/**
 * An {@code error} message from the server: {@code code} such as {@code forbidden} or
 * {@code bad_arguments}, a sentence for humans, and the uid of the refused message when the
 * server could read it.
 */
public record ServerError(String code, String text, byte[] referenceBytes) {
  /** The refused message's uid as a ULID, or null (none, or not 16 bytes). */
  public Ulid reference() {
    return referenceBytes != null && referenceBytes.length == 16 ? Ulid.from(referenceBytes) : null;
  }

  @Override
  public String toString() {
    return "ServerError(code='" + code + "', text='" + text + "', reference=" + Ulids.toText(referenceBytes) + ")";
  }
}
