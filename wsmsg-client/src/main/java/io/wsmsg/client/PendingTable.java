package io.wsmsg.client;

import io.wsmsg.protocol.Uid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What awaits an answer from the server, by uid; the uids of helper messages sent on an
 * entry's behalf ({@code subscribe.message}), so that an error referencing one finds its
 * entry; and the entries answered recently, so that a late answer is dropped quietly instead
 * of being handed to a subscription. Touched on the client's context only.
 */
final class PendingTable<T> {
  private final Map<Uid, T> pending = new HashMap<>();
  private final Map<Uid, Uid> aliases = new HashMap<>();
  /** Finished entries -> when to forget them; bounded, so a request-heavy load does not grow it without limit. */
  private final LinkedHashMap<Uid, Long> finished;

  PendingTable(int finishedLimit) {
    this.finished = new LinkedHashMap<>(256, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Uid, Long> eldest) {
        return size() > finishedLimit;
      }
    };
  }

  void put(Uid key, T entry) {
    pending.put(key, entry);
  }

  T get(Uid key) {
    return pending.get(key);
  }

  T remove(Uid key) {
    return pending.remove(key);
  }

  /** The pending entries, copied: failing one may remove it. */
  List<T> entries() {
    return new ArrayList<>(pending.values());
  }

  /** Forgets every pending entry (they were failed), not the finished ones. */
  void clear() {
    pending.clear();
  }

  void alias(Uid alias, Uid key) {
    aliases.put(alias, key);
  }

  void unalias(Uid alias) {
    aliases.remove(alias);
  }

  /** The entry key {@code uid} stands for: itself, or the key it is an alias of. */
  Uid resolve(Uid uid) {
    return aliases.getOrDefault(uid, uid);
  }

  /** The entry got its answer (or gave up): no longer pending; answers until {@code forgetAtMs} are late ones. */
  void finish(Uid key, long forgetAtMs) {
    pending.remove(key);
    finished.put(key, forgetAtMs);
  }

  boolean isFinished(Uid key) {
    return finished.containsKey(key);
  }

  /** Forgets the finished entries whose time passed. */
  void forgetFinished(long nowMs) {
    finished.values().removeIf(t -> t < nowMs);
  }
}
