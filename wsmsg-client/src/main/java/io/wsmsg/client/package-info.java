/**
 * The wsmsg client library: usable from any Java 17 program, in the same artifact as the
 * server.
 *
 * <ul>
 *   <li>{@link io.wsmsg.client.WsmsgClient}: asynchronous (Vert.x futures): publish,
 *       subscribe, request/reply, pause/resume, every command of the system channel,
 *       listeners, reconnection. Its class comment states the delivery, confirmation and
 *       reconnection semantics.
 *   <li>{@link io.wsmsg.client.BlockingClient}: the same for code that is not reactive.
 *   <li>{@link io.wsmsg.client.ClientOptions}: URLs, endpoint, token or token supplier,
 *       window, wire order, timeouts, backoff.
 *   <li>{@link io.wsmsg.client.Message}: a received message, data decoded lazily.
 * </ul>
 *
 * <pre>{@code
 * try (BlockingClient c = BlockingClient.connect(new ClientOptions().url("ws://localhost:8765/").token(jwt))) {
 *   c.subscribe("orders", "order.*", m -> System.out.println(m));
 *   c.publish("orders", "order.new", Map.of("id", 42));
 * }
 * }</pre>
 */
package io.wsmsg.client;
