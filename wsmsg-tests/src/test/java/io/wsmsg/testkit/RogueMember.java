package io.wsmsg.testkit;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.wsmsg.cluster.ClusterSetup;
import io.wsmsg.cluster.PeerWire;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.cluster.RegistryCodec;
import io.wsmsg.registry.RegistryCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A hostile JVM for tests: joins the wsmsg cluster's Hazelcast with the right cluster name
 * (Hazelcast OSS lets it) but without the cluster certificate (or with the one given by
 * {@code --cert/--key/--ca}), then tries what issue 11 lists against every member it sees:
 * stop them, claim an endpoint with a huge epoch, attach to read its queue, inject frames by a
 * handoff, size a channel to 0, and copy the registry. It forges {@code wsmsg-from} as a real
 * member, so only the event bus's TLS stands in its way. One line per attempt and member:
 * {@code ROGUE <attempt> <member> accepted|refused <detail>}, then {@code ROGUE done}.
 *
 * <pre>
 * RogueMember --name N --members h:p,h:p --port P [--endpoint E] [--channel C] [--expect K]
 *             [--cert F --key F --ca F] [--stay SECONDS]
 * </pre>
 */
public final class RogueMember {
  private RogueMember() {}

  public static void main(String[] args) throws Exception {
    String name = null;
    String members = null;
    int port = 0;
    String endpoint = "jobs";
    String channel = "work";
    int expect = 1;
    int stay = 0;
    String cert = null;
    String key = null;
    String ca = null;
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--name" -> name = v;
        case "--members" -> members = v;
        case "--port" -> port = Integer.parseInt(v);
        case "--endpoint" -> endpoint = v;
        case "--channel" -> channel = v;
        case "--expect" -> expect = Integer.parseInt(v);
        case "--stay" -> stay = Integer.parseInt(v);
        case "--cert" -> cert = v;
        case "--key" -> key = v;
        case "--ca" -> ca = v;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    JsonArray list = new JsonArray();
    for (String m : members.split(",")) list.add(m.trim());
    JsonObject cluster = new JsonObject().put("enabled", true).put("name", name).put("host", "127.0.0.1")
        .put("port", port).put("members", list);
    if (cert != null) cluster.put("tls", new JsonObject().put("cert", cert).put("key", key).put("ca", ca));
    ServerConfig cfg = ServerConfig.of(new JsonObject().put("cluster", cluster));
    Vertx vertx = ClusterSetup.start(cfg).toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
    HazelcastClusterManager mgr = (HazelcastClusterManager) ((VertxInternal) vertx).clusterManager();
    String self = mgr.getNodeId();
    HazelcastInstance hz = mgr.getHazelcastInstance();
    System.out.println("ROGUE joined " + self);

    // it answers proofs as a member would: the members' proof attempts then reach its event
    // bus, and fail at the TLS handshake (they would succeed without cluster TLS)
    vertx.eventBus().<String>consumer("wsmsg.member." + self, m -> m.reply(self));
    // a gateway address of its own, where an accepted ATTACH would send the queue's messages
    vertx.eventBus().<Buffer>consumer(PeerWire.gatewayAddress(self), m -> {
      if (m.body().length() > 0 && m.body().getByte(0) == PeerWire.TO_NODE) System.out.println("ROGUE read a queued message");
    });

    List<String> targets = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 60_000;
    while (targets.size() < expect && System.currentTimeMillis() < deadline) {
      targets.clear();
      for (Member m : hz.getCluster().getMembers()) {
        String id = m.getAttribute("__vertx.nodeId");
        if (id != null && !id.equals(self)) targets.add(id);
      }
      Thread.sleep(200);
    }
    System.out.println("ROGUE members " + targets);
    String forged = targets.isEmpty() ? self : targets.get(0);
    long huge = Long.MAX_VALUE / 2;

    // stop: the broadcast the issue names, then once to each member directly (to see the answer)
    Buffer stop = new PeerWire.Writer(PeerWire.STOP_ALL, 1).buffer();
    vertx.eventBus().publish("wsmsg.peers.all", stop, new DeliveryOptions().addHeader("wsmsg-from", forged));
    List<Future<?>> all = new ArrayList<>();
    for (String m : targets) {
      all.add(attempt(vertx, "stop", m, PeerWire.gatewayAddress(m), stop, forged));
      PeerWire.Writer claims = new PeerWire.Writer(PeerWire.CLAIMS, 64);
      claims.i32(1).str(endpoint).str(self).i64(huge);
      all.add(attempt(vertx, "claim", m, PeerWire.gatewayAddress(m), claims.buffer(), forged));
      PeerWire.Writer attach = new PeerWire.Writer(PeerWire.ATTACH, 64);
      attach.str(endpoint).str("rogue-node").str(self).i32(1000).bool(false).bool(false);
      all.add(attempt(vertx, "attach", m, PeerWire.gatewayAddress(m), attach.buffer(), forged));
      byte[] raw = FrameCodec.encode(Ulids.next(), channel, "injected", null,
          new byte[] {(byte) 0xa5, 'p', 'w', 'n', 'e', 'd'}, WireOrder.SEED).rawBytes();
      PeerWire.Writer handoff = new PeerWire.Writer(PeerWire.HANDOFF, raw.length + 64);
      handoff.str(endpoint).str(self).i64(huge).str("rogue-handoff").bool(true).i32(1)
          .i32(0).i64(System.currentTimeMillis()).bytes(raw);
      all.add(attempt(vertx, "handoff", m, PeerWire.gatewayAddress(m), handoff.buffer(), forged));
      byte[] size0 = RegistryCodec.encode(List.of(new RegistryCommand.SizeChannel(channel, 0, new byte[0])));
      Buffer replicate = Buffer.buffer().appendByte(PeerWire.REPLICATE).appendBytes(size0);
      all.add(attempt(vertx, "channel-size-0", m, PeerWire.registryAddress(m), replicate, forged));
      all.add(attempt(vertx, "dump", m, PeerWire.registryAddress(m), new PeerWire.Writer(PeerWire.DUMP, 1).buffer(),
          forged));
    }
    Future.join(new ArrayList<>(all)).toCompletionStage().toCompletableFuture().exceptionally(e -> null)
        .get(60, TimeUnit.SECONDS);
    System.out.println("ROGUE done");
    System.out.flush();
    if (stay > 0) Thread.sleep(stay * 1000L);
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    System.exit(0);
  }

  /**
   * One hostile request: a reply means the member applied it (accepted); a failure that
   * is not the member answering means it never got through (refused). STOP_ALL has no
   * answer: there, a timeout after delivery would look the same as a refusal, so the line says
   * which failure it was and tests judge by what the members still do.
   */
  private static Future<Void> attempt(Vertx vertx, String what, String member, String address, Buffer msg,
      String forged) {
    DeliveryOptions o = new DeliveryOptions().setSendTimeout(4000).addHeader("wsmsg-from", forged);
    return vertx.eventBus().<Object>request(address, msg, o).map(Message::body).transform(ar -> {
      if (ar.succeeded()) {
        System.out.println("ROGUE " + what + " " + member + " accepted (answered)");
      } else if (ar.cause() instanceof ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE) {
        System.out.println("ROGUE " + what + " " + member + " accepted (the member handled it and failed: "
            + re.getMessage() + ")");
      } else {
        System.out.println("ROGUE " + what + " " + member + " refused (" + ar.cause() + ")");
      }
      return Future.succeededFuture();
    });
  }
}
