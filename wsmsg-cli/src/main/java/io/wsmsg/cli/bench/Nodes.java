package io.wsmsg.cli.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.wsmsg.client.WsmsgClient;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.MsgPack;

/**
 * Senders and receivers of the message scenarios, in the two drivers: {@code raw}
 * ({@link RawNode}, hand-built frames) and {@code client} ({@link WsmsgClient}).
 */
final class Nodes {
  private Nodes() {}

  interface Handle {
    Future<Void> close();
  }

  /** A receipt of one of this run's messages: when it was sent and by which sender. Any thread. */
  interface Receipt {
    void accept(long sentNanos, int sender);
  }

  /** One sending connection. sendOne and writeBlocked run on ctx. */
  interface Sender extends Handle {
    Context ctx();

    void sendOne(int index);

    /** True when the socket is full; {@code resume} then runs once it drains. */
    boolean writeBlocked(Runnable resume);
  }

  /**
   * A connection to server {@code t} (counted for {@code role}) on {@code endpoint} whose
   * endpoint is subscribed to {@code channel}, handing
   * every message of this run to {@code r} (then acking it). Messages of other channels (a
   * previous run's leftovers in a persistent endpoint queue) are acked and counted as foreign.
   */
  static Future<Handle> receiver(BenchEnv env, BenchEnv.Target t, String role, Stats stats, String endpoint,
      String channel, Receipt r) {
    if ("client".equals(env.s.driverOrDefault())) {
      return env.client(t, role, endpoint, env.s.window).compose(c -> {
        c.onError(e -> stats.error(e.code() + ": " + e.text()));
        // consume subscribes this endpoint to the run's channel; others' messages are acked unseen
        return c.consume(channel, "*", m -> {
          byte[] d = m.rawData();
          int start = binStart(d);
          if (start < 0) {
            stats.foreign.increment();
            return;
          }
          r.accept(Frames.getLong(d, start), Frames.getInt(d, start + 8));
        }).map(sub -> (Handle) c::close);
      });
    }
    return RawNode.connect(env, t, role, endpoint, env.s.window).compose(n -> {
      n.onNotice = f -> notice(stats, f);
      n.onDelivery = f -> {
        int start = channel.equals(f.channel()) ? Frames.payloadStart(f) : -1;
        if (start < 0) {
          stats.foreign.increment();
          return;
        }
        byte[] b = f.rawBytes();
        r.accept(Frames.getLong(b, start), Frames.getInt(b, start + 8));
      };
      return env.control.subscribeChannel(endpoint, channel, "*").map(v -> (Handle) n::close);
    });
  }

  /**
   * A publishing connection to server {@code t} (counted for {@code role}) on {@code endpoint}:
   * each message is a bin payload with the time.
   */
  static Future<Sender> sender(BenchEnv env, BenchEnv.Target t, String role, Stats stats, String endpoint,
      String channel, String subject) {
    int payload = env.s.payload;
    if ("client".equals(env.s.driverOrDefault())) {
      Context ctx = env.producerLane();
      return env.clientOn(ctx, t, role, endpoint, env.s.window).map(c -> {
        c.onError(e -> stats.error(e.code() + ": " + e.text()));
        return new Sender() {
          @Override
          public Context ctx() {
            return ctx;
          }

          @Override
          public void sendOne(int index) {
            byte[] d = new byte[payload];
            Frames.putInt(d, 8, index);
            Frames.putLong(d, 0, System.nanoTime());
            c.publish(channel, subject, d);
          }

          @Override
          public boolean writeBlocked(Runnable resume) {
            return false; // the client does not expose its socket: the in-flight cap bounds what is buffered
          }

          @Override
          public Future<Void> close() {
            return c.close();
          }
        };
      });
    }
    Frames.Template tpl = new Frames.Template(channel, subject, false, payload);
    return RawNode.connect(env, env.producerLane(), t, role, endpoint, env.s.window).map(n -> {
      n.onNotice = f -> notice(stats, f);
      return new Sender() {
        @Override
        public Context ctx() {
          return n.ctx;
        }

        @Override
        public void sendOne(int index) {
          n.send(tpl.make(n.uids, index));
        }

        @Override
        public boolean writeBlocked(Runnable resume) {
          if (!n.writeQueueFull()) return false;
          n.onDrain(v -> resume.run());
          return true;
        }

        @Override
        public Future<Void> close() {
          return n.close();
        }
      };
    });
  }

  static void notice(Stats stats, Frame f) {
    if (!"error".equals(f.subject())) return;
    Object d;
    try {
      d = MsgPack.unpack(f.rawBytes(), f.dataOffset(), f.dataLength());
    } catch (IllegalArgumentException e) {
      d = "?";
    }
    stats.error(String.valueOf(d));
  }

  /** Start of the bytes of a msgpack bin of at least 12 bytes, or -1. */
  static int binStart(byte[] d) {
    if (d.length < 2) return -1;
    int t = d[0] & 0xff;
    int start;
    int len;
    if (t == 0xc4) {
      len = d[1] & 0xff;
      start = 2;
    } else if (t == 0xc5) {
      len = ((d[1] & 0xff) << 8) | (d[2] & 0xff);
      start = 3;
    } else if (t == 0xc6) {
      len = Frames.getInt(d, 1);
      start = 5;
    } else {
      return -1;
    }
    return len >= Frames.MIN_PAYLOAD && start + len <= d.length ? start : -1;
  }
}
