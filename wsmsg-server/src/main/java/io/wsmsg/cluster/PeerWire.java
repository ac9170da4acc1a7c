package io.wsmsg.cluster;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * The binary messages members send each other over the clustered event bus. Each is a
 * {@link Buffer} (Vert.x carries those between members as they are): a type byte, then
 * fields. Frames travel as their original bytes, so {@code data} is never re-encoded.
 */
public final class PeerWire {
  private PeerWire() {}

  /** Router to owning gateway: a message for some of that gateway's endpoints. */
  public static final byte DELIVER = 1;
  /** Gateway of a node to the endpoint's owner: serve this node too. */
  public static final byte ATTACH = 2;
  public static final byte DETACH = 3;
  public static final byte ACK = 4;
  /** A remote node's pause state and socket congestion. */
  public static final byte FLOW = 5;
  /** Owner to the node's gateway: write this frame to that node. */
  public static final byte TO_NODE = 6;
  /** Ownership claims, one or many. */
  public static final byte CLAIMS = 7;
  /** A leaving owner's endpoint queue, for its new owner. */
  public static final byte HANDOFF = 8;
  /** The stop command: every member stops and persists its share. */
  public static final byte STOP_ALL = 9;
  /**
   * A starting member asks for the claims a member holds (answered with CLAIMS, once the
   * member has reached the starter back: see PING).
   */
  public static final byte CLAIMS_PULL = 10;
  /** Answered with "ok": proves that this member's handlers are known at the sender. */
  public static final byte PING = 11;
  /** An owner gave an endpoint up (it was removed): forget its claim, if still that one. */
  public static final byte RELEASE = 12;
  /**
   * Management: what this member knows about its endpoints and channel queues, answered with
   * the JSON of GatewayVerticle.memberView (an admin request, not traffic).
   */
  public static final byte VIEW = 13;
  /**
   * A stopping gateway to an endpoint's owner: deliveries it took for a node but never wrote
   * to it (by uid); the owner puts them back at the head of the endpoint's queue.
   */
  public static final byte RETURN = 14;
  /**
   * A leaving member to each other one, last before it stops listening: everything you sent me
   * is taken care of (queued, handed on or kept in my snapshot); send none of it again once I
   * am gone. A member removed without saying this died, and what it never confirmed is sent
   * again to its endpoints' new owners (see PeerBudgets). Answered once applied.
   */
  public static final byte LEAVING = 15;
  /** Registry: commands to apply as a replica. */
  public static final byte REPLICATE = 20;
  /** Registry: send me your whole registry and your claims. */
  public static final byte DUMP = 21;

  /** Gateway (ownership, deliveries, nodes) address of a member. */
  public static String gatewayAddress(String member) {
    return "wsmsg.peer." + member;
  }

  /** Registry replication address of a member. */
  public static String registryAddress(String member) {
    return "wsmsg.registry." + member;
  }

  /** Builds one message. */
  public static final class Writer {
    private final Buffer buf;

    public Writer(byte type, int sizeHint) {
      buf = Buffer.buffer(Math.max(16, sizeHint));
      buf.appendByte(type);
    }

    public Writer str(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      buf.appendInt(b.length).appendBytes(b);
      return this;
    }

    public Writer bytes(byte[] b) {
      buf.appendInt(b.length).appendBytes(b);
      return this;
    }

    public Writer i32(int v) {
      buf.appendInt(v);
      return this;
    }

    public Writer i64(long v) {
      buf.appendLong(v);
      return this;
    }

    public Writer bool(boolean v) {
      buf.appendByte(v ? (byte) 1 : 0);
      return this;
    }

    public Buffer buffer() {
      return buf;
    }
  }

  /**
   * Reads one message field by field, trusting nothing: every read checks the bytes left, no
   * array is sized by a count before the count is checked against them and a limit, strings
   * must be strict UTF-8. Anything wrong throws {@link PeerWireException}, and nothing else.
   */
  public static final class Reader {
    private final Buffer buf;
    private int pos;

    public Reader(Buffer buf) {
      this.buf = buf == null ? Buffer.buffer() : buf;
    }

    public int remaining() {
      return buf.length() - pos;
    }

    private void need(int n, String what) {
      if (n < 0 || remaining() < n) {
        throw new PeerWireException(PeerWireException.Reason.TRUNCATED, "the message ends before its " + what);
      }
    }

    public byte type() {
      need(1, "type");
      return buf.getByte(pos++);
    }

    public int i32(String what) {
      need(4, what);
      int v = buf.getInt(pos);
      pos += 4;
      return v;
    }

    public long i64(String what) {
      need(8, what);
      long v = buf.getLong(pos);
      pos += 8;
      return v;
    }

    /** An int that must be within {@code min..max} (bad_value otherwise). */
    public int i32(String what, int min, int max) {
      int v = i32(what);
      if (v < min || v > max) {
        throw new PeerWireException(PeerWireException.Reason.BAD_VALUE, what + " " + v + " is not within " + min + ".." + max);
      }
      return v;
    }

    public boolean bool(String what) {
      need(1, what);
      byte b = buf.getByte(pos++);
      if (b != 0 && b != 1) throw new PeerWireException(PeerWireException.Reason.BAD_VALUE, what + " is not a flag (0 or 1)");
      return b == 1;
    }

    /** A length-prefixed byte field of at most {@code max} bytes. */
    public byte[] bytes(String what, int max) {
      int n = i32(what + " length");
      if (n < 0) throw new PeerWireException(PeerWireException.Reason.BAD_COUNT, what + " has a negative length " + n);
      if (n > max) throw new PeerWireException(PeerWireException.Reason.TOO_LONG, what + " has " + n + " bytes, at most " + max);
      need(n, what);
      byte[] b = buf.getBytes(pos, pos + n);
      pos += n;
      return b;
    }

    /** A length-prefixed strict UTF-8 string of {@code min..max} bytes (bad_name otherwise). */
    public String str(String what, int min, int max) {
      byte[] b = bytes(what, max);
      if (b.length < min) throw new PeerWireException(PeerWireException.Reason.BAD_NAME, what + " is empty");
      String s = io.wsmsg.protocol.Names.strictUtf8(b, 0, b.length);
      if (s == null) throw new PeerWireException(PeerWireException.Reason.BAD_NAME, what + " is not valid UTF-8");
      return s;
    }

    /** An endpoint or channel name, by the rules clients follow (1..255 bytes of UTF-8). */
    public String name(String what) {
      return str(what, 1, io.wsmsg.protocol.Names.MAX_NAME_BYTES);
    }

    /** A uid: 1..64 bytes. */
    public byte[] uid(String what) {
      byte[] b = bytes(what, io.wsmsg.protocol.Names.MAX_UID_BYTES);
      if (b.length == 0) throw new PeerWireException(PeerWireException.Reason.BAD_VALUE, what + " is empty");
      return b;
    }

    /**
     * A count of items that take at least {@code minItemBytes} each: not negative, no more
     * than the bytes left can hold (bad_count), and at most {@code limit} (over_limit).
     */
    public int count(String what, int minItemBytes, long limit) {
      int n = i32(what);
      if (n < 0) throw new PeerWireException(PeerWireException.Reason.BAD_COUNT, what + " is negative (" + n + ")");
      if ((long) n * Math.max(1, minItemBytes) > remaining()) {
        throw new PeerWireException(PeerWireException.Reason.BAD_COUNT, what + " " + n + " is more than the "
            + remaining() + " bytes left can hold");
      }
      if (n > limit) throw new PeerWireException(PeerWireException.Reason.OVER_LIMIT, what + " " + n + " is over the limit " + limit);
      return n;
    }

    /** The message must end here. */
    public void end() {
      if (remaining() != 0) {
        throw new PeerWireException(PeerWireException.Reason.TRAILING_BYTES, remaining() + " bytes after the last field");
      }
    }

    /** True when fields remain (optional trailing fields). */
    public boolean more() {
      return remaining() > 0;
    }
  }
}
