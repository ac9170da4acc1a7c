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

  /** Reads one message field by field. */
  public static final class Reader {
    private final Buffer buf;
    private int pos;

    public Reader(Buffer buf) {
      this.buf = buf;
    }

    public byte type() {
      return buf.getByte(pos++);
    }

    public String str() {
      int n = buf.getInt(pos);
      String s = buf.getString(pos + 4, pos + 4 + n, "UTF-8");
      pos += 4 + n;
      return s;
    }

    public byte[] bytes() {
      int n = buf.getInt(pos);
      byte[] b = buf.getBytes(pos + 4, pos + 4 + n);
      pos += 4 + n;
      return b;
    }

    public int i32() {
      int v = buf.getInt(pos);
      pos += 4;
      return v;
    }

    public long i64() {
      long v = buf.getLong(pos);
      pos += 8;
      return v;
    }

    public boolean bool() {
      return buf.getByte(pos++) != 0;
    }
  }
}
