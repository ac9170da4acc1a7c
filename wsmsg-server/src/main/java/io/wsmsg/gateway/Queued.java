package io.wsmsg.gateway;

import io.wsmsg.protocol.Frame;

/** A message waiting in an endpoint queue, with the priority and time it was queued at. */
public record Queued(Frame frame, int priority, long enqueuedAt) {}
