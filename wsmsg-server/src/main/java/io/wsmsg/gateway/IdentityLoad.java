package io.wsmsg.gateway;

/**
 * What one identity's (token {@code sub}) nodes on this gateway hold delivered and not yet
 * acknowledged. Nodes that never ack could otherwise fill the in-flight part of the memory
 * budget together, one frame each, and starve everyone; an identity over its share
 * (limits.maxInFlightMiBPerIdentity) gets nothing more until its nodes ack or time out.
 * Shared by the gateway instances of a node (gateway.instances), so an identity's share is the
 * node's whatever instances its nodes land on: the bytes are an atomic counter, the session
 * count changes only inside the shared map's compute.
 */
final class IdentityLoad {
  final String subject;
  /** Bytes of frames delivered to this identity's nodes and not settled. */
  final java.util.concurrent.atomic.AtomicLong inFlightBytes = new java.util.concurrent.atomic.AtomicLong();
  /** Open sessions of this identity (the entry goes when the last one closes). */
  int sessions;

  IdentityLoad(String subject) {
    this.subject = subject;
  }
}
