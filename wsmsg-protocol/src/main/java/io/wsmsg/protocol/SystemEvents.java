package io.wsmsg.protocol;

import java.util.Set;

/**
 * The subjects only the server publishes on channel {@code system} (SPEC section 6). Every other
 * subject there is a node's command: a client publishing an event subject is refused, and a
 * forwarded command goes only to system subscriptions made by an admin token, while events go
 * to every system subscriber (docs/protocol.md, "Who sees what on system").
 */
public final class SystemEvents {
  public static final Set<String> ALL = Set.of("node.joined", "node.left", "endpoint.created", "endpoint.sized",
      "channel.created", "channel.sized", "channel.prioritized", "stopping", "error", "endpoint.removed",
      "channel.removed");

  private SystemEvents() {}

  public static boolean isEvent(String subject) {
    return ALL.contains(subject);
  }
}
