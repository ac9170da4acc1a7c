package io.wsmsg.gateway;

import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.ErrorCodes;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.ProtocolException;
import io.wsmsg.protocol.SystemEvents;
import io.wsmsg.protocol.Uid;
import io.wsmsg.registry.Registry;
import io.wsmsg.registry.RegistryCommand;
import java.util.List;
import java.util.Set;

/**
 * Carries out the commands a node publishes on channel {@code system} (SPEC section 6):
 * checks arguments and permissions, applies the command, then forwards it to
 * {@code system} subscribers. Registry changes go to the registry verticle and the node's
 * socket is paused until it answers, so the node's next message already sees the change.
 */
final class Commands {
  /** Subjects only the server publishes; a client publishing one is refused. */
  static final Set<String> EVENTS = SystemEvents.ALL;
  private static final Set<String> NO_ARGS = Set.of("pause", "resume", "stop");
  /** Commands carry a few names and numbers; a larger data is refused before it is decoded. */
  static final int MAX_COMMAND_DATA = 64 * 1024;

  private final GatewayVerticle gateway;

  Commands(GatewayVerticle gateway) {
    this.gateway = gateway;
  }

  void handle(Session s, Frame f) {
    String subject = f.subject();
    if ("ack".equals(subject)) {
      if (f.reference() == null) {
        s.sendError(ErrorCodes.BAD_ARGUMENTS, "ack needs reference = the uid of the delivered message", f.uid());
      } else {
        s.ack(f.reference());
      }
      return;
    }
    gateway.counters.commands.increment();
    try {
      // pause, resume and stop take no arguments: their data is not even looked at
      List<Object> args = NO_ARGS.contains(subject) ? List.of() : arguments(f);
      switch (subject) {
        case "pause" -> {
          s.pauseDeliveries();
          forward(withoutData(f));
        }
        case "resume" -> {
          s.resumeDeliveries();
          forward(withoutData(f));
        }
        case "subscribe.channel" -> {
          count(args, 2, 3, "[endpoint, channel_pattern, subject_pattern]");
          String ep = name(args, 0, "endpoint");
          String ch = pattern(args, 1, "channel_pattern", false);
          String sub = args.size() > 2 ? pattern(args, 2, "subject_pattern", true) : "*";
          mayActOn(s, ep);
          if (!s.identity.permissions().maySubscribe(ch)) {
            throw forbidden("your token does not allow subscribing to channel pattern " + ch
                + (Glob.matches(ch, Registry.SYSTEM) ? " (a pattern that can match system needs an admin token"
                    + " or a subscribe grant \"system\")" : " (every channel it can match must be granted)"));
          }
          // recorded with the subscription: only an admin's system subscriptions see other
          // nodes' commands (docs/protocol.md, "Who sees what on system")
          registry(s, f, new RegistryCommand.SubscribeChannel(ep, Glob.compile(ch), Glob.compile(sub), f.uid(),
              s.identity.permissions().seesCommands()));
        }
        case "unsubscribe.channel" -> {
          count(args, 2, 2, "[endpoint, channel_pattern]");
          String ep = name(args, 0, "endpoint");
          String ch = pattern(args, 1, "channel_pattern", false);
          mayActOn(s, ep);
          registry(s, f, new RegistryCommand.UnsubscribeChannel(ep, Glob.compile(ch), f.uid()));
        }
        case "subscribe.message" -> {
          count(args, 2, 3, "[endpoint, uid, expires]");
          String ep = name(args, 0, "endpoint");
          byte[] uid = uid(args, 1);
          long expiresAt = expiresAt(args.size() > 2 ? args.get(2) : null);
          mayActOn(s, ep);
          registry(s, f, new RegistryCommand.SubscribeMessage(ep, Uid.of(uid), expiresAt, f.uid()));
        }
        case "unsubscribe.message" -> {
          count(args, 2, 2, "[endpoint, uid]");
          String ep = name(args, 0, "endpoint");
          byte[] uid = uid(args, 1);
          mayActOn(s, ep);
          registry(s, f, new RegistryCommand.UnsubscribeMessage(ep, Uid.of(uid), f.uid()));
        }
        case "channel.create" -> {
          count(args, 1, 1, "[channel]");
          String ch = name(args, 0, "channel");
          if (!s.identity.permissions().mayPublish(ch)) {
            throw forbidden("your token does not allow channel " + ch);
          }
          registry(s, f, new RegistryCommand.CreateChannel(ch, f.uid()));
        }
        case "channel.size" -> {
          admin(s, subject);
          count(args, 2, 2, "[channel, size]");
          registry(s, f, new RegistryCommand.SizeChannel(name(args, 0, "channel"), size(args, 1), f.uid()));
        }
        case "channel.priority" -> {
          admin(s, subject);
          count(args, 2, 2, "[channel, priority]");
          String ch = name(args, 0, "channel");
          if (Registry.SYSTEM.equals(ch)) throw badArgs("the system channel's priority is fixed at 100");
          long p = integer(args, 1, "priority");
          if (p < 0 || p > 99) throw badArgs("priority must be an integer from 0 to 99, not " + p);
          registry(s, f, new RegistryCommand.PrioritizeChannel(ch, (int) p, f.uid()));
        }
        case "endpoint.create" -> {
          count(args, 1, 1, "[endpoint]");
          String ep = name(args, 0, "endpoint");
          mayActOn(s, ep);
          registry(s, f, new RegistryCommand.CreateEndpoint(ep, f.uid()));
        }
        case "endpoint.size" -> {
          admin(s, subject);
          count(args, 2, 2, "[endpoint, size]");
          registry(s, f, new RegistryCommand.SizeEndpoint(name(args, 0, "endpoint"), size(args, 1), f.uid()));
        }
        case "stop" -> {
          admin(s, subject);
          forward(withoutData(f));
          gateway.requestStop("a stop command from node " + s.nodeId + " (" + s.identity.subject() + ")", f.uid());
        }
        default -> {
          if (EVENTS.contains(subject)) {
            throw forbidden(subject + " is an event: only the server publishes it");
          }
          throw new ProtocolException(ErrorCodes.UNKNOWN_COMMAND, "unknown command \"" + subject
              + "\" on channel system (commands: ack, pause, resume, subscribe.channel, subscribe.message,"
              + " unsubscribe.channel, unsubscribe.message, channel.create, channel.size, channel.priority,"
              + " endpoint.create, endpoint.size, stop)");
        }
      }
    } catch (ProtocolException e) {
      s.sendError(e.code(), e.getMessage(), f.uid());
    }
  }

  /** Sends a registry change and holds the node's input until it is applied. */
  private void registry(Session s, Frame f, RegistryCommand cmd) {
    if (gateway.stopping) {
      // the state is about to be written: a change now might not be kept, so say so instead
      s.sendError(ErrorCodes.STOPPING, "the server is stopping and takes no more subscription or settings changes",
          f.uid());
      return;
    }
    s.ws.pause();
    gateway.registryRequest(cmd, s.identity)
        .onComplete(ar -> {
          if (!s.closed) s.ws.resume();
          if (ar.failed()) {
            s.sendError(ErrorCodes.BAD_ARGUMENTS, "the registry did not answer: " + ar.cause().getMessage(), f.uid());
          } else if (!ar.result().body().ok()) {
            s.sendError(ar.result().body().errorCode(), ar.result().body().errorText(), f.uid());
          } else {
            forward(f);
          }
        });
  }

  /**
   * Commands are forwarded, after they are carried out, to endpoints subscribed to system; the
   * router gives them only to subscriptions an admin made (events go to every subscriber).
   */
  private void forward(Frame f) {
    // Nobody watching (no system subscription matches, no message subscription awaits it):
    // not queued at all. Commands such as pause/resume cost a node nothing to send, and every
    // channel waits while system (priority 100) holds anything, so a flood must not land there.
    if (gateway.registry.route(f.channel(), f.subject(), f.reference(), System.currentTimeMillis()).length == 0) return;
    gateway.routers.submit(f);
  }

  /** An empty array, the data of forwarded pause, resume and stop. */
  private static final byte[] NO_DATA = MsgPack.pack(List.of());

  /**
   * pause, resume and stop take no arguments, so whatever data the client sent with them is
   * not forwarded: the header is encoded again around an empty array.
   */
  private static Frame withoutData(Frame f) {
    return FrameCodec.encode(f.uid(), f.channel(), f.subject(), f.reference(), NO_DATA, f.order());
  }

  private List<Object> arguments(Frame f) throws ProtocolException {
    if (f.dataLength() > MAX_COMMAND_DATA) {
      throw badArgs("a command's data is at most " + MAX_COMMAND_DATA + " bytes, got " + f.dataLength());
    }
    Object data;
    try {
      data = MsgPack.unpack(f.rawBytes(), f.dataOffset(), f.dataLength());
    } catch (IllegalArgumentException e) {
      throw badArgs("the command's data is not a msgpack value");
    }
    if (data == null) return List.of();
    if (data instanceof List<?> l) {
      @SuppressWarnings("unchecked")
      List<Object> args = (List<Object>) l;
      return args;
    }
    throw badArgs("a command's data must be an array of arguments (or nil)");
  }

  private static void count(List<Object> args, int min, int max, String shape) throws ProtocolException {
    if (args.size() < min || args.size() > max) {
      throw badArgs("expected arguments " + shape + ", got " + args.size() + " argument" + (args.size() == 1 ? "" : "s"));
    }
  }

  /** An endpoint or channel name: str of 1..255 bytes. */
  private static String name(List<Object> args, int i, String what) throws ProtocolException {
    Object v = args.get(i);
    if (!(v instanceof String s)) throw badArgs(what + " must be a string");
    // the same rule peers are held to (protocol.Names)
    if (!io.wsmsg.protocol.Names.validName(s)) throw badArgs(what + " must have 1 to 255 bytes of UTF-8");
    return s;
  }

  private static String pattern(List<Object> args, int i, String what, boolean mayBeEmpty) throws ProtocolException {
    Object v = args.get(i);
    if (!(v instanceof String s)) throw badArgs(what + " must be a string (a glob such as \"orders.*\")");
    if (!io.wsmsg.protocol.Names.validPattern(s, mayBeEmpty)) {
      throw badArgs(what + " must have " + (mayBeEmpty ? 0 : 1) + " to 255 bytes of UTF-8");
    }
    return s;
  }

  private static byte[] uid(List<Object> args, int i) throws ProtocolException {
    Object v = args.get(i);
    if (!(v instanceof byte[] b) || !io.wsmsg.protocol.Names.validUid(b)) {
      throw badArgs("uid must be bin of 1 to 64 bytes (the uid of the message whose replies you want)");
    }
    return b;
  }

  private static long integer(List<Object> args, int i, String what) throws ProtocolException {
    Object v = args.get(i);
    if (!(v instanceof Long n)) throw badArgs(what + " must be an integer");
    return n;
  }

  private static int size(List<Object> args, int i) throws ProtocolException {
    long n = integer(args, i, "size");
    if (n < 1 || n > Integer.MAX_VALUE) throw badArgs("size must be an integer from 1 to " + Integer.MAX_VALUE + ", not " + n);
    return (int) n;
  }

  /**
   * When a message subscription ends: absent = the configured default; a number of 10^9 or
   * more is a unix time in seconds; a smaller positive number is seconds from now. Capped by
   * the configured maximum.
   */
  private long expiresAt(Object v) throws ProtocolException {
    long now = System.currentTimeMillis();
    long max = now + gateway.config.messageSubscriptionMaxMillis;
    if (v == null) return Math.min(max, now + gateway.config.messageSubscriptionDefaultMillis);
    if (!(v instanceof Number n)) throw badArgs("expires must be a number of seconds (or a unix time)");
    double x = n.doubleValue();
    if (!(x > 0) || Double.isInfinite(x)) throw badArgs("expires must be positive, not " + x);
    long at = x >= 1e9 ? (long) (x * 1000) : now + (long) (x * 1000);
    return Math.min(max, at);
  }

  private static void mayActOn(Session s, String endpoint) throws ProtocolException {
    if (!s.identity.permissions().mayAttach(endpoint)) {
      throw forbidden("your token does not allow acting on endpoint " + endpoint);
    }
  }

  private static void admin(Session s, String command) throws ProtocolException {
    if (!s.identity.permissions().admin()) throw forbidden(command + " needs an admin token");
  }

  private static ProtocolException badArgs(String text) {
    return new ProtocolException(ErrorCodes.BAD_ARGUMENTS, text);
  }

  private static ProtocolException forbidden(String text) {
    return new ProtocolException(ErrorCodes.FORBIDDEN, text);
  }
}
