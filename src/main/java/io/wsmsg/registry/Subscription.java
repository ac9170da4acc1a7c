package io.wsmsg.registry;

import io.wsmsg.glob.Glob;

/** An endpoint's interest in messages whose channel and subject match two globs. */
public record Subscription(String endpoint, Glob channel, Glob subject) {
  public boolean matches(String ch, String subj) {
    return channel.matches(ch) && subject.matches(subj);
  }
}
