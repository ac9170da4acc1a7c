package io.wsmsg.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code endpoints} and {@code channels}: a filtered, limited list, most queued first. */
abstract class ListingCommand extends ManagementCommand {
  @Option(names = "--filter", paramLabel = "GLOB", description = "only names matching the glob, e.g. 'orders.*'")
  String filter;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
      description = "show the first N rows only, most queued first (default: 0, all)")
  int limit;

  @Option(names = "--this-member", description = "in a cluster, only what this member knows (no other member is asked)")
  boolean thisMember;

  @Override
  Map<String, String> query() {
    if (limit < 0) throw new CliFailure(Exit.USAGE, "--limit must be 0 (all) or a positive number");
    Map<String, String> q = super.query();
    q.put("filter", filter);
    if (limit > 0) q.put("limit", Integer.toString(limit));
    if (thisMember) q.put("scope", "member");
    return q;
  }

  /** "(10 of 42 endpoints shown; --limit 0 shows all)" when the list was cut. */
  static void footer(JsonObject doc, int shown, String what, PrintWriter out) {
    long total = doc.getLong("total", (long) shown);
    if (total > shown) out.println("(" + shown + " of " + total + " " + what + " shown; --limit 0 shows all)");
    else if (total == 0) out.println("(no " + what + ")");
  }

  static String number(JsonObject row, String key) {
    Object v = row.getValue(key);
    return v == null ? "?" : String.valueOf(v);
  }
}
