package io.wsmsg.registry;

/** A channel's queue bound and priority (0..99; the system channel is 100). */
public record ChannelSettings(int size, int priority) {
  public static final int SYSTEM_PRIORITY = 100;
}
