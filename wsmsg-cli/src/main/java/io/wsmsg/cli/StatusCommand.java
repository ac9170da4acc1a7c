package io.wsmsg.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;

/** {@code wsmsg status}: the node in a few lines. */
@Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Show the server in a few lines: queues, connections, traffic, drops, memory.",
        "Uptime, cluster members, connections, endpoints and channels with their queued messages,"
            + " subscriptions, traffic, drops by reason and message memory.",
        "Asks the management port (GET /v1/status) with an admin token; the figures are the member's own."},
    exitCodeListHeading = Exit.HEADING,
    exitCodeList = {Exit.M0, Exit.M1, Exit.C2, Exit.M3, Exit.M4})
public final class StatusCommand extends ManagementCommand {
  @Override
  String path() {
    return "/v1/status";
  }

  @Override
  void table(JsonObject d, PrintWriter out) {
    JsonObject node = d.getJsonObject("node", new JsonObject());
    JsonObject cluster = d.getJsonObject("cluster", new JsonObject());
    JsonObject msgs = d.getJsonObject("messages", new JsonObject());
    JsonObject mem = d.getJsonObject("memory", new JsonObject());
    Table t = new Table("", "").withoutHeader();
    t.row("node", node.getString("id") + (node.getBoolean("stopping", false) ? " (stopping)" : "") + ", up "
        + duration(node.getLong("uptimeSeconds", 0L)) + ", WebSocket port " + node.getValue("websocketPort")
        + ", auth " + node.getString("authMode"));
    if ("clustered".equals(cluster.getString("mode"))) {
      t.row("cluster", "member " + cluster.getString("member") + " of " + cluster.getJsonArray("members").size() + ": "
          + String.join(", ", cluster.getJsonArray("members").stream().map(String::valueOf).toList()));
    } else {
      t.row("cluster", "standalone");
    }
    t.row("connections", d.getValue("connections"));
    boolean clustered = "clustered".equals(cluster.getString("mode"));
    t.row("endpoints", d.getValue("endpoints") + ", " + d.getValue("endpointQueueDepth") + " queued, "
        + d.getValue("inFlight") + " in flight" + (clustered ? " (the " + d.getValue("ownedEndpoints")
        + " whose queue is on this member)" : ""));
    t.row("channels", d.getValue("channels") + ", " + d.getValue("channelQueueDepth") + " queued, "
        + d.getValue("routers") + " with a router deployed");
    t.row("subscriptions", d.getValue("subscriptions") + ", message subscriptions " + d.getValue("messageSubscriptions"));
    JsonObject dropped = msgs.getJsonObject("dropped", new JsonObject());
    long total = 0;
    StringBuilder why = new StringBuilder();
    for (String k : dropped.fieldNames()) {
      long n = dropped.getLong(k, 0L);
      if (n == 0) continue;
      total += n;
      why.append(why.length() == 0 ? " (" : ", ").append(k).append(' ').append(n);
    }
    if (why.length() > 0) why.append(')');
    t.row("messages", "in " + msgs.getValue("in") + ", out " + msgs.getValue("out") + ", dropped " + total + why);
    t.row("memory", mib(mem.getLong("usedBytes", 0L)) + " of " + mib(mem.getLong("limitBytes", 0L)) + " used (peak "
        + mib(mem.getLong("peakBytes", 0L)) + ", in flight " + mib(mem.getLong("inFlightBytes", 0L)) + ")");
    t.print(out);
  }

  static String duration(long s) {
    if (s < 60) return s + " s";
    if (s < 3600) return s / 60 + " min " + s % 60 + " s";
    if (s < 86400) return s / 3600 + " h " + s % 3600 / 60 + " min";
    return s / 86400 + " d " + s % 86400 / 3600 + " h";
  }

  static String mib(long bytes) {
    if (bytes < 1048576) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }
}
