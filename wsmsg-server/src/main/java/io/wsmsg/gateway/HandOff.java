package io.wsmsg.gateway;

import java.util.List;
import java.util.Map;

/**
 * What a graceful leave left behind: the queues no other member took, and whether every
 * endpoint found a new owner. When it did not (no other member, or they are stopping too),
 * the member writes a snapshot as a standalone server would, registry included.
 */
public record HandOff(Map<String, List<Queued>> left, boolean complete) {}
