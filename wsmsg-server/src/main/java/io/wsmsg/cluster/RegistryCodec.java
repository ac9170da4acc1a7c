package io.wsmsg.cluster;

import io.wsmsg.cluster.PeerWireException.Reason;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.Names;
import io.wsmsg.protocol.Uid;
import io.wsmsg.registry.Registry;
import io.wsmsg.registry.RegistryCommand;
import io.wsmsg.registry.Stamp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Registry commands as msgpack, for replication between cluster members and for a joining
 * member's first full copy. The cause uid is not carried: events are published once, by the
 * member where the command was made.
 */
public final class RegistryCodec {
  private RegistryCodec() {}

  public static byte[] encode(List<RegistryCommand> commands) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      p.packArrayHeader(commands.size());
      for (RegistryCommand c : commands) write(p, c);
      return p.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(MessageBufferPacker p, RegistryCommand cmd) throws IOException {
    Stamp stamp = null;
    if (cmd instanceof RegistryCommand.Versioned v) {
      stamp = v.stamp();
      cmd = v.command();
    }
    int extra = stamp == null ? 0 : 2; // the version goes last: clock, member
    if (cmd instanceof RegistryCommand.SubscribeChannel c) {
      // the admin mark is a fifth element; a four-element entry (older member) reads as not admin
      p.packArrayHeader(5 + extra).packInt(1).packString(c.endpoint()).packString(c.channel().pattern())
          .packString(c.subject().pattern()).packBoolean(c.admin());
    } else if (cmd instanceof RegistryCommand.RemoveSubscription c) {
      p.packArrayHeader(4 + extra).packInt(13).packString(c.endpoint()).packString(c.channel().pattern())
          .packString(c.subject().pattern());
    } else if (cmd instanceof RegistryCommand.SizeChannel c) {
      p.packArrayHeader(3 + extra).packInt(6).packString(c.channel()).packInt(c.size());
    } else if (cmd instanceof RegistryCommand.PrioritizeChannel c) {
      p.packArrayHeader(3 + extra).packInt(7).packString(c.channel()).packInt(c.priority());
    } else {
      stamp = null; // other commands carry no version
      writeUnversioned(p, cmd);
    }
    if (stamp != null) p.packLong(stamp.clock()).packString(stamp.member());
  }

  private static void writeUnversioned(MessageBufferPacker p, RegistryCommand cmd) throws IOException {
    if (cmd instanceof RegistryCommand.UnsubscribeChannel c) {
      p.packArrayHeader(3).packInt(2).packString(c.endpoint()).packString(c.pattern().pattern());
    } else if (cmd instanceof RegistryCommand.SubscribeMessage c) {
      byte[] uid = c.uid().bytes();
      p.packArrayHeader(4).packInt(3).packString(c.endpoint()).packBinaryHeader(uid.length);
      p.writePayload(uid);
      p.packLong(c.expiresAt());
    } else if (cmd instanceof RegistryCommand.UnsubscribeMessage c) {
      byte[] uid = c.uid().bytes();
      p.packArrayHeader(3).packInt(4).packString(c.endpoint()).packBinaryHeader(uid.length);
      p.writePayload(uid);
    } else if (cmd instanceof RegistryCommand.CreateChannel c) {
      p.packArrayHeader(2).packInt(5).packString(c.channel());
    } else if (cmd instanceof RegistryCommand.CreateEndpoint c) {
      p.packArrayHeader(2).packInt(8).packString(c.endpoint());
    } else if (cmd instanceof RegistryCommand.SizeEndpoint c) {
      p.packArrayHeader(3).packInt(9).packString(c.endpoint()).packInt(c.size());
    } else if (cmd instanceof RegistryCommand.EphemeralEndpoint c) {
      p.packArrayHeader(2).packInt(10).packString(c.endpoint());
    } else if (cmd instanceof RegistryCommand.RemoveEndpoint c) {
      p.packArrayHeader(3).packInt(11).packString(c.endpoint()).packBoolean(c.onlyIfUnused());
    } else if (cmd instanceof RegistryCommand.RemoveChannel c) {
      p.packArrayHeader(2).packInt(12).packString(c.channel());
    }
  }

  /**
   * Decodes commands from another member (REPLICATE, or a DUMP answer), trusting nothing:
   * every count is checked against the bytes left and this member's limits before anything
   * is allocated, names follow the client rules ({@link Names}), sizes are 1 or more (a
   * channel of size 0 would loop its router), priorities 0..99 (system's is fixed), message
   * subscriptions end no later than messageSubscriptions.maxExpirySeconds from now. Throws
   * only {@link PeerWireException}; nothing is returned (so nothing applied) unless all of it
   * is valid.
   */
  public static List<RegistryCommand> decode(byte[] bytes, int off, int len, ServerConfig config) {
    if (bytes == null || off < 0 || len < 0 || off + len > bytes.length) {
      throw new PeerWireException(Reason.TRUNCATED, "no registry commands");
    }
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes, off, len)) {
      In in = new In(u, len);
      // a dump holds at most: size and priority per channel, size and mark per endpoint, the subscriptions
      // (and the tombstones of removed subscriptions, at most as many as subscriptions)
      long limit = 2L * config.maxChannels + 2L * config.maxEndpoints + 2L * config.maxSubscriptions
          + config.maxMessageSubscriptions;
      long latestClock = Stamp.latestAcceptable(System.currentTimeMillis(), PeerMessage.CLOCK_SKEW_MILLIS);
      int n = in.array("command count", 3, limit);
      List<RegistryCommand> out = new ArrayList<>(Math.min(n, 1024));
      long latestExpiry = System.currentTimeMillis() + config.messageSubscriptionMaxMillis + PeerMessage.CLOCK_SKEW_MILLIS;
      for (int i = 0; i < n; i++) {
        int fields = in.array("field count", 1, 64);
        if (fields < 2) throw new PeerWireException(Reason.BAD_COUNT, "a registry command of " + fields + " fields");
        long type = in.integer("command type");
        int expected = switch ((int) Math.max(-1, Math.min(type, 100))) {
          case 1 -> fields >= 4 ? fields : 4; // a newer member may add fields after the admin mark
          case 5, 8, 10, 12 -> 2;
          case 6, 7 -> fields == 5 ? 5 : 3; // with a version: clock, member
          case 13 -> fields == 6 ? 6 : 4;
          case 2, 4, 9, 11 -> 3;
          case 3 -> 4;
          default -> throw new PeerWireException(Reason.UNKNOWN_TYPE, "registry command type " + type);
        };
        if (fields != expected) {
          throw new PeerWireException(Reason.BAD_COUNT, "registry command type " + type + " has " + fields + " fields");
        }
        out.add(switch ((int) type) {
          case 1 -> {
            String ep = in.name("endpoint");
            Glob ch = in.glob("channel pattern", false);
            Glob sub = in.glob("subject pattern", true);
            boolean admin = fields > 4 && in.bool("admin mark");
            Stamp st = fields >= 7 ? in.stamp(latestClock) : null;
            for (int k = fields >= 7 ? 7 : 5; k < fields; k++) in.skip(); // fields a newer member added
            yield versioned(new RegistryCommand.SubscribeChannel(ep, ch, sub, null, admin), st);
          }
          case 13 -> {
            String ep = in.name("endpoint");
            Glob ch = in.glob("channel pattern", false);
            Glob sub = in.glob("subject pattern", true);
            yield versioned(new RegistryCommand.RemoveSubscription(ep, ch, sub, null),
                fields == 6 ? in.stamp(latestClock) : null);
          }
          case 2 -> new RegistryCommand.UnsubscribeChannel(in.name("endpoint"), in.glob("channel pattern", false), null);
          case 3 -> {
            String ep = in.name("endpoint");
            byte[] uid = in.uid();
            long at = in.integer("expiry");
            if (at < 0 || at > latestExpiry) {
              throw new PeerWireException(Reason.BAD_VALUE, "message subscription expiry " + at
                  + " is beyond messageSubscriptions.maxExpirySeconds from now");
            }
            yield new RegistryCommand.SubscribeMessage(ep, Uid.of(uid), at, null);
          }
          case 4 -> new RegistryCommand.UnsubscribeMessage(in.name("endpoint"), Uid.of(in.uid()), null);
          case 5 -> new RegistryCommand.CreateChannel(in.name("channel"), null);
          case 6 -> versioned(new RegistryCommand.SizeChannel(in.name("channel"), in.size("channel size"), null),
              fields == 5 ? in.stamp(latestClock) : null);
          case 7 -> {
            String ch = in.name("channel");
            long p = in.integer("priority");
            if (Registry.SYSTEM.equals(ch)) throw new PeerWireException(Reason.BAD_VALUE, "the system channel's priority is fixed");
            if (p < 0 || p > 99) throw new PeerWireException(Reason.BAD_VALUE, "priority " + p + " is not within 0..99");
            yield versioned(new RegistryCommand.PrioritizeChannel(ch, (int) p, null), fields == 5 ? in.stamp(latestClock) : null);
          }
          case 8 -> new RegistryCommand.CreateEndpoint(in.name("endpoint"), null);
          case 9 -> new RegistryCommand.SizeEndpoint(in.name("endpoint"), in.size("endpoint size"), null);
          case 10 -> new RegistryCommand.EphemeralEndpoint(in.name("endpoint"), null);
          case 11 -> new RegistryCommand.RemoveEndpoint(in.name("endpoint"), in.bool("only-if-unused"), null);
          default -> new RegistryCommand.RemoveChannel(in.name("channel"), null); // 12, the only one left
        });
      }
      if (u.hasNext()) {
        throw new PeerWireException(Reason.TRAILING_BYTES, (len - u.getTotalReadBytes()) + " bytes after the last command");
      }
      return out;
    } catch (PeerWireException e) {
      throw e;
    } catch (MessageInsufficientBufferException e) {
      throw new PeerWireException(Reason.TRUNCATED, "the registry commands end early");
    } catch (IOException | RuntimeException e) {
      throw new PeerWireException(Reason.BAD_VALUE, "the registry commands cannot be read: " + e.getMessage());
    }
  }

  private static RegistryCommand versioned(RegistryCommand c, Stamp s) {
    return s == null ? c : new RegistryCommand.Versioned(c, s);
  }

  /** A checked reader over an unpacker: every value's type and size is looked at before it is read. */
  private static final class In {
    private final MessageUnpacker u;
    private final int len;

    In(MessageUnpacker u, int len) {
      this.u = u;
      this.len = len;
    }

    private long remaining() {
      return len - u.getTotalReadBytes();
    }

    private void expect(ValueType t, String what) throws IOException {
      if (!u.hasNext()) throw new PeerWireException(Reason.TRUNCATED, "the registry commands end before " + what);
      ValueType got = u.getNextFormat().getValueType();
      if (got != t) throw new PeerWireException(Reason.BAD_VALUE, what + " is " + got + ", not " + t);
    }

    int array(String what, int minItemBytes, long limit) throws IOException {
      expect(ValueType.ARRAY, what);
      int n = u.unpackArrayHeader();
      if (n < 0 || (long) n * minItemBytes > remaining()) {
        throw new PeerWireException(Reason.BAD_COUNT, what + " " + n + " is more than the " + remaining() + " bytes left can hold");
      }
      if (n > limit) throw new PeerWireException(Reason.OVER_LIMIT, what + " " + n + " is over the limit " + limit);
      return n;
    }

    long integer(String what) throws IOException {
      expect(ValueType.INTEGER, what);
      return u.unpackLong();
    }

    int size(String what) throws IOException {
      long n = integer(what);
      if (n < 1 || n > Integer.MAX_VALUE) {
        throw new PeerWireException(Reason.BAD_VALUE, what + " " + n + " is not within 1.." + Integer.MAX_VALUE);
      }
      return (int) n;
    }

    /** A version: a clock no later than {@code latest} (clock skew) and a member name (empty: none). */
    Stamp stamp(long latest) throws IOException {
      long clock = integer("version clock");
      if (clock < 0 || clock > latest) {
        throw new PeerWireException(Reason.BAD_VALUE, "version clock " + clock + " is negative or ahead of this member's clock"
            + " by more than the allowed skew");
      }
      expect(ValueType.STRING, "version member");
      byte[] b = str("version member", 0, PeerMessage.MAX_MEMBER_BYTES, ValueType.STRING);
      String m = Names.strictUtf8(b, 0, b.length);
      if (m == null) throw new PeerWireException(Reason.BAD_NAME, "version member is not valid UTF-8");
      return new Stamp(clock, m);
    }

    boolean bool(String what) throws IOException {
      expect(ValueType.BOOLEAN, what);
      return u.unpackBoolean();
    }

    void skip() throws IOException {
      if (!u.hasNext()) throw new PeerWireException(Reason.TRUNCATED, "the registry commands end early");
      // only small scalar extras are skipped: a nested value could hide a huge count
      ValueType t = u.getNextFormat().getValueType();
      if (t == ValueType.ARRAY || t == ValueType.MAP) throw new PeerWireException(Reason.BAD_VALUE, "a nested extra field");
      if (t == ValueType.STRING || t == ValueType.BINARY || t == ValueType.EXTENSION) {
        str("extra field", 0, Names.MAX_NAME_BYTES, t);
        return;
      }
      u.skipValue();
    }

    private byte[] payload(String what, int n, int max) throws IOException {
      if (n < 0 || n > max) throw new PeerWireException(Reason.TOO_LONG, what + " has " + n + " bytes, at most " + max);
      if (n > remaining()) throw new PeerWireException(Reason.TRUNCATED, "the registry commands end inside " + what);
      return u.readPayload(n);
    }

    private byte[] str(String what, int min, int max, ValueType t) throws IOException {
      int n = t == ValueType.STRING ? u.unpackRawStringHeader()
          : t == ValueType.BINARY ? u.unpackBinaryHeader() : u.unpackExtensionTypeHeader().getLength();
      byte[] b = payload(what, n, max);
      if (b.length < min) throw new PeerWireException(Reason.BAD_NAME, what + " is empty");
      return b;
    }

    String string(String what, boolean mayBeEmpty) throws IOException {
      expect(ValueType.STRING, what);
      byte[] b = str(what, mayBeEmpty ? 0 : 1, Names.MAX_NAME_BYTES, ValueType.STRING);
      String s = Names.strictUtf8(b, 0, b.length);
      if (s == null) throw new PeerWireException(Reason.BAD_NAME, what + " is not valid UTF-8");
      return s;
    }

    String name(String what) throws IOException {
      return string(what, false);
    }

    Glob glob(String what, boolean mayBeEmpty) throws IOException {
      String p = string(what, mayBeEmpty);
      try {
        return Glob.compile(p);
      } catch (RuntimeException e) {
        throw new PeerWireException(Reason.BAD_NAME, what + " is not a valid pattern: " + e.getMessage());
      }
    }

    byte[] uid() throws IOException {
      expect(ValueType.BINARY, "uid");
      return str("uid", 1, Names.MAX_UID_BYTES, ValueType.BINARY);
    }
  }

  /** The whole registry as the commands that rebuild it (settings first, then subscriptions). */
  public static List<RegistryCommand> dump(Registry registry) {
    List<RegistryCommand> out = new ArrayList<>();
    registry.channels().forEach((name, c) -> {
      out.add(versioned(new RegistryCommand.SizeChannel(name, c.size(), null), registry.sizeStamp(name)));
      if (!Registry.SYSTEM.equals(name)) {
        out.add(versioned(new RegistryCommand.PrioritizeChannel(name, c.priority(), null), registry.priorityStamp(name)));
      }
    });
    registry.endpoints().forEach((name, size) -> {
      out.add(new RegistryCommand.SizeEndpoint(name, size, null));
      if (registry.isEphemeral(name)) out.add(new RegistryCommand.EphemeralEndpoint(name, null));
    });
    // with their versions, and the removals (tombstones): the receiver keeps the newer of each
    registry.subscriptions().all().forEach((ep, subs) -> subs.forEach(s -> out.add(versioned(
        new RegistryCommand.SubscribeChannel(ep, s.channel(), s.subject(), null, s.admin()), registry.subscriptionStamp(s)))));
    registry.tombstones().forEach((k, st) -> out.add(new RegistryCommand.Versioned(new RegistryCommand.RemoveSubscription(
        k.endpoint(), Glob.compile(k.channel()), Glob.compile(k.subject()), null), st)));
    long now = System.currentTimeMillis();
    registry.messageSubscriptions().copy().forEach((uid, m) -> m.forEach((ep, exp) -> {
      if (exp > now) out.add(new RegistryCommand.SubscribeMessage(ep, uid, exp, null));
    }));
    return out;
  }
}
