package io.wsmsg.client;

/**
 * Where a {@link WsmsgClient}'s connection stands; see {@link WsmsgClient#onStateChange}.
 *
 * <ul>
 *   <li>{@code CONNECTING}: the first connection is being made;
 *   <li>{@code CONNECTED}: attached, and every local subscription has been (re)sent and confirmed;
 *   <li>{@code RECONNECTING}: the connection was lost; the client is waiting (backoff) or
 *       reconnecting and restoring subscriptions;
 *   <li>{@code CLOSED}: {@link WsmsgClient#close()} was called, or the connection was lost with
 *       reconnection disabled. Final.
 * </ul>
 */
public enum ConnectionState {
  CONNECTING,
  CONNECTED,
  RECONNECTING,
  CLOSED
}
