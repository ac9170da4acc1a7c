package io.wsmsg.registry;

import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.Uid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

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
    if (cmd instanceof RegistryCommand.SubscribeChannel c) {
      // the admin mark is a fifth element; a four-element entry (older member) reads as not admin
      p.packArrayHeader(5).packInt(1).packString(c.endpoint()).packString(c.channel().pattern())
          .packString(c.subject().pattern()).packBoolean(c.admin());
    } else if (cmd instanceof RegistryCommand.UnsubscribeChannel c) {
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
    } else if (cmd instanceof RegistryCommand.SizeChannel c) {
      p.packArrayHeader(3).packInt(6).packString(c.channel()).packInt(c.size());
    } else if (cmd instanceof RegistryCommand.PrioritizeChannel c) {
      p.packArrayHeader(3).packInt(7).packString(c.channel()).packInt(c.priority());
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

  public static List<RegistryCommand> decode(byte[] bytes, int off, int len) {
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes, off, len)) {
      int n = u.unpackArrayHeader();
      List<RegistryCommand> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int fields = u.unpackArrayHeader();
        int type = u.unpackInt();
        out.add(switch (type) {
          case 1 -> {
            RegistryCommand.SubscribeChannel c = new RegistryCommand.SubscribeChannel(u.unpackString(),
                Glob.compile(u.unpackString()), Glob.compile(u.unpackString()), null, fields > 4 && u.unpackBoolean());
            for (int k = 5; k < fields; k++) u.skipValue(); // fields a newer member added
            yield c;
          }
          case 2 -> new RegistryCommand.UnsubscribeChannel(u.unpackString(), Glob.compile(u.unpackString()), null);
          case 3 -> {
            String ep = u.unpackString();
            byte[] uid = u.readPayload(u.unpackBinaryHeader());
            yield new RegistryCommand.SubscribeMessage(ep, Uid.of(uid), u.unpackLong(), null);
          }
          case 4 -> {
            String ep = u.unpackString();
            yield new RegistryCommand.UnsubscribeMessage(ep, Uid.of(u.readPayload(u.unpackBinaryHeader())), null);
          }
          case 5 -> new RegistryCommand.CreateChannel(u.unpackString(), null);
          case 6 -> new RegistryCommand.SizeChannel(u.unpackString(), u.unpackInt(), null);
          case 7 -> new RegistryCommand.PrioritizeChannel(u.unpackString(), u.unpackInt(), null);
          case 8 -> new RegistryCommand.CreateEndpoint(u.unpackString(), null);
          case 9 -> new RegistryCommand.SizeEndpoint(u.unpackString(), u.unpackInt(), null);
          case 10 -> new RegistryCommand.EphemeralEndpoint(u.unpackString(), null);
          case 11 -> new RegistryCommand.RemoveEndpoint(u.unpackString(), u.unpackBoolean(), null);
          case 12 -> new RegistryCommand.RemoveChannel(u.unpackString(), null);
          default -> throw new IllegalArgumentException("unknown registry command type " + type);
        });
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The whole registry as the commands that rebuild it (settings first, then subscriptions). */
  public static List<RegistryCommand> dump(Registry registry) {
    List<RegistryCommand> out = new ArrayList<>();
    registry.channels().forEach((name, c) -> {
      out.add(new RegistryCommand.SizeChannel(name, c.size(), null));
      if (!Registry.SYSTEM.equals(name)) out.add(new RegistryCommand.PrioritizeChannel(name, c.priority(), null));
    });
    registry.endpoints().forEach((name, size) -> {
      out.add(new RegistryCommand.SizeEndpoint(name, size, null));
      if (registry.isEphemeral(name)) out.add(new RegistryCommand.EphemeralEndpoint(name, null));
    });
    registry.subscriptions().all().forEach((ep, subs) -> subs.forEach(
        s -> out.add(new RegistryCommand.SubscribeChannel(ep, s.channel(), s.subject(), null, s.admin()))));
    long now = System.currentTimeMillis();
    registry.messageSubscriptions().copy().forEach((uid, m) -> m.forEach((ep, exp) -> {
      if (exp > now) out.add(new RegistryCommand.SubscribeMessage(ep, uid, exp, null));
    }));
    return out;
  }
}
