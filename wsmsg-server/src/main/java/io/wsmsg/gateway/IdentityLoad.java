package io.wsmsg.gateway;

/**
 * What one identity's (token {@code sub}) nodes on this gateway hold delivered and not yet
 * acknowledged. Nodes that never ack could otherwise fill the in-flight part of the memory
 * budget together, one frame each, and starve everyone; an identity over its share
 * (limits.maxInFlightMiBPerIdentity) gets nothing more until its nodes ack or time out.
 * Event-loop confined, like the sessions that share it.
 */
final class IdentityLoad {
  final String subject;
  /** Bytes of frames delivered to this identity's nodes and not settled. */
  long inFlightBytes;
  /** Open sessions of this identity (the entry goes when the last one closes). */
  int sessions;

  IdentityLoad(String subject) {
    this.subject = subject;
  }
}
