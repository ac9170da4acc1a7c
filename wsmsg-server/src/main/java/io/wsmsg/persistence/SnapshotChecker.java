package io.wsmsg.persistence;

import io.wsmsg.glob.Glob;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.ProtocolException;
import io.wsmsg.registry.ChannelSettings;
import io.wsmsg.registry.Registry;
import java.util.HashSet;
import java.util.Set;

/**
 * Checks the values of one snapshot's records as they are read, with the rules a client's
 * commands are held to (names of 1..255 bytes of UTF-8, sizes of at least 1, priorities
 * 0..99 and 100 for the system channel, uids of 1..64 bytes, messages that decode as frames)
 * and the server's limits on how many of each it may hold. One checker per read of a file.
 */
final class SnapshotChecker {
  private final SnapshotLimits limits;
  private final long now;
  private final Set<String> channels = new HashSet<>();
  private final Set<String> endpoints = new HashSet<>();
  private long subscriptions;
  private long messageSubscriptions;
  private long tombstones;
  private long queuedBytes;
  /** The endpoint of the previous record: queued messages come grouped by endpoint. */
  private String lastEndpoint;

  SnapshotChecker(SnapshotLimits limits, long now) {
    this.limits = limits;
    this.now = now;
    channels.add(Registry.SYSTEM); // always there
  }

  void channel(String name, int size, int priority) throws SnapshotException {
    name("a channel", name);
    size("channel " + show(name), size);
    boolean system = Registry.SYSTEM.equals(name);
    if (system && priority != ChannelSettings.SYSTEM_PRIORITY) {
      throw new SnapshotException("the system channel has priority " + priority + "; it is always 100");
    }
    if (!system && (priority < 0 || priority > 99)) {
      throw new SnapshotException("channel " + show(name) + " has priority " + priority + ", outside 0..99");
    }
    if (channels.add(name) && channels.size() > limits.maxChannels()) {
      throw new SnapshotException("it holds more than limits.maxChannels (" + limits.maxChannels() + ") channels");
    }
  }

  void endpoint(String name, int size) throws SnapshotException {
    endpointName(name);
    size("endpoint " + show(name), size);
  }

  void ephemeralEndpoint(String name) throws SnapshotException {
    endpointName(name);
  }

  void subscription(String endpoint, String channelPattern, String subjectPattern) throws SnapshotException {
    endpointName(endpoint);
    pattern("channel pattern", channelPattern, false);
    pattern("subject pattern", subjectPattern, true);
    if (++subscriptions > limits.maxSubscriptions()) {
      throw new SnapshotException("it holds more than limits.maxSubscriptions (" + limits.maxSubscriptions()
          + ") subscriptions");
    }
  }

  /** A removed subscription: like a subscription, and at most limits.maxSubscriptions of them. */
  void tombstone(String endpoint, String channelPattern, String subjectPattern) throws SnapshotException {
    name("an endpoint", endpoint); // its endpoint may be gone: not counted as one
    pattern("channel pattern", channelPattern, false);
    pattern("subject pattern", subjectPattern, true);
    if (++tombstones > limits.maxSubscriptions()) {
      throw new SnapshotException("it holds more than limits.maxSubscriptions (" + limits.maxSubscriptions()
          + ") removed subscriptions");
    }
  }

  /** A version: its clock not negative nor ahead of this server's clock by more than the tolerance. */
  void stamp(io.wsmsg.registry.Stamp s) throws SnapshotException {
    if (s.clock() < 0 || s.clock() > io.wsmsg.registry.Stamp.latestAcceptable(now, SnapshotLimits.CLOCK_TOLERANCE_MILLIS)) {
      throw new SnapshotException("a version clock " + s.clock() + " is negative or ahead of this server's clock");
    }
    int len = utf8Length(s.member());
    if (len < 0 || len > FrameCodec.MAX_NAME_BYTES) {
      throw new SnapshotException("a version names member " + show(s.member()) + ", which is not 0 to 255 bytes of UTF-8");
    }
  }

  /** The uid's length was checked before it was read. */
  void messageSubscription(String endpoint) throws SnapshotException {
    endpointName(endpoint);
    if (++messageSubscriptions > limits.maxMessageSubscriptions()) {
      throw new SnapshotException("it holds more than limits.maxMessageSubscriptions ("
          + limits.maxMessageSubscriptions() + ") message subscriptions");
    }
  }

  /** Returns the decoded frame. The frame's length was checked before it was read. */
  Frame queued(String endpoint, int priority, long enqueuedAt, byte[] frame) throws SnapshotException {
    endpointName(endpoint);
    String what = "a message queued for " + show(endpoint);
    if (priority < 0 || priority > ChannelSettings.SYSTEM_PRIORITY) {
      throw new SnapshotException(what + " has priority " + priority + ", outside 0..100");
    }
    if (enqueuedAt < 0 || enqueuedAt > now + SnapshotLimits.CLOCK_TOLERANCE_MILLIS) {
      throw new SnapshotException(what + " has enqueue time " + enqueuedAt + " (epoch ms), "
          + (enqueuedAt < 0 ? "before 1970" : (enqueuedAt - now) / 1000 + " s ahead of this server's clock"));
    }
    queuedBytes += frame.length;
    if (queuedBytes > limits.maxQueuedBytes()) {
      throw new SnapshotException("its queued messages hold more than " + limits.maxQueuedBytes()
          + " bytes (twice limits.maxQueuedMiB)");
    }
    try {
      return FrameCodec.decode(frame);
    } catch (ProtocolException e) {
      throw new SnapshotException(what + " is not a valid frame: " + e.getMessage());
    }
  }

  private void endpointName(String name) throws SnapshotException {
    if (name.equals(lastEndpoint)) return;
    name("an endpoint", name);
    if (endpoints.add(name) && endpoints.size() > limits.maxEndpoints()) {
      throw new SnapshotException("it holds more than limits.maxEndpoints (" + limits.maxEndpoints() + ") endpoints");
    }
    lastEndpoint = name;
  }

  private static void name(String what, String name) throws SnapshotException {
    int len = utf8Length(name);
    if (len < 1 || len > FrameCodec.MAX_NAME_BYTES) {
      throw new SnapshotException(what + " is named " + show(name) + ", which is not 1 to 255 bytes of UTF-8");
    }
  }

  private static void size(String what, int size) throws SnapshotException {
    if (size < 1) throw new SnapshotException(what + " has size " + size + ", less than 1");
  }

  private static void pattern(String what, String pattern, boolean mayBeEmpty) throws SnapshotException {
    int len = utf8Length(pattern);
    if (len < (mayBeEmpty ? 0 : 1) || len > FrameCodec.MAX_NAME_BYTES) {
      throw new SnapshotException("a subscription's " + what + " " + show(pattern) + " is not " + (mayBeEmpty ? 0 : 1)
          + " to 255 bytes of UTF-8");
    }
    try {
      Glob.compile(pattern);
    } catch (RuntimeException e) {
      throw new SnapshotException("a subscription's " + what + " " + show(pattern) + " is not a valid glob: "
          + e.getMessage());
    }
  }

  /** Bytes of the string in UTF-8, or -1 when it holds an unpaired surrogate (no UTF-8 for it). */
  static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        return -1;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** A name for a log line: quoted, control characters escaped, at most 80 characters. */
  static String show(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length() && i < 80; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || Character.isSurrogate(c)) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append(s.length() > 80 ? "\"..." : "\"").toString();
  }
}
