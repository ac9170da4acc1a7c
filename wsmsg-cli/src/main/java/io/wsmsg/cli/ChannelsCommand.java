package io.wsmsg.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code wsmsg channels}: every channel with its queue, priority, bound, subscriptions and router. */
@Command(name = "channels", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"List channels, most queued first: queued, priority, size, subscriptions, router.",
        "Per channel: messages waiting in the channel queue, priority, size bound, subscriptions matching the"
            + " channel (and the endpoints holding them), and whether a router is deployed or the channel is idle.",
        "Asks the management port (GET /v1/channels) with an admin token. In a cluster a channel is routed on"
            + " the member where a message is published: QUEUED is the sum over the members."},
    exitCodeListHeading = Exit.HEADING,
    exitCodeList = {Exit.M0, Exit.M1, Exit.C2, Exit.M3, Exit.M4})
public final class ChannelsCommand extends ListingCommand {
  @Override
  String path() {
    return "/v1/channels";
  }

  @Override
  void table(JsonObject doc, PrintWriter out) {
    Table t = new Table("CHANNEL", ">QUEUED", ">PRIORITY", ">SIZE", ">SUBS", ">ENDPOINTS", "ROUTER");
    JsonArray rows = doc.getJsonArray("channels", new JsonArray());
    for (Object o : rows) {
      JsonObject c = (JsonObject) o;
      t.row(c.getString("name"), number(c, "queued"), number(c, "priority"), number(c, "size"),
          number(c, "subscriptions"), number(c, "endpoints"), c.getString("router"));
    }
    if (!rows.isEmpty()) t.print(out);
    footer(doc, rows.size(), "channels", out);
  }
}
