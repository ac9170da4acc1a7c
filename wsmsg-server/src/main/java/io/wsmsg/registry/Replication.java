package io.wsmsg.registry;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * What the {@link RegistryVerticle} needs from the other cluster members: changes made here go
 * to them, and theirs are applied here through the same {@link RegistryWriter}. A standalone
 * server has nobody to tell: {@link #NONE}.
 */
public interface Replication {
  /**
   * Starts taking changes from the other members, on the calling (the verticle's) context, so
   * they are applied by the registry's single writer; completes once this member holds what
   * the others hold (or gave up waiting for it).
   */
  Future<Void> start(Vertx vertx, RegistryWriter writer);

  /**
   * Changes applied here ({@link RegistryWriter.MadeHere#toReplicate}) for every other member;
   * completes, never failed, once all have applied them or failed to answer in time.
   */
  Future<Void> send(List<RegistryCommand> changes);

  /** The member named in the versions of changes made here (empty standalone). */
  String self();

  /** True when this member is the one that reclaims {@code channel} once unused (one member per channel). */
  boolean reclaims(String channel);

  /** A standalone server: sends nothing, hears nothing, reclaims every channel. */
  Replication NONE = new Replication() {
    @Override
    public Future<Void> start(Vertx vertx, RegistryWriter writer) {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> send(List<RegistryCommand> changes) {
      return Future.succeededFuture();
    }

    @Override
    public String self() {
      return "";
    }

    @Override
    public boolean reclaims(String channel) {
      return true;
    }
  };
}
