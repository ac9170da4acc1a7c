package io.wsmsg.cli.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.wsmsg.client.WsmsgException;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.WireOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Request/reply: N requester connections (an endpoint each) and M responders sharing the
 * endpoint {@code bench-rpc-responders} ({@code --endpoint-prefix} replaces "bench"); requesters
 * connect to the producing side's servers, responders to the receiving side's. A request is the streamlined RPC of the protocol:
 * {@code subscribe.message [requester, uid, expiry]} then the request with that uid; the
 * responder publishes the echo with {@code reference} = the uid, which the message
 * subscription routes back. Latency is the round trip seen by the requester. Each requester
 * keeps {@code inflight} requests outstanding. With the client driver a request without a
 * reply times out ({@code --request-timeout}) and frees its place; the raw driver keeps no
 * per-request timers, so a lost reply holds its place until the end of the run.
 */
final class RpcScenario extends Scenario {
  private static final String REQUEST = "echo.request";
  private static final String REPLY = "echo.reply";
  private final AtomicLong handled = new AtomicLong();
  /** The endpoint the responders share: bench-rpc-responders with the default prefix. */
  private final String responders;

  RpcScenario(BenchSettings s) {
    super(s);
    responders = s.endpoint("rpc-responders");
  }

  @Override
  int plannedConnections() {
    return s.connections + s.responders + 1;
  }

  @Override
  String shape() {
    return s.connections + " requester" + (s.connections == 1 ? "" : "s") + " -> endpoint " + responders + " served by "
        + s.responders + " responder connection" + (s.responders == 1 ? "" : "s");
  }

  @Override
  void setup() throws Exception {
    String channel = env.channel("rpc");
    subscriptions.add(new String[] {responders, channel});
    boolean client = "client".equals(s.driverOrDefault());
    // The first responder alone, then the others: in a cluster the shared endpoint is then
    // owned by the first --sub-url's gateway rather than by whichever claim won a race.
    handles.addAll(all(List.of(client ? clientResponder(env.sub(0), channel) : rawResponder(env.sub(0), channel)),
        60_000, "connecting the first responder"));
    List<Future<Nodes.Handle>> rs = new ArrayList<>();
    for (int i = 1; i < s.responders; i++) {
      rs.add(client ? clientResponder(env.sub(i), channel) : rawResponder(env.sub(i), channel));
    }
    handles.addAll(all(rs, 60_000, "connecting " + s.responders + " responders"));
    AtomicLong budget = s.count > 0 ? new AtomicLong(s.count) : null;
    List<Future<Producer>> qs = new ArrayList<>();
    for (int i = 0; i < s.connections; i++) {
      String ep = s.endpoint("rpc-" + i);
      BenchEnv.Target t = env.pub(i);
      qs.add(client ? clientRequester(t, ep, channel, i, budget) : rawRequester(t, ep, channel, i, budget));
    }
    producers.addAll(all(qs, 60_000, "connecting " + s.connections + " requesters"));
  }

  // ---- the client library (WsmsgClient.reply / request) ----

  private Future<Nodes.Handle> clientResponder(BenchEnv.Target t, String channel) {
    return env.client(t, "responder", responders, s.window).compose(c -> {
      c.onError(e -> stats.error(e.code() + ": " + e.text()));
      return c.reply(channel, "*.request", m -> {
        handled.incrementAndGet();
        return Future.succeededFuture(new MsgPack.Raw(m.rawData()));
      }).map(sub -> (Nodes.Handle) c::close);
    });
  }

  private Future<Producer> clientRequester(BenchEnv.Target t, String ep, String channel, int index, AtomicLong budget) {
    Context lane = env.nextLane();
    MsgPack.Raw payload = new MsgPack.Raw(Frames.bin(new byte[s.payload]));
    Duration timeout = Duration.ofMillis(s.requestTimeoutMillis);
    return env.clientOn(lane, t, "requester", ep, s.window).map(c -> {
      c.onError(e -> stats.error(e.code() + ": " + e.text()));
      handles.add(c::close);
      return new Producer(lane, stats, index, s.inflightOrDefault(), s.rate / s.connections, budget) {
        long done;

        @Override
        long outstanding() {
          return sent - done;
        }

        @Override
        void sendOne() {
          long t = System.nanoTime();
          c.request(channel, REQUEST, payload, timeout).onComplete(ar -> {
            done++;
            if (ar.succeeded()) {
              stats.record(System.nanoTime() - t);
              stats.received.increment();
            } else if (ar.cause() instanceof WsmsgException w && WsmsgException.TIMEOUT.equals(w.code())) {
              stats.timeouts.increment();
            } else if (!stopped()) {
              stats.error(BenchEnv.describe(ar.cause()));
            }
            credit();
          });
        }
      };
    });
  }

  // ---- raw frames ----

  private Future<Nodes.Handle> rawResponder(BenchEnv.Target t, String channel) {
    Frames.Template reply = new Frames.Template(channel, REPLY, true, s.payload);
    return RawNode.connect(env, t, "responder", responders, s.window).compose(n -> {
      n.onNotice = f -> Nodes.notice(stats, f);
      n.onDelivery = f -> {
        if (!channel.equals(f.channel()) || !f.subject().endsWith(".request")) return;
        handled.incrementAndGet();
        byte[] uid = f.uid();
        if (uid.length == 16 && f.dataLength() == reply.bytes.length - (reply.refOffset + 16)) {
          byte[] b = reply.bytes.clone();
          n.uids.write(b, Frames.UID_OFFSET);
          System.arraycopy(uid, 0, b, reply.refOffset, 16);
          System.arraycopy(f.rawBytes(), f.dataOffset(), b, b.length - f.dataLength(), f.dataLength());
          n.send(b);
        } else { // not one of ours: answer anyway, the general way
          n.send(FrameCodec.encode(n.uids.next(), channel, REPLY, uid, f.dataBytes(), WireOrder.SEED).rawBytes());
        }
      };
      return env.control.subscribeChannel(responders, channel, "*.request").map(v -> (Nodes.Handle) n::close);
    });
  }

  private Future<Producer> rawRequester(BenchEnv.Target t, String ep, String channel, int index, AtomicLong budget) {
    Frames.Template request = new Frames.Template(channel, REQUEST, false, s.payload);
    long expires = Math.max(1, (s.requestTimeoutMillis + 999) / 1000 + 1);
    byte[] expiresBytes = MsgPack.pack(expires);
    Frame subTemplate = FrameCodec.encode(new byte[16], "system", "subscribe.message", null,
        MsgPack.pack(List.of(ep, new byte[16], expires)), WireOrder.SEED);
    int subUidAt = subTemplate.size() - expiresBytes.length - 16;
    return RawNode.connect(env, t, "requester", ep, s.window).map(n -> {
      handles.add(n::close);
      long[] done = {0};
      Producer p = new Producer(n.ctx, stats, index, s.inflightOrDefault(), s.rate / s.connections, budget) {
        @Override
        long outstanding() {
          return sent - done[0];
        }

        @Override
        void sendOne() {
          byte[] req = request.make(n.uids, index);
          byte[] sub = subTemplate.rawBytes().clone();
          n.uids.write(sub, Frames.UID_OFFSET);
          System.arraycopy(req, Frames.UID_OFFSET, sub, subUidAt, 16);
          n.send(sub);
          n.send(req);
        }

        @Override
        boolean writeBlocked(Runnable resume) {
          if (!n.writeQueueFull()) return false;
          n.onDrain(v -> resume.run());
          return true;
        }
      };
      n.onNotice = f -> Nodes.notice(stats, f);
      n.onDelivery = f -> {
        int start = channel.equals(f.channel()) && REPLY.equals(f.subject()) ? Frames.payloadStart(f) : -1;
        if (start < 0) {
          stats.foreign.increment();
          return;
        }
        stats.record(System.nanoTime() - Frames.getLong(f.rawBytes(), start));
        stats.received.increment();
        done[0]++;
        p.credit();
      };
      return p;
    });
  }

  @Override
  long expected() {
    return stats.sent.sum();
  }

  @Override
  String unit() {
    return "req/s";
  }

  @Override
  void extra(JsonObject j) {
    j.put("requesters", s.connections).put("responders", s.responders)
        .put("handledByResponders", handled.get()).put("timeouts", stats.timeouts.sum());
  }

  @Override
  void extraText(StringBuilder out) {
    out.append(String.format("  responders  handled %,d requests; %,d requests timed out%n", handled.get(),
        stats.timeouts.sum()));
  }

  @Override
  String operation() {
    return "call";
  }
}
