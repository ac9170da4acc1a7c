package io.wsmsg.gateway;

import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.http.ServerWebSocket;
import io.wsmsg.auth.Identity;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.ErrorCodes;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.ProtocolException;
import io.wsmsg.protocol.Uid;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.registry.Registry;
import io.wsmsg.registry.RegistryWriter;
import java.util.List;
import java.util.Map;

/**
 * One node: one WebSocket connection attached to one endpoint. Reads frames, hands publishes
 * to channel routers and commands to {@link Commands}; receives deliveries from its endpoint
 * within its ack window. Everything here runs on the gateway's event loop.
 */
final class Session implements Consumer, AttachedNode {
  final GatewayVerticle gateway;
  final ServerWebSocket ws;
  final byte[] nodeUid = Ulids.next();
  final String nodeId = Ulids.toText(nodeUid);
  final String endpointName;
  /** The endpoint when this gateway owns it; null while its owner elsewhere serves this node (see {@link Ownership}). */
  Endpoint endpoint;
  final Identity identity;
  final int window;
  /** The node asked for an ephemeral endpoint ({@code ?ephemeral=1}). */
  boolean ephemeral;
  private WireOrder order;
  /** True once the order is settled by the query parameter or the first frame. */
  private boolean orderFixed;
  boolean paused;
  boolean closed;
  /** Set once the server decided to close this node: nothing it sends afterwards is carried out. */
  boolean closing;
  /** Delivered, unacknowledged messages. */
  final InFlightTable inFlight;
  long lastSeen = System.currentTimeMillis();
  /**
   * A node that did not ask for an order gets nothing until its first frame shows its order,
   * or until this time: otherwise a legacy-order client attaching to an endpoint with queued
   * messages would be sent seed-order frames it cannot read.
   */
  final long orderGraceUntil;
  /** When the last limits.errorBurst refusals were sent; made at the first refusal (most nodes never get one). */
  private long[] errorTimes;
  private int errorIndex;
  long expiryTimer = -1;
  /** Its place under the connection limits, freed when it leaves. */
  Admission.Conn admitted;
  /** Reading is paused because the socket's write queue filled up with our answers to its input. */
  private boolean readPaused;
  /** Reading is paused while sibling instances evict to make room for a publish. */
  private boolean evicting;
  /** Served by a sibling instance, which counts its in-flight bytes and identity share (see {@link SiblingOwnership}). */
  private boolean countedByOwner;

  /** Served by a sibling instance from now on (before any delivery); returns its identity's share for the owner. */
  IdentityLoad countedByOwner() {
    countedByOwner = true;
    inFlight.countedByOwner();
    return load;
  }

  Session(GatewayVerticle gateway, ServerWebSocket ws, String endpointName, Identity identity, int window,
      WireOrder requestedOrder) {
    this.gateway = gateway;
    this.ws = ws;
    this.endpointName = endpointName;
    this.identity = identity;
    this.window = window;
    this.order = requestedOrder != null ? requestedOrder : gateway.config.defaultOrder;
    this.orderFixed = requestedOrder != null;
    this.orderGraceUntil = orderFixed || gateway.config.orderGraceMillis == 0 ? 0
        : System.currentTimeMillis() + gateway.config.orderGraceMillis;
    this.load = gateway.endpoints.loadOf(identity.subject());
    this.inFlight = new InFlightTable(gateway.endpoints.budget, load);
  }

  /** This node's identity's in-flight bytes on this gateway (null in auth mode none). */
  private final IdentityLoad load;

  /** True while this node's identity holds its whole share of in-flight bytes: it waits for acks. */
  private boolean identityFull() {
    if (load == null || load.inFlightBytes.get() < gateway.config.maxInFlightBytesPerIdentity) return false;
    gateway.endpoints.heldBack(); // re-dispatched once acks or timeouts made room
    return true;
  }

  WireOrder order() {
    return order;
  }

  // ---- inbound ----

  void onBinary(Buffer buffer) {
    lastSeen = System.currentTimeMillis();
    gateway.counters.bytesIn.add(buffer.length());
    if (closed || closing) return;
    Frame f;
    try {
      f = FrameCodec.decode(buffer.getBytes());
    } catch (ProtocolException e) {
      sendError(e.code(), e.getMessage(), e.uid());
      return;
    }
    if (!orderFixed) {
      order = f.order();
      orderFixed = true;
      gateway.getVertx().runOnContext(v -> kick()); // deliveries held for the order may go now
    }
    gateway.counters.messagesIn.increment();
    if (Registry.SYSTEM.equals(f.channel())) {
      gateway.commands.handle(this, f);
    } else {
      publish(f);
    }
  }

  void onText(String text) {
    lastSeen = System.currentTimeMillis();
    if (closed || closing) return;
    sendError(ErrorCodes.BAD_FRAME, "text frames are not accepted: send one msgpack array per binary frame", null);
  }

  private void publish(Frame f) {
    if (gateway.stopping) {
      sendError(ErrorCodes.STOPPING, "the server is stopping and takes no new messages", f.uid());
    } else if (!identity.permissions().mayPublish(f.channel())) {
      sendError(ErrorCodes.FORBIDDEN, "your token does not allow publishing to channel " + f.channel(), f.uid());
    } else {
      // looked up once: a channel's first publish is checked against the limits and creates it
      boolean fresh = !gateway.registry.hasChannel(f.channel());
      String refusal = null;
      if (fresh) {
        refusal = RegistryWriter.channelRefusal(gateway.registry, gateway.config, f.channel());
        if (refusal == null) {
          refusal = gateway.registry.quotaRefusal(identity.subject(), identity.quotas(),
              io.wsmsg.registry.QuotaBook.CHANNELS, "channel " + f.channel());
        }
      }
      if (refusal == null && !gateway.endpoints.admit(f)) {
        if (!gateway.siblings.isEmpty()) {
          admitAfterSiblingsEvict(f, fresh);
          return;
        }
        gateway.endpoints.refusedForMemory();
        refusal = memoryFull();
      }
      if (refusal != null) sendError(ErrorCodes.LIMIT, refusal, f.uid());
      else gateway.publish(f, this, fresh);
    }
  }

  private String memoryFull() {
    return "the server's message memory of " + (gateway.endpoints.budget.limit() >> 20)
        + " MiB (limits.maxQueuedMiB) is full: try again later";
  }

  /**
   * The memory is full and this instance's queues had nothing (more) to give up: the other
   * instances evict from theirs, and this frame is admitted or refused once they have. Reading
   * from the node pauses meanwhile, so its frames are still taken in order.
   */
  private void admitAfterSiblingsEvict(Frame f, boolean fresh) {
    evicting = true;
    ws.pause();
    gateway.evictAtSiblings(io.wsmsg.metrics.MemoryBudget.cost(f)).onComplete(ar -> {
      evicting = false;
      if (!readPaused && !ws.isClosed()) ws.resume();
      if (closed || closing) return;
      if (gateway.endpoints.budget.fits(f.size())) {
        gateway.publish(f, this, fresh);
      } else {
        gateway.endpoints.refusedForMemory();
        sendError(ErrorCodes.LIMIT, memoryFull(), f.uid());
      }
    });
  }

  // ---- outbound ----

  /**
   * Ready for another delivery: attached, not paused, window not full, socket draining, and
   * its element order known (or the grace period for learning it over). While in-flight
   * deliveries hold half the node's message memory, only nodes with nothing in flight get one:
   * nodes that do not ack cannot take the whole budget, and every node still gets served.
   */
  @Override
  public boolean ready() {
    if (awaitingOrder()) return false;
    // isClosed first: between the close frame and the close handler, writeQueueFull() throws
    return !closed && !closing && !paused && !gateway.endpoints.frozen && inFlight.size() < window
        && (inFlight.size() == 0 || !gateway.endpoints.budget.inFlightFull()) && !identityFull() && !ws.isClosed()
        && !ws.writeQueueFull();
  }

  /**
   * Other nodes' commands forwarded on system are for admin tokens only. They reach an endpoint
   * through an admin's system subscription, and any node allowed on that endpoint shares its
   * queue, so the check is made per node here as well: a non-admin node gets such a frame only
   * through its own message subscription for the frame's reference (its own command's echo).
   */
  private boolean hidden(Frame f) {
    if (identity.permissions().admin() || !io.wsmsg.registry.Registry.isForwardedCommand(f.channel(), f.subject())) {
      return false;
    }
    byte[] ref = f.reference();
    if (ref != null) {
      for (String ep : gateway.registry.messageSubscriptions().endpointsFor(ref, System.currentTimeMillis())) {
        if (ep.equals(endpointName)) return false;
      }
    }
    gateway.counters.drop(Counters.Drop.FORBIDDEN, 1);
    return true;
  }

  /** True while this node's element order is unknown and the grace for learning it runs. */
  private boolean awaitingOrder() {
    return !orderFixed && System.currentTimeMillis() < orderGraceUntil;
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public InFlightTable inFlight() {
    return inFlight;
  }

  /** Lets the owning endpoint deliver again (or, when served from elsewhere, what the owner sent). */
  void kick() {
    if (endpoint != null) endpoint.dispatch();
    else gateway.ownership.roomFreed(this);
  }

  @Override
  public void deliver(Queued q) {
    Frame f = q.frame();
    if (hidden(f)) return;
    gateway.endpoints.handOut(this, q);
    write(f);
    // when the write queue is full, onDrain (set once at attach) kicks the endpoint again
  }

  /** Writes a delivery in this node's element order, counted as sent. */
  private void write(Frame f) {
    // Frames are immutable and shared (fanout): wrap the bytes instead of copying them per node.
    byte[] bytes = f.bytes(order);
    ws.writeBinaryMessage(BufferInternal.buffer(Unpooled.wrappedBuffer(bytes)));
    gateway.counters.messagesOut.increment();
    gateway.counters.bytesOut.add(bytes.length);
  }

  // ---- served through the endpoint's owner elsewhere (AttachedNode) ----

  @Override
  public String endpointName() {
    return endpointName;
  }

  @Override
  public int window() {
    return window;
  }

  @Override
  public boolean paused() {
    return paused;
  }

  @Override
  public boolean ephemeral() {
    return ephemeral;
  }

  @Override
  public boolean closed() {
    return closed;
  }

  @Override
  public boolean servedHere() {
    return endpoint != null;
  }

  @Override
  public void serveElsewhere() {
    endpoint = null;
    inFlight.clear();
  }

  @Override
  public boolean takesDeliveries() {
    return !closed && !closing && !ws.isClosed();
  }

  @Override
  public boolean hides(Frame f) {
    return hidden(f);
  }

  @Override
  public boolean mayWrite() {
    return !closed && !closing && !paused && !awaitingOrder() && inFlight.size() < window
        && (countedByOwner || !identityFull()) && !ws.isClosed() && !ws.writeQueueFull();
  }

  @Override
  public void writeFromOwner(Frame f) {
    long now = System.currentTimeMillis();
    inFlight.add(Uid.of(f.uid()), new InFlightTable.Entry(new Queued(f, 0, now), now + gateway.config.ackTimeoutMillis,
        System.nanoTime()));
    write(f);
  }

  @Override
  public boolean socketCongested() {
    return !ws.isClosed() && ws.writeQueueFull();
  }

  /**
   * The socket's write queue drained (the one drain handler of this socket, set at attach):
   * read again if reading was paused, tell the owner elsewhere if it was told of congestion, deliver.
   */
  void onDrain() {
    if (closed) return;
    if (readPaused) {
      readPaused = false;
      if (!evicting) ws.resume();
    }
    if (endpoint == null) gateway.ownership.drained(this);
    kick();
  }

  void ack(byte[] reference) {
    if (endpoint == null) {
      // served from elsewhere: free the node's slot here, tell the owner, send what is held
      if (inFlight.ack(Uid.of(reference)) != null) gateway.ownership.acked(this, reference);
      return;
    }
    gateway.endpoints.acked(this, endpoint, reference);
  }

  /** Drops deliveries whose ack is overdue; returns how many. */
  void expireAcks(long now) {
    if (endpoint != null) {
      gateway.endpoints.expireAcks(this, endpoint, now);
    } else if (inFlight.expire(now, e -> Uid.of(e.queued.frame().uid())) > 0) {
      gateway.ownership.roomFreed(this); // the owner counts its own timeouts
    }
  }

  /**
   * Sends a server notice outside the ack window (errors, stopping): it needs no ack. Notices
   * answer the node's own input, so a node that sends without reading would grow the write
   * queue without bound: once it is full, reading from the node pauses until it drains
   * ({@link #onDrain}). Frames already read wait in Vert.x's small inbound buffer meanwhile.
   */
  void sendNotice(String subject, List<Object> args, byte[] reference) {
    if (closed || ws.isClosed()) return;
    Frame f = FrameCodec.encode(Ulids.next(), Registry.SYSTEM, subject, reference, MsgPack.pack(args), order);
    ws.writeBinaryMessage(Buffer.buffer(f.rawBytes()));
    gateway.counters.bytesOut.add(f.rawBytes().length);
    if (!readPaused && !ws.isClosed() && ws.writeQueueFull()) {
      readPaused = true;
      ws.pause();
    }
  }

  void sendError(String code, String text, byte[] reference) {
    if (closed || closing) return;
    gateway.counters.errorsSent.increment();
    sendNotice("error", List.of(code, text), reference);
    // A node that keeps sending what we refuse is closed: errorBurst refusals within the
    // window. Every refusal counts, "limit" and "stopping" too: each costs a notice, and a
    // node that goes on after being told is flooding whatever the reason.
    long now = System.currentTimeMillis();
    if (errorTimes == null) errorTimes = new long[gateway.config.errorBurst];
    long oldest = errorTimes[errorIndex];
    errorTimes[errorIndex] = now;
    errorIndex = (errorIndex + 1) % errorTimes.length;
    if (oldest != 0 && now - oldest < gateway.config.errorWindowMillis) {
      gateway.floodLog.log("closing node " + nodeId + " on endpoint " + endpointName + " from "
          + ws.remoteAddress() + ": " + errorTimes.length + " refused messages within "
          + gateway.config.errorWindowMillis + " ms (limits.errorBurst, limits.errorWindowSeconds)");
      gateway.counters.refused(Counters.Refusal.ERROR_FLOOD);
      close((short) 1008, "too many refused messages");
    }
  }

  void pauseDeliveries() {
    paused = true;
    if (endpoint == null) gateway.ownership.pausedChanged(this);
  }

  void resumeDeliveries() {
    paused = false;
    if (endpoint == null) gateway.ownership.pausedChanged(this);
    kick();
  }

  @Override
  public void close(short code, String reason) {
    if (closed || closing) return;
    closing = true;
    ws.close(code, reason);
  }

  /** Called once when the socket is gone: frees the endpoint and settles unacked deliveries. */
  void onClosed() {
    if (closed) return;
    closed = true;
    if (expiryTimer >= 0) gateway.getVertx().cancelTimer(expiryTimer);
    if (endpoint != null) {
      endpoint.release(this, gateway.registry.endpointSize(endpointName));
    } else {
      gateway.ownership.detach(this); // gives back what was never written
      inFlight.clear(); // the written, unacked rest is settled by the owner (dropped and counted, or requeued)
    }
    gateway.endpoints.unload(load);
  }

  Map<String, Object> describe() {
    return Map.of("node", nodeId, "endpoint", endpointName, "subject", identity.subject(), "window", window,
        "inFlight", inFlight.size(), "paused", paused, "order", order.wireName());
  }
}
