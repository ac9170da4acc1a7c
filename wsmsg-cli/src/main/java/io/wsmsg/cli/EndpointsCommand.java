package io.wsmsg.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code wsmsg endpoints}: every endpoint with its queue, nodes, deliveries in flight and drops. */
@Command(name = "endpoints", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"List endpoints, most queued first: queued, in flight, nodes, drops, owner.",
        "Per endpoint: messages queued, deliveries in flight (delivered, not acknowledged), nodes attached,"
            + " messages dropped, subscriptions, size bound, and in a cluster the member owning the queue.",
        "Asks the management port (GET /v1/endpoints) with an admin token. In a cluster, the member asked"
            + " gathers every member's figures; a member that does not answer shows ? for the queues it owns."},
    exitCodeListHeading = Exit.HEADING,
    exitCodeList = {Exit.M0, Exit.M1, Exit.C2, Exit.M3, Exit.M4})
public final class EndpointsCommand extends ListingCommand {
  @Override
  String path() {
    return "/v1/endpoints";
  }

  @Override
  void table(JsonObject doc, PrintWriter out) {
    boolean clustered = "clustered".equals(doc.getString("mode"));
    Table t = clustered
        ? new Table("ENDPOINT", ">QUEUED", ">IN-FLIGHT", ">NODES", ">REMOTE", ">DROPPED", ">SUBS", ">SIZE", "OWNER")
        : new Table("ENDPOINT", ">QUEUED", ">IN-FLIGHT", ">NODES", ">DROPPED", ">SUBS", ">SIZE");
    JsonArray rows = doc.getJsonArray("endpoints", new JsonArray());
    for (Object o : rows) {
      JsonObject e = (JsonObject) o;
      if (clustered) {
        t.row(e.getString("name"), number(e, "queued"), number(e, "inFlight"), number(e, "nodes"),
            number(e, "remoteNodes"), number(e, "dropped"), number(e, "subscriptions"), number(e, "size"),
            e.getString("owner", "-"));
      } else {
        t.row(e.getString("name"), number(e, "queued"), number(e, "inFlight"), number(e, "nodes"),
            number(e, "dropped"), number(e, "subscriptions"), number(e, "size"));
      }
    }
    if (!rows.isEmpty()) t.print(out);
    footer(doc, rows.size(), "endpoints", out);
  }
}
