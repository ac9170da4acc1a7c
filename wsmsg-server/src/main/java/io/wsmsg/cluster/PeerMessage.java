package io.wsmsg.cluster;

import io.vertx.core.buffer.Buffer;
import io.wsmsg.cluster.Claims.Claim;
import io.wsmsg.cluster.PeerWireException.Reason;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.Names;
import io.wsmsg.protocol.ProtocolException;
import io.wsmsg.registry.ChannelSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A gateway peer message ({@link PeerWire}), decoded whole and checked against this member's
 * limits before anything of it is applied: a message from another member is as untrusted as
 * one from a client. {@link #decode} throws only {@link PeerWireException}. Checks that need
 * the current membership and claims (unknown_member, bad_epoch relative to the known claim,
 * misdirected) are made where the message is applied, against {@link Claims}.
 */
public sealed interface PeerMessage {
  /** Largest epoch ever accepted: far beyond any real count of handovers, far below overflow. */
  long MAX_EPOCH = 1L << 62;
  /** How far a claim's epoch may be ahead of the epoch this member knows for the endpoint. */
  long MAX_EPOCH_STEP = 1L << 20;
  /** How many times a DELIVER may be passed on to a newer owner before it is dropped. */
  int MAX_HOPS = 3;
  /** Messages per HANDOFF part (senders cut bigger queues into parts). */
  int HANDOFF_CHUNK = 2000;
  /** Member ids are Vert.x node ids (UUIDs); anything up to a name's length is accepted. */
  int MAX_MEMBER_BYTES = Names.MAX_NAME_BYTES;
  /** How far ahead of this member's clock a peer's timestamp may be (clock skew). */
  long CLOCK_SKEW_MILLIS = 60_000;

  /** The message type, for metrics and logs. */
  byte type();

  record Deliver(int priority, int hops, List<String> endpoints, Frame frame) implements PeerMessage {
    public byte type() { return PeerWire.DELIVER; }
  }

  record ToNode(String nodeId, String endpoint, String owner, Frame frame) implements PeerMessage {
    public byte type() { return PeerWire.TO_NODE; }
  }

  record Ack(String endpoint, String nodeId, byte[] uid) implements PeerMessage {
    public byte type() { return PeerWire.ACK; }
  }

  record Flow(String endpoint, String nodeId, boolean paused, boolean congested) implements PeerMessage {
    public byte type() { return PeerWire.FLOW; }
  }

  record Attach(String endpoint, String nodeId, String member, int window, boolean paused, boolean congested)
      implements PeerMessage {
    public byte type() { return PeerWire.ATTACH; }
  }

  record Detach(String endpoint, String nodeId) implements PeerMessage {
    public byte type() { return PeerWire.DETACH; }
  }

  record ClaimSet(Map<String, Claim> claims) implements PeerMessage {
    public byte type() { return PeerWire.CLAIMS; }
  }

  record Handoff(String endpoint, Claim claim, String id, boolean last, List<Item> items) implements PeerMessage {
    public byte type() { return PeerWire.HANDOFF; }

    /** One queued message: its priority, when it was queued and the frame. */
    public record Item(int priority, long enqueuedAt, Frame frame) {}

    public long bytes() {
      long n = 0;
      for (Item i : items) n += i.frame.size();
      return n;
    }
  }

  record StopAll(String sender, byte[] cause) implements PeerMessage {
    public byte type() { return PeerWire.STOP_ALL; }
  }

  record ClaimsPull(String starter) implements PeerMessage {
    public byte type() { return PeerWire.CLAIMS_PULL; }
  }

  record Ping() implements PeerMessage {
    public byte type() { return PeerWire.PING; }
  }

  record Release(String endpoint, Claim claim) implements PeerMessage {
    public byte type() { return PeerWire.RELEASE; }
  }

  record View(String requester) implements PeerMessage {
    public byte type() { return PeerWire.VIEW; }
  }

  record Return(String endpoint, String nodeId, List<byte[]> uids) implements PeerMessage {
    public byte type() { return PeerWire.RETURN; }
  }

  record Leaving(String member) implements PeerMessage {
    public byte type() { return PeerWire.LEAVING; }
  }

  /** Decodes and checks one gateway peer message. */
  static PeerMessage decode(Buffer b, ServerConfig config) {
    PeerWire.Reader r = new PeerWire.Reader(b);
    byte type = r.type();
    PeerMessage m = switch (type) {
      case PeerWire.DELIVER -> {
        int priority = priority(r);
        int hops = r.i32("hops", 0, MAX_HOPS);
        int n = r.count("endpoint count", 5, config.maxEndpoints);
        if (n == 0) throw new PeerWireException(Reason.BAD_COUNT, "a delivery for no endpoint");
        List<String> eps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) eps.add(r.name("endpoint"));
        yield new Deliver(priority, hops, eps, frame(r, config));
      }
      case PeerWire.TO_NODE -> new ToNode(r.name("node id"), r.name("endpoint"), member(r, "owner"), frame(r, config));
      case PeerWire.ACK -> new Ack(r.name("endpoint"), r.name("node id"), r.uid("uid"));
      case PeerWire.FLOW -> new Flow(r.name("endpoint"), r.name("node id"), r.bool("paused"), r.bool("congested"));
      case PeerWire.ATTACH -> new Attach(r.name("endpoint"), r.name("node id"), member(r, "member"),
          r.i32("window", 1, config.maxWindow), r.bool("paused"), r.bool("congested"));
      case PeerWire.DETACH -> new Detach(r.name("endpoint"), r.name("node id"));
      case PeerWire.CLAIMS -> new ClaimSet(claims(r, config));
      case PeerWire.HANDOFF -> {
        String ep = r.name("endpoint");
        Claim c = claim(r);
        String id = r.str("handoff id", 1, 64);
        boolean last = r.bool("last");
        int n = r.count("message count", 16, HANDOFF_CHUNK);
        long latest = System.currentTimeMillis() + CLOCK_SKEW_MILLIS;
        List<Handoff.Item> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          int priority = priority(r);
          long at = r.i64("queued time");
          if (at < 0 || at > latest) throw new PeerWireException(Reason.BAD_VALUE, "queued time " + at + " is in the future");
          items.add(new Handoff.Item(priority, at, frame(r, config)));
        }
        yield new Handoff(ep, c, id, last, items);
      }
      case PeerWire.STOP_ALL -> new StopAll(member(r, "sender"), r.more() ? r.uid("cause") : null);
      case PeerWire.CLAIMS_PULL -> new ClaimsPull(member(r, "starter"));
      case PeerWire.PING -> new Ping();
      case PeerWire.RELEASE -> new Release(r.name("endpoint"), claim(r));
      case PeerWire.VIEW -> new View(member(r, "requester"));
      case PeerWire.LEAVING -> new Leaving(member(r, "member"));
      case PeerWire.RETURN -> {
        String ep = r.name("endpoint");
        String node = r.name("node id");
        // an owner sends a remote node at most twice its window (see ClusteredOwnership.onAttach)
        int n = r.count("uid count", 5, 2L * config.maxWindow);
        List<byte[]> uids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) uids.add(r.uid("uid"));
        yield new Return(ep, node, uids);
      }
      default -> throw new PeerWireException(Reason.UNKNOWN_TYPE, "type " + type);
    };
    r.end();
    return m;
  }

  /** A CLAIMS body after its type byte: a count, then endpoint, owner and epoch for each. */
  static Map<String, Claim> claims(PeerWire.Reader r, ServerConfig config) {
    int n = r.count("claim count", 18, config.maxEndpoints);
    Map<String, Claim> out = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) out.put(r.name("endpoint"), claim(r));
    return out;
  }

  /** A CLAIMS answer (to CLAIMS_PULL or ATTACH), checked like a CLAIMS message. */
  static Map<String, Claim> decodeClaims(Buffer b, ServerConfig config) {
    PeerWire.Reader r = new PeerWire.Reader(b);
    byte type = r.type();
    if (type != PeerWire.CLAIMS) throw new PeerWireException(Reason.UNKNOWN_TYPE, "expected CLAIMS, got type " + type);
    Map<String, Claim> out = claims(r, config);
    r.end();
    return out;
  }

  private static Claim claim(PeerWire.Reader r) {
    String owner = member(r, "owner");
    long epoch = r.i64("epoch");
    if (epoch < 0 || epoch > MAX_EPOCH) throw new PeerWireException(Reason.BAD_EPOCH, "epoch " + epoch + " is not within 0..2^62");
    return new Claim(owner, epoch);
  }

  private static String member(PeerWire.Reader r, String what) {
    return r.str(what, 1, MAX_MEMBER_BYTES);
  }

  /** A message priority: a channel's 0..99, or the system channel's 100. */
  private static int priority(PeerWire.Reader r) {
    return r.i32("priority", 0, ChannelSettings.SYSTEM_PRIORITY);
  }

  private static Frame frame(PeerWire.Reader r, ServerConfig config) {
    byte[] raw = r.bytes("frame", config.maxFrameBytes);
    try {
      return FrameCodec.decode(raw);
    } catch (ProtocolException | RuntimeException e) {
      throw new PeerWireException(Reason.BAD_FRAME, "the carried frame is not valid: " + e.getMessage());
    }
  }

  /** A readable name of a message type, for metric labels and logs. */
  static String typeName(byte type) {
    return switch (type) {
      case PeerWire.DELIVER -> "deliver";
      case PeerWire.ATTACH -> "attach";
      case PeerWire.DETACH -> "detach";
      case PeerWire.ACK -> "ack";
      case PeerWire.FLOW -> "flow";
      case PeerWire.TO_NODE -> "to_node";
      case PeerWire.CLAIMS -> "claims";
      case PeerWire.HANDOFF -> "handoff";
      case PeerWire.STOP_ALL -> "stop_all";
      case PeerWire.CLAIMS_PULL -> "claims_pull";
      case PeerWire.PING -> "ping";
      case PeerWire.RELEASE -> "release";
      case PeerWire.VIEW -> "view";
      case PeerWire.RETURN -> "return";
      case PeerWire.LEAVING -> "leaving";
      case PeerWire.REPLICATE -> "replicate";
      case PeerWire.DUMP -> "dump";
      default -> "unknown";
    };
  }

  /** The type label of a raw message (its first byte), "unknown" for anything else. */
  static String typeOf(Buffer b) {
    return b == null || b.length() == 0 ? "unknown" : typeName(b.getByte(0));
  }
}
