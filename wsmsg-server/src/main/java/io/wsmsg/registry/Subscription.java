package io.wsmsg.registry;

import io.wsmsg.glob.Glob;

/**
 * An endpoint's interest in messages whose channel and subject match two globs.
 *
 * @param admin made by an admin token: on channel system it also gets other nodes' forwarded
 *     commands; without it only server events
 */
public record Subscription(String endpoint, Glob channel, Glob subject, boolean admin) {
  public Subscription(String endpoint, Glob channel, Glob subject) {
    this(endpoint, channel, subject, false);
  }

  public boolean matches(String ch, String subj) {
    return channel.matches(ch) && subject.matches(subj);
  }
}
