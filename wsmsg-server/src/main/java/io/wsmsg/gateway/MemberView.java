package io.wsmsg.gateway;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What this member's gateway knows about endpoints, for the management routes ({@code
 * /v1/endpoints}) and for other members gathering a cluster-wide view (peer message VIEW).
 * Built on the gateway's event loop, where its state lives; an admin request, never the hot
 * path, so JSON is fine here.
 *
 * <p>Each entry is either an endpoint whose queue lives here ({@code "owned": true}: queue depth
 * and bytes, nodes attached on this member and on others, deliveries in flight, drops) or an
 * endpoint that nodes on this member are attached to while another member owns its queue
 * ({@code "owned": false}: only {@code servedBy} and {@code localNodes}).
 */
final class MemberView {
  private MemberView() {}

  /** Gateway loop only. */
  static JsonArray endpoints(GatewayVerticle gw) {
    JsonArray out = new JsonArray();
    for (Endpoint ep : gw.endpoints.all()) {
      int local = 0;
      int remote = 0;
      int inFlight = 0;
      for (Consumer c : ep.nodes) {
        // a node of a sibling instance (gateway.instances) is this member's own
        if (c instanceof RemoteNode r && !gw.ownership.sameMember(r.member)) remote++;
        else local++;
        inFlight += c.inFlight().size();
      }
      out.add(new JsonObject().put("name", ep.name).put("owned", true).put("queued", ep.queue.size())
          .put("bytes", ep.queue.bytes()).put("localNodes", local).put("remoteNodes", remote)
          .put("inFlight", inFlight).put("dropped", ep.dropped()));
    }
    Map<String, JsonObject> elsewhere = new LinkedHashMap<>();
    for (Session s : gw.sessions()) {
      if (s.closed || s.endpoint != null) continue; // an owned endpoint's sessions were counted above
      JsonObject e = elsewhere.computeIfAbsent(s.endpointName, n -> new JsonObject().put("name", n).put("owned", false)
          .put("localNodes", 0));
      e.put("localNodes", e.getInteger("localNodes") + 1);
      String servedBy = gw.ownership.servingMember(s);
      if (servedBy != null) e.put("servedBy", servedBy);
    }
    elsewhere.values().forEach(out::add);
    return out;
  }
}
