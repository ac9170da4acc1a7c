package io.wsmsg.router;

import static io.wsmsg.registry.ChannelSettings.SYSTEM_PRIORITY;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.glob.Glob;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.registry.Registry;
import io.wsmsg.registry.RegistryCommand;
import io.wsmsg.registry.RegistryWriter;
import io.wsmsg.server.LocalCodec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SPEC 4 channel routers: bounded channel queues, and priority between routers: while a higher priority (above all, {@code system})
 * has messages waiting, lower channels do not forward. The waiting system message is simulated
 * by holding the priority gate, which is what a busy system router does; the routers are the
 * real verticles on a real event bus.
 */
@ExtendWith(VertxExtension.class)
class ChannelRouterTest {
  Registry registry;
  ChannelRouters routers;
  final Counters counters = new Counters();
  final List<Delivery> delivered = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx) {
    for (Class<?> c : List.of(Frame.class, Delivery.class)) register(vertx, c);
    ServerConfig config = ServerConfig.of(null);
    registry = new Registry(config);
    routers = new ChannelRouters(vertx, registry, counters);
    RegistryWriter writer = new RegistryWriter(registry, config, (subject, args, ref) -> {});
    writer.apply(new RegistryCommand.PrioritizeChannel("urgent", 50, null));
    writer.apply(new RegistryCommand.SizeChannel("small", 3, null));
    for (String ch : List.of("bulk", "urgent", "small", "system")) {
      writer.apply(new RegistryCommand.SubscribeChannel("sink", Glob.compile(ch), Glob.compile("*"), null));
    }
    vertx.eventBus().<Delivery>localConsumer(Delivery.ADDRESS, m -> delivered.add(m.body()));
  }

  private static Frame frame(String channel, Object data) {
    return FrameCodec.encode(Ulids.next(), channel, "s", null, MsgPack.pack(data), WireOrder.SEED);
  }

  /** Calls {@code then} once {@code cond} holds, polling on a timer; fails the test after 20 s. */
  private static void when(Vertx vertx, VertxTestContext ctx, java.util.function.BooleanSupplier cond, Runnable then) {
    long deadline = System.currentTimeMillis() + 20_000;
    vertx.setPeriodic(10, id -> {
      if (cond.getAsBoolean()) {
        vertx.cancelTimer(id);
        ctx.verify(then::run);
      } else if (System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        ctx.failNow("timed out");
      }
    });
  }

  @Test
  void nothingElseForwardsWhileSystemHoldsMessages(Vertx vertx, VertxTestContext ctx) {
    Frame bulk = frame("bulk", 1);
    Frame urgent = frame("urgent", 2);
    routers.gate().add(SYSTEM_PRIORITY, 1); // a system message is waiting
    routers.submit(bulk);
    routers.submit(urgent);
    // both are in their routers' queues...
    when(vertx, ctx, () -> routers.totalDepth() == 3, () -> {
      // ...and stay there while system holds something
      vertx.setTimer(300, t -> ctx.verify(() -> {
        assertThat(delivered).isEmpty();
        assertThat(routers.totalDepth()).isEqualTo(3);
        routers.gate().add(SYSTEM_PRIORITY, -1); // the system queue empties
        when(vertx, ctx, () -> delivered.size() == 2, () -> {
          assertThat(delivered.get(0).frame()).as("higher priority first").isSameAs(urgent);
          assertThat(delivered.get(0).priority()).isEqualTo(50);
          assertThat(delivered.get(1).frame()).isSameAs(bulk);
          assertThat(delivered.get(1).priority()).isEqualTo(0);
          assertThat(delivered).allSatisfy(d -> assertThat(d.endpoints()).containsExactly("sink"));
          ctx.completeNow();
        });
      }));
    });
  }

  @Test
  void systemForwardsWhileLowerPrioritiesWait(Vertx vertx, VertxTestContext ctx) {
    routers.gate().add(50, 1); // an urgent message is waiting: bulk must wait, system must not
    Frame bulk = frame("bulk", 1);
    Frame sys = FrameCodec.encode(Ulids.next(), Registry.SYSTEM, "channel.created", null,
        MsgPack.pack(List.of("x")), WireOrder.SEED);
    routers.submit(bulk);
    routers.submit(sys);
    when(vertx, ctx, () -> delivered.size() == 1, () -> {
      assertThat(delivered.get(0).frame()).isSameAs(sys);
      assertThat(delivered.get(0).priority()).isEqualTo(100);
      vertx.setTimer(300, t -> ctx.verify(() -> {
        assertThat(delivered).hasSize(1);
        routers.gate().add(50, -1);
        when(vertx, ctx, () -> delivered.size() == 2, () -> {
          assertThat(delivered.get(1).frame()).isSameAs(bulk);
          ctx.completeNow();
        });
      }));
    });
  }

  @Test
  @io.vertx.junit5.Timeout(value = 60, timeUnit = java.util.concurrent.TimeUnit.SECONDS) // two 20 s waits in a row
  void fullChannelQueueDropsItsOldestMessage(Vertx vertx, VertxTestContext ctx) {
    routers.gate().add(SYSTEM_PRIORITY, 1); // hold the router back so its queue fills
    List<Frame> frames = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      frames.add(frame("small", i));
      routers.submit(frames.get(i));
    }
    when(vertx, ctx, () -> counters.dropped(Counters.Drop.CHANNEL_FULL) == 2, () -> {
      assertThat(routers.totalDepth()).isEqualTo(1 + 3);
      routers.gate().add(SYSTEM_PRIORITY, -1);
      when(vertx, ctx, () -> delivered.size() == 3, () -> {
        assertThat(delivered).extracting(Delivery::frame).containsExactlyElementsOf(frames.subList(2, 5));
        ctx.completeNow();
      });
    });
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void register(Vertx vertx, Class c) {
    try {
      vertx.eventBus().registerDefaultCodec(c, new LocalCodec(c));
    } catch (IllegalStateException already) {
      // registered by an earlier test on this Vert.x instance
    }
  }
}
