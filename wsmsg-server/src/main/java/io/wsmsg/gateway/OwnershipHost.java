package io.wsmsg.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.metrics.Counters;
import io.wsmsg.metrics.MemoryBudget;
import io.wsmsg.protocol.Frame;
import io.wsmsg.registry.Registry;
import java.util.Collection;
import java.util.List;

/**
 * What an {@link Ownership} may ask of the gateway it serves: its endpoint queues, the nodes
 * attached to it, and the nodes of other gateways it serves. Gateway event loop only.
 */
public interface OwnershipHost {
  Vertx vertx();

  ServerConfig serverConfig();

  Counters counters();

  Registry registry();

  /** The node's message memory, which messages held for a node served through its owner count against. */
  MemoryBudget budget();

  /** True once the gateway said {@code stopping}. */
  boolean stopping();

  /** The stop command whose uid this gateway's {@code stopping} notices reference. */
  void stopCause(byte[] cause);

  /** This member's view of endpoints and channels (see {@link GatewayVerticle#memberView()}). */
  Future<JsonObject> memberView();

  // ---- owned endpoints ----

  /** Names of the endpoints this gateway holds the queue of (a copy). */
  List<String> ownedEndpointNames();

  /** Puts a message into an owned endpoint's queue (created on first use) and delivers what it can. */
  void enqueue(String endpoint, Frame frame, int priority);

  /**
   * Puts messages from an earlier owner at the head of an owned endpoint's queue (created on
   * first use): they are older than anything queued here since.
   */
  void putFirst(String endpoint, List<Queued> queued);

  /**
   * Gives up an owned endpoint: it is forgotten here and its queued messages are returned
   * (unacknowledged ones first when it requeues); null when this gateway does not hold it.
   */
  List<Queued> surrender(String endpoint);

  /** Whether the endpoint puts unacked deliveries back when their node goes (endpoints.requeueUnacked). */
  boolean requeues(String endpoint);

  /** Lets an owned endpoint deliver to its nodes (created on first use). */
  void dispatch(String endpoint);

  /**
   * Serves a node of another member's gateway from an owned endpoint (created on first use);
   * {@code link} carries its deliveries there. Not dispatched yet.
   */
  RemoteNode serveRemote(String endpoint, String nodeId, String member, int window, RemoteNode.Link link);

  // ---- nodes attached here ----

  /** The open node attached here with that id, or null. */
  AttachedNode node(String nodeId);

  /** The open nodes attached here to an endpoint, whoever owns it. */
  List<AttachedNode> nodesOn(String endpoint);

  /** Every node attached here (a copy). */
  Collection<AttachedNode> nodes();

  /**
   * Serves a node attached here from the endpoint's queue here (created on first use), not
   * dispatched yet; what an owner elsewhere had in flight to it is that owner's business.
   */
  void serveHere(AttachedNode node);
}
