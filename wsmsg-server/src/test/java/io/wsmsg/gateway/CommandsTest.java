package io.wsmsg.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.Identity;
import io.wsmsg.auth.Permissions;
import io.wsmsg.config.ServerConfig;
import io.wsmsg.metrics.Counters;
import io.wsmsg.protocol.ErrorCodes;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Uid;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.registry.Registry;
import io.wsmsg.registry.RegistryCommand;
import io.wsmsg.registry.RegistryReply;
import io.wsmsg.registry.RegistryVerticle;
import io.wsmsg.router.ChannelRouters;
import io.wsmsg.server.LocalCodec;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The checks system commands make before anything is changed: each refusal's code and text,
 * and the registry command each accepted shape becomes. A node is a {@link Session} on a
 * socket that records what it is sent; the registry is a consumer on its address that
 * records each command and answers as told.
 */
class CommandsTest {
  private static final ServerConfig CONFIG = ServerConfig.of(new JsonObject()
      .put("messageSubscriptions", new JsonObject().put("defaultExpirySeconds", 60).put("maxExpirySeconds", 3600)));
  private static final Identity ADMIN = new Identity("root", Permissions.ALL, 0);
  /** May act on endpoints app.*, publish on orders.*, subscribe to orders.*; no admin. */
  private static final Identity APP = new Identity("app",
      new Permissions(List.of("app.*"), List.of("orders.*"), List.of("orders.*"), false), 0);
  private static final byte[] UID = {1, 2, 3, 4};
  /** A one-byte str holding 0xff: the frame decoder skips it, the argument reader refuses it. */
  private static final byte[] NOT_UTF8 = {(byte) 0xa1, (byte) 0xff};

  private static Vertx vertx;
  private static final BlockingQueue<RegistryCommand> registryAsked = new LinkedBlockingQueue<>();
  private static volatile RegistryReply registryAnswer = RegistryReply.OK;

  private GatewayVerticle gateway;

  @BeforeAll
  static void registryOnItsAddress() {
    vertx = Vertx.vertx();
    vertx.eventBus().registerDefaultCodec(RegistryCommand.Attributed.class,
        new LocalCodec<>(RegistryCommand.Attributed.class));
    vertx.eventBus().registerDefaultCodec(RegistryReply.class, new LocalCodec<>(RegistryReply.class));
    vertx.eventBus().<RegistryCommand.Attributed>localConsumer(RegistryVerticle.ADDRESS, m -> {
      registryAsked.add(m.body().command());
      m.reply(registryAnswer);
    });
  }

  @AfterAll
  static void close() {
    vertx.close().await();
  }

  @BeforeEach
  void gateway() {
    registryAsked.clear();
    registryAnswer = RegistryReply.OK;
    Registry registry = new Registry(CONFIG);
    Counters counters = new Counters();
    gateway = new GatewayVerticle(CONFIG, registry, new ChannelRouters(vertx, registry, counters), null,
        (subject, args, reference) -> { }, counters, new StandaloneOwnership("m1", () -> { }));
    gateway.init(vertx, vertx.getOrCreateContext());
  }

  // ---- a node and what it is sent ----

  /** A node on a socket that keeps every binary message written to it. */
  private final class Node {
    final List<Frame> received = Collections.synchronizedList(new ArrayList<>());
    final Session session;

    Node(Identity who) {
      ServerWebSocket ws = (ServerWebSocket) Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {ServerWebSocket.class}, (proxy, method, args) -> {
            if (method.getName().equals("writeBinaryMessage")) received.add(FrameCodec.decode(((Buffer) args[0]).getBytes()));
            Class<?> type = method.getReturnType();
            return type == boolean.class ? false : type == int.class || type == long.class ? 0 : null;
          });
      session = new Session(gateway, ws, "app.node", who, 10, WireOrder.values()[0]);
    }

    void command(String subject, byte[] reference, byte[] data) {
      gateway.commands.handle(session, FrameCodec.encode(Ulids.next(), Registry.SYSTEM, subject, reference, data,
          WireOrder.values()[0]));
    }
  }

  /** The code and text of the one error the node got for the command. */
  private String refusal(Identity who, String subject, byte[] data) {
    Node n = new Node(who);
    n.command(subject, null, data);
    assertThat(n.received).as("what the node was sent").hasSize(1);
    Frame f = n.received.get(0);
    assertThat(f.subject()).isEqualTo("error");
    List<?> codeAndText = (List<?>) MsgPack.unpack(f.rawBytes(), f.dataOffset(), f.dataLength());
    return codeAndText.get(0) + ": " + codeAndText.get(1);
  }

  private String refusal(Identity who, String subject, Object... args) {
    return refusal(who, subject, MsgPack.pack(Arrays.asList(args)));
  }

  private String refusal(String subject, Object... args) {
    return refusal(ADMIN, subject, args);
  }

  /** The registry command an accepted command became (the node was sent nothing). */
  private RegistryCommand accepted(Identity who, String subject, Object... args) throws InterruptedException {
    Node n = new Node(who);
    n.command(subject, null, MsgPack.pack(Arrays.asList(args)));
    RegistryCommand cmd = registryAsked.poll(10, TimeUnit.SECONDS);
    assertThat(cmd).as("the registry was asked").isNotNull();
    assertThat(n.received).isEmpty();
    return cmd;
  }

  private RegistryCommand accepted(String subject, Object... args) throws InterruptedException {
    return accepted(ADMIN, subject, args);
  }

  private static String badArgs(String text) {
    return ErrorCodes.BAD_ARGUMENTS + ": " + text;
  }

  private static String forbidden(String text) {
    return ErrorCodes.FORBIDDEN + ": " + text;
  }

  // ---- the command's data ----

  @Test
  void aCommandsDataMustBeAnArrayOrNil() {
    assertThat(refusal(ADMIN, "endpoint.create", MsgPack.pack("app.x")))
        .isEqualTo(badArgs("a command's data must be an array of arguments (or nil)"));
    // well-formed enough for a frame, whose data is left raw, but a str that is not UTF-8
    assertThat(refusal(ADMIN, "endpoint.create", NOT_UTF8))
        .isEqualTo(badArgs("the command's data is not a msgpack value"));
    assertThat(refusal(ADMIN, "endpoint.create", MsgPack.pack(null)))
        .isEqualTo(badArgs("expected arguments [endpoint], got 0 arguments"));
  }

  @Test
  void aCommandsDataIsRefusedUnreadPast64KiB() {
    byte[] big = MsgPack.pack(List.of("x".repeat(Commands.MAX_COMMAND_DATA)));
    assertThat(refusal(ADMIN, "endpoint.create", big))
        .isEqualTo(badArgs("a command's data is at most 65536 bytes, got " + big.length));
  }

  @Test
  void theNumberOfArgumentsMustFitTheCommand() {
    assertThat(refusal("subscribe.channel", "app.x"))
        .isEqualTo(badArgs("expected arguments [endpoint, channel_pattern, subject_pattern], got 1 argument"));
    assertThat(refusal("subscribe.channel", "app.x", "orders", "*", "extra"))
        .isEqualTo(badArgs("expected arguments [endpoint, channel_pattern, subject_pattern], got 4 arguments"));
    assertThat(refusal("unsubscribe.channel", "app.x", "orders", "*"))
        .isEqualTo(badArgs("expected arguments [endpoint, channel_pattern], got 3 arguments"));
    assertThat(refusal("subscribe.message", "app.x"))
        .isEqualTo(badArgs("expected arguments [endpoint, uid, expires], got 1 argument"));
    assertThat(refusal("unsubscribe.message", "app.x", UID, 5))
        .isEqualTo(badArgs("expected arguments [endpoint, uid], got 3 arguments"));
    assertThat(refusal("channel.create")).isEqualTo(badArgs("expected arguments [channel], got 0 arguments"));
    assertThat(refusal("channel.size", "orders")).isEqualTo(badArgs("expected arguments [channel, size], got 1 argument"));
    assertThat(refusal("channel.priority", "orders"))
        .isEqualTo(badArgs("expected arguments [channel, priority], got 1 argument"));
    assertThat(refusal("endpoint.create", "a", "b")).isEqualTo(badArgs("expected arguments [endpoint], got 2 arguments"));
    assertThat(refusal("endpoint.size", "app.x")).isEqualTo(badArgs("expected arguments [endpoint, size], got 1 argument"));
  }

  // ---- names, patterns, uids, numbers ----

  @Test
  void namesAreStringsOf1To255Bytes() {
    assertThat(refusal("endpoint.create", 5)).isEqualTo(badArgs("endpoint must be a string"));
    assertThat(refusal("endpoint.create", "")).isEqualTo(badArgs("endpoint must have 1 to 255 bytes of UTF-8"));
    // 128 two-byte characters: 256 bytes
    assertThat(refusal("endpoint.create", "é".repeat(128))).isEqualTo(badArgs("endpoint must have 1 to 255 bytes of UTF-8"));
    assertThat(refusal("channel.create", (Object) UID)).isEqualTo(badArgs("channel must be a string"));
  }

  @Test
  void aChannelPatternHas1To255BytesAndASubjectPatternMayBeEmpty() {
    assertThat(refusal("subscribe.channel", "app.x", 5))
        .isEqualTo(badArgs("channel_pattern must be a string (a glob such as \"orders.*\")"));
    assertThat(refusal("subscribe.channel", "app.x", ""))
        .isEqualTo(badArgs("channel_pattern must have 1 to 255 bytes of UTF-8"));
    assertThat(refusal("subscribe.channel", "app.x", "orders", "s".repeat(256)))
        .isEqualTo(badArgs("subject_pattern must have 0 to 255 bytes of UTF-8"));
    assertThat(refusal("subscribe.channel", "app.x", "orders", List.of()))
        .isEqualTo(badArgs("subject_pattern must be a string (a glob such as \"orders.*\")"));
    assertThat(refusal("unsubscribe.channel", "app.x", "o".repeat(256)))
        .isEqualTo(badArgs("channel_pattern must have 1 to 255 bytes of UTF-8"));
  }

  @Test
  void aUidIsBinOf1To64Bytes() {
    String text = badArgs("uid must be bin of 1 to 64 bytes (the uid of the message whose replies you want)");
    assertThat(refusal("subscribe.message", "app.x", "01HXYZ")).isEqualTo(text);
    assertThat(refusal("subscribe.message", "app.x", new byte[0])).isEqualTo(text);
    assertThat(refusal("subscribe.message", "app.x", new byte[65])).isEqualTo(text);
    assertThat(refusal("unsubscribe.message", "app.x", 7)).isEqualTo(text);
  }

  @Test
  void sizesAreIntegersFrom1ToIntMax() {
    assertThat(refusal("channel.size", "orders", "10")).isEqualTo(badArgs("size must be an integer"));
    assertThat(refusal("channel.size", "orders", 10.0)).isEqualTo(badArgs("size must be an integer"));
    assertThat(refusal("channel.size", "orders", 0)).isEqualTo(badArgs("size must be an integer from 1 to 2147483647, not 0"));
    assertThat(refusal("endpoint.size", "app.x", 1L << 31))
        .isEqualTo(badArgs("size must be an integer from 1 to 2147483647, not 2147483648"));
  }

  @Test
  void aChannelPriorityIsAnIntegerFrom0To99AndSystemsIsFixed() {
    assertThat(refusal("channel.priority", "orders", "high")).isEqualTo(badArgs("priority must be an integer"));
    assertThat(refusal("channel.priority", "orders", 100))
        .isEqualTo(badArgs("priority must be an integer from 0 to 99, not 100"));
    assertThat(refusal("channel.priority", "orders", -1))
        .isEqualTo(badArgs("priority must be an integer from 0 to 99, not -1"));
    assertThat(refusal("channel.priority", "system", 50)).isEqualTo(badArgs("the system channel's priority is fixed at 100"));
  }

  @Test
  void expiresIsAPositiveFiniteNumber() {
    assertThat(refusal("subscribe.message", "app.x", UID, "soon"))
        .isEqualTo(badArgs("expires must be a number of seconds (or a unix time)"));
    assertThat(refusal("subscribe.message", "app.x", UID, 0)).isEqualTo(badArgs("expires must be positive, not 0.0"));
    assertThat(refusal("subscribe.message", "app.x", UID, -1.5)).isEqualTo(badArgs("expires must be positive, not -1.5"));
    assertThat(refusal("subscribe.message", "app.x", UID, Double.NaN)).isEqualTo(badArgs("expires must be positive, not NaN"));
    assertThat(refusal("subscribe.message", "app.x", UID, Double.POSITIVE_INFINITY))
        .isEqualTo(badArgs("expires must be positive, not Infinity"));
  }

  // ---- commands that do not exist or are not the node's to give ----

  @Test
  void anUnknownCommandListsTheKnownOnesAndAnEventIsTheServersOnly() {
    assertThat(refusal("reboot")).isEqualTo(ErrorCodes.UNKNOWN_COMMAND + ": unknown command \"reboot\" on channel system"
        + " (commands: ack, pause, resume, subscribe.channel, subscribe.message, unsubscribe.channel,"
        + " unsubscribe.message, channel.create, channel.size, channel.priority, endpoint.create, endpoint.size, stop)");
    assertThat(refusal("node.joined", "app.x", "n1")).isEqualTo(forbidden("node.joined is an event: only the server publishes it"));
  }

  @Test
  void anAckNeedsTheDeliveredMessagesUidAsReference() {
    Node n = new Node(APP);
    n.command("ack", null, MsgPack.pack(null));
    assertThat(n.received).singleElement().satisfies(f -> assertThat(MsgPack.unpack(f.rawBytes(), f.dataOffset(),
        f.dataLength())).isEqualTo(List.of(ErrorCodes.BAD_ARGUMENTS, "ack needs reference = the uid of the delivered message")));
  }

  @Test
  void settingsAndStopNeedAnAdminTokenWhateverTheArguments() {
    assertThat(refusal(APP, "channel.size")).isEqualTo(forbidden("channel.size needs an admin token"));
    assertThat(refusal(APP, "channel.priority", "orders.new", 5)).isEqualTo(forbidden("channel.priority needs an admin token"));
    assertThat(refusal(APP, "endpoint.size", "app.x", 5)).isEqualTo(forbidden("endpoint.size needs an admin token"));
    assertThat(refusal(APP, "stop")).isEqualTo(forbidden("stop needs an admin token"));
  }

  @Test
  void aNodeActsOnlyOnEndpointsAndChannelsItsTokenGrants() {
    assertThat(refusal(APP, "endpoint.create", "billing")).isEqualTo(forbidden("your token does not allow acting on endpoint billing"));
    assertThat(refusal(APP, "subscribe.message", "billing", UID))
        .isEqualTo(forbidden("your token does not allow acting on endpoint billing"));
    assertThat(refusal(APP, "channel.create", "secret")).isEqualTo(forbidden("your token does not allow channel secret"));
    assertThat(refusal(APP, "subscribe.channel", "app.x", "secret.*")).isEqualTo(forbidden(
        "your token does not allow subscribing to channel pattern secret.* (every channel it can match must be granted)"));
    assertThat(refusal(APP, "subscribe.channel", "app.x", "*")).isEqualTo(forbidden(
        "your token does not allow subscribing to channel pattern * (a pattern that can match system needs an admin token"
            + " or a subscribe grant \"system\")"));
  }

  @Test
  void argumentsAreCheckedBeforePermissions() {
    assertThat(refusal(APP, "endpoint.create", "")).isEqualTo(badArgs("endpoint must have 1 to 255 bytes of UTF-8"));
  }

  // ---- accepted shapes ----

  @Test
  void subscribeChannelTakesAnOptionalSubjectPatternThatDefaultsToStar() throws InterruptedException {
    RegistryCommand.SubscribeChannel two = (RegistryCommand.SubscribeChannel) accepted(APP, "subscribe.channel",
        "app.x", "orders.*");
    assertThat(two.endpoint()).isEqualTo("app.x");
    assertThat(two.channel().pattern()).isEqualTo("orders.*");
    assertThat(two.subject().pattern()).isEqualTo("*");
    assertThat(two.admin()).isFalse();

    RegistryCommand.SubscribeChannel three = (RegistryCommand.SubscribeChannel) accepted("subscribe.channel",
        "app.x", "system", "");
    assertThat(three.subject().pattern()).isEmpty();
    assertThat(three.admin()).as("an admin's subscription sees commands").isTrue();
  }

  @Test
  void theOtherRegistryCommandsAcceptTheirShapes() throws InterruptedException {
    assertThat(accepted(APP, "unsubscribe.channel", "app.x", "orders.*")).isInstanceOfSatisfying(
        RegistryCommand.UnsubscribeChannel.class, c -> assertThat(c.pattern().pattern()).isEqualTo("orders.*"));
    assertThat(accepted(APP, "unsubscribe.message", "app.x", UID)).isInstanceOfSatisfying(
        RegistryCommand.UnsubscribeMessage.class, c -> assertThat(c.uid()).isEqualTo(Uid.of(UID)));
    assertThat(accepted(APP, "channel.create", "orders.new")).isInstanceOfSatisfying(
        RegistryCommand.CreateChannel.class, c -> assertThat(c.channel()).isEqualTo("orders.new"));
    assertThat(accepted(APP, "endpoint.create", "app.y")).isInstanceOfSatisfying(
        RegistryCommand.CreateEndpoint.class, c -> assertThat(c.endpoint()).isEqualTo("app.y"));
    assertThat(accepted("channel.size", "orders", 1)).isInstanceOfSatisfying(
        RegistryCommand.SizeChannel.class, c -> assertThat(c.size()).isEqualTo(1));
    assertThat(accepted("endpoint.size", "app.x", Integer.MAX_VALUE)).isInstanceOfSatisfying(
        RegistryCommand.SizeEndpoint.class, c -> assertThat(c.size()).isEqualTo(Integer.MAX_VALUE));
    assertThat(accepted("channel.priority", "orders", 0)).isInstanceOfSatisfying(
        RegistryCommand.PrioritizeChannel.class, c -> assertThat(c.priority()).isZero());
    assertThat(accepted("channel.priority", "orders", 99)).isInstanceOfSatisfying(
        RegistryCommand.PrioritizeChannel.class, c -> assertThat(c.priority()).isEqualTo(99));
    // any 1 to 64 bytes are a uid
    assertThat(accepted(APP, "subscribe.message", "app.x", new byte[64])).isInstanceOf(
        RegistryCommand.SubscribeMessage.class);
  }

  @Test
  void expiresIsSecondsFromNowOrAUnixTimeCappedByTheMaximum() throws InterruptedException {
    long now = System.currentTimeMillis();
    assertThat(expiresAt()).isCloseTo(now + 60_000, within(5_000L));
    assertThat(expiresAt(30)).isCloseTo(now + 30_000, within(5_000L));
    assertThat(expiresAt(1.5)).isCloseTo(now + 1_500, within(5_000L));
    long inTenMinutes = now / 1000 + 600;
    assertThat(expiresAt(inTenMinutes)).as("a unix time in seconds").isEqualTo(inTenMinutes * 1000);
    assertThat(expiresAt(86_400)).as("capped at maxExpirySeconds").isCloseTo(now + 3_600_000, within(5_000L));
    assertThat(expiresAt(4_000_000_000L)).isCloseTo(now + 3_600_000, within(5_000L));
  }

  private long expiresAt(Object... expires) throws InterruptedException {
    Object[] args = new Object[2 + expires.length];
    args[0] = "app.x";
    args[1] = UID;
    System.arraycopy(expires, 0, args, 2, expires.length);
    return ((RegistryCommand.SubscribeMessage) accepted(APP, "subscribe.message", args)).expiresAt();
  }

  @Test
  void pauseResumeAndStopDoNotLookAtTheirData() {
    Node n = new Node(APP);
    n.command("pause", null, NOT_UTF8);
    assertThat(n.session.paused).isTrue();
    n.command("resume", null, MsgPack.pack("ignored"));
    assertThat(n.session.paused).isFalse();
    assertThat(n.received).isEmpty();
  }

  @Test
  void theRegistrysRefusalIsPassedOnToTheNode() throws InterruptedException {
    registryAnswer = new RegistryReply(ErrorCodes.LIMIT, "the server holds its maximum of endpoints");
    Node n = new Node(APP);
    n.command("endpoint.create", null, MsgPack.pack(List.of("app.z")));
    assertThat(registryAsked.poll(10, TimeUnit.SECONDS)).isNotNull();
    long until = System.currentTimeMillis() + 10_000;
    while (n.received.isEmpty() && System.currentTimeMillis() < until) Thread.sleep(10);
    assertThat(n.received).singleElement().satisfies(f -> assertThat(MsgPack.unpack(f.rawBytes(), f.dataOffset(),
        f.dataLength())).isEqualTo(List.of(ErrorCodes.LIMIT, "the server holds its maximum of endpoints")));
  }

  @Test
  void aStoppingServerTakesNoMoreRegistryChanges() {
    gateway.stopping = true;
    assertThat(refusal(APP, "endpoint.create", "app.x")).isEqualTo(ErrorCodes.STOPPING
        + ": the server is stopping and takes no more subscription or settings changes");
    assertThat(registryAsked).isEmpty();
  }
}
