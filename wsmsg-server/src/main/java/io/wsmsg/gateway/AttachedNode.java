package io.wsmsg.gateway;

import io.wsmsg.protocol.Frame;

/**
 * A node connected to this gateway, as an {@link Ownership} sees it when the node's endpoint
 * is owned elsewhere: the owner sends it deliveries through this gateway, which writes them
 * within the node's window. Gateway event loop only.
 */
public interface AttachedNode {
  String nodeId();

  String endpointName();

  /** The window the node asked for. */
  int window();

  boolean paused();

  /** The node asked for an ephemeral endpoint. */
  boolean ephemeral();

  /** True once the socket is gone. */
  boolean closed();

  /** True while this gateway owns the node's endpoint and serves it from there. */
  boolean servedHere();

  /**
   * The endpoint's owner is elsewhere from now on (again): the node is no longer served here,
   * and what an earlier owner had in flight to it is that owner's business.
   */
  void serveElsewhere();

  /** Still open and not being closed: a delivery from the owner may be taken. */
  boolean takesDeliveries();

  /** The node may not see this frame (another node's command, for admin tokens only): counted dropped. */
  boolean hides(Frame f);

  /** Its window, pause state, element order and socket allow one more write now. */
  boolean mayWrite();

  /** Writes a delivery from the owner, waiting for the node's ack from now on. */
  void writeFromOwner(Frame f);

  /** The socket's write queue is full (it is told when it drains). */
  boolean socketCongested();

  void close(short code, String reason);
}
