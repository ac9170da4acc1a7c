package io.wsmsg.cluster;

import io.vertx.core.json.JsonObject;
import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.WireOrder;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Issue 12 item 5: fault scenarios against three member JVMs on 127.0.0.1 (event bus with
 * mutual TLS from the test CA, as {@link MemberProcesses} starts them), run by
 * {@code scripts/fault-test.sh}; not a JUnit test (it takes minutes). In every scenario
 * endpoint Q is made (and so owned) at member 0 and subscribed to channel C; a consumer
 * attached to Q through member 2 (window 8, acking each message; it reconnects to a member
 * that is up when its connection closes) and a publisher at member 1 (about 300 numbered
 * messages a second) run through the fault. Every number is then checked: received once,
 * never, or more than once. Prints one line per scenario, then a markdown table.
 *
 * <p>Arguments: [work directory] [comma-separated scenarios: leave,rolling,stopall,sigstop,kill9].
 */
public final class FaultScenarios {
  static final long PACE_NANOS = 1_000_000_000L / Integer.getInteger("fault.rate", 300);
  static final int MAX = 200_000;
  final Path root;
  final List<Map<String, String>> rows = new ArrayList<>();

  FaultScenarios(Path root) {
    this.root = root;
  }

  public static void main(String[] args) throws Exception {
    Path root = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("wsmsg-fault-");
    Files.createDirectories(root);
    List<String> names = args.length > 1 ? List.of(args[1].split(","))
        : List.of("leave", "rolling", "stopall", "sigstop", "kill9");
    FaultScenarios f = new FaultScenarios(root);
    boolean failed = false;
    for (String n : names) {
      long t0 = System.nanoTime();
      Map<String, String> row = new LinkedHashMap<>();
      row.put("scenario", n);
      try (Run r = new Run(root.resolve(n))) {
        switch (n) {
          case "leave" -> r.leave(row);
          case "rolling" -> r.rolling(row);
          case "stopall" -> r.stopAll(row);
          case "sigstop" -> r.sigstop(row);
          case "kill9" -> r.kill9(row);
          default -> throw new IllegalArgumentException("unknown scenario " + n);
        }
      } catch (Throwable e) {
        failed = true;
        e.printStackTrace();
        row.put("notes", (row.containsKey("notes") ? row.get("notes") + "; " : "") + "FAILED: " + e);
      }
      row.put("took", (System.nanoTime() - t0) / 1_000_000_000L + " s");
      f.rows.add(row);
      System.out.println("RESULT " + row);
      System.out.flush();
    }
    System.out.println();
    System.out.println("| scenario | published (accepted) | received | missing | duplicates | drops counted by the members | recovery / notes | took |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    for (Map<String, String> r : f.rows) {
      System.out.println("| " + r.get("scenario") + " | " + r.getOrDefault("published", "") + " | "
          + r.getOrDefault("received", "") + " | " + r.getOrDefault("missing", "") + " | "
          + r.getOrDefault("duplicates", "") + " | " + r.getOrDefault("dropped", "") + " | "
          + r.getOrDefault("notes", "") + " | " + r.get("took") + " |");
    }
    System.exit(failed ? 1 : 0);
  }

  /** One scenario: three members, the publisher, the consumer, and the count of every number. */
  static final class Run implements AutoCloseable {
    final MemberProcesses m;
    final Process[] proc = new Process[3];
    final boolean[] up = new boolean[3];
    final AtomicIntegerArray got = new AtomicIntegerArray(MAX);
    final long[] recvAt = new long[MAX];
    final long[] pubAt = new long[MAX];
    final Set<Integer> refused = ConcurrentHashMap.newKeySet();
    final Set<Integer> unsent = ConcurrentHashMap.newKeySet();
    final Map<String, Integer> uidToSeq = new ConcurrentHashMap<>();
    final AtomicInteger reconnects = new AtomicInteger();
    final List<String> refusals = new ArrayList<>();
    final Object pubLock = new Object();
    volatile TestNode pub;
    volatile TestNode sub;
    volatile int subAt = -1;
    volatile int pubMember = -1;
    volatile boolean publishing = true;
    volatile boolean consuming = true;
    /** While set, the consumer stays away (its messages wait in Q's queue). */
    volatile boolean consumerAway;
    /** While set, the publisher waits (nothing is on its way). */
    volatile boolean publisherPaused;
    volatile long lastRecv = System.nanoTime();
    volatile int published; // numbers 0..published-1 were tried
    int pubNames;
    /** kill9: the first number published after the kill, and when the kill was. */
    volatile int atKill = -1;
    /** stopall: numbers first received after the restart (they waited in Q over the stop). */
    volatile int receivedAfterRestart;
    volatile long killAt;
    Thread pubThread;
    Thread subThread;

    Run(Path dir) throws Exception {
      Files.createDirectories(dir);
      m = new MemberProcesses(dir, 3, 0);
      try {
        for (int i = 0; i < 3; i++) start(i);
        for (int i = 0; i < 3; i++) awaitUp(i);
      } catch (Throwable e) {
        close();
        throw e;
      }
    }

    // ---- members ----

    void start(int i) throws Exception {
      if (m.logs[i] != null && Files.exists(m.logs[i])) { // keep the log of the previous run
        Files.move(m.logs[i], m.logs[i].resolveSibling(m.logs[i].getFileName() + "." + System.currentTimeMillis()),
            StandardCopyOption.REPLACE_EXISTING);
      }
      proc[i] = m.start(i);
    }

    /** Waits for /ready and for member i to list three members, then counts it as up. */
    void awaitUp(int i) throws Exception {
      long deadline = System.currentTimeMillis() + 120_000;
      while (true) {
        JsonObject s = m.ready(i) == 200 ? m.status(i) : null;
        if (s != null && s.getJsonObject("cluster").getJsonArray("members").size() == 3) break;
        if (!proc[i].isAlive()) throw new AssertionError("member " + i + " exited; log:\n" + m.log(i));
        if (System.currentTimeMillis() > deadline) throw new AssertionError("member " + i + " not ready with 3 members in 120 s");
        Thread.sleep(200);
      }
      up[i] = true;
    }

    /** SIGTERM (a graceful leave); returns its exit code. */
    int sigterm(int i) throws Exception {
      up[i] = false;
      proc[i].destroy();
      if (!proc[i].waitFor(90, TimeUnit.SECONDS)) throw new AssertionError("member " + i + " still running 90 s after SIGTERM");
      return proc[i].exitValue();
    }

    void signal(int i, String sig) throws Exception {
      Process k = new ProcessBuilder("kill", "-" + sig, String.valueOf(proc[i].pid())).inheritIO().start();
      if (k.waitFor() != 0) throw new AssertionError("kill -" + sig + " failed for member " + i);
    }

    String memberId(int i) {
      return Await.until("member " + i + "'s status", () -> m.status(i), s -> s != null).getJsonObject("cluster")
          .getString("member");
    }

    int subscriptions(int i) {
      JsonObject s = m.status(i);
      return s == null ? -1 : s.getInteger("subscriptions");
    }

    /** Drops counted by member i, by reason (only non-zero ones), or "down". */
    String dropped(int i) {
      JsonObject s = m.status(i);
      if (s == null) return "m" + i + " down";
      JsonObject d = s.getJsonObject("messages").getJsonObject("dropped");
      StringBuilder b = new StringBuilder();
      for (String k : d.fieldNames()) {
        if (d.getLong(k) != 0) b.append(b.length() == 0 ? "" : " ").append(k).append(' ').append(d.getLong(k));
      }
      return "m" + i + ": " + (b.length() == 0 ? "0" : b);
    }

    String droppedAll() {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < 3; i++) if (up[i]) out.add(dropped(i));
      return String.join(", ", out);
    }

    // ---- the endpoint, the publisher, the consumer ----

    /** Q made at member 0 (which claims it), subscribed to C, and known with its owner at 1 and 2. */
    void setUp() throws Exception {
      int[] before = {subscriptions(1), subscriptions(2)};
      try (TestNode n = TestNode.connect(m.clientVertx, m.ws[0], "Q", m.token, WireOrder.SEED)) {
        n.command("subscribe.channel", "Q", "C", "*");
        n.sync("Q");
      }
      String owner = memberId(0);
      for (int k = 0; k < 2; k++) {
        int o = k + 1;
        int b = before[k];
        Await.until("member " + o + " to know Q's subscription", () -> subscriptions(o), c -> c > b, Duration.ofSeconds(60));
        Await.until("member " + o + " to say " + owner + " owns Q", () -> MemberProcesses.owner(m.status(o), "Q"),
            owner::equals, Duration.ofSeconds(60));
      }
      sub = TestNode.connect(m.clientVertx, m.ws[2], "Q?window=8", m.token, WireOrder.SEED).autoAck(true);
      subAt = 2;
      switchPublisher(1);
      subThread = new Thread(this::consume, "consumer");
      subThread.setDaemon(true);
      subThread.start();
      pubThread = new Thread(this::publish, "publisher");
      pubThread.setDaemon(true);
      pubThread.start();
    }

    void consume() {
      while (consuming) {
        if (consumerAway) {
          TestNode gone = sub;
          sub = null;
          if (gone != null) {
            // pause, then count what was already on its way (auto-acked on arrival) before leaving
            try {
              gone.command("pause");
            } catch (RuntimeException e) {
              // closed already
            }
            long until = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < until) {
              Frame f = gone.poll(50);
              if (f != null) count(f);
            }
            gone.close();
          }
          sleep(100);
          continue;
        }
        TestNode n = sub;
        Frame f = n == null ? null : n.poll(100);
        if (f != null) {
          count(f);
          continue;
        }
        if (n == null || n.isClosed()) reconnectConsumer(n);
      }
    }

    /** Counts a numbered message of channel C (other frames, such as notices, are not counted). */
    void count(Frame f) {
      if (!"C".equals(f.channel())) return;
      int seq = ((Number) TestNode.data(f)).intValue();
      if (got.getAndIncrement(seq) == 0) recvAt[seq] = System.nanoTime();
      lastRecv = System.nanoTime();
    }

    /** Attaches the consumer again through a member that is up (another one than before, if any). */
    void reconnectConsumer(TestNode old) {
      if (old != null) old.close();
      sub = null;
      while (consuming) {
        for (int k = 1; k <= 3; k++) {
          int i = (Math.max(subAt, 0) + k) % 3;
          if (!up[i]) continue;
          try {
            sub = TestNode.connect(m.clientVertx, m.ws[i], "Q?window=8", m.token, WireOrder.SEED).autoAck(true);
            subAt = i;
            reconnects.incrementAndGet();
            System.out.println("  consumer attached through member " + i);
            return;
          } catch (RuntimeException e) {
            // down or stopping: the next one
          }
        }
        sleep(200);
      }
    }

    void publish() {
      long start = System.nanoTime();
      int seq = 0;
      while (publishing && seq < MAX) {
        if (publisherPaused) {
          sleep(20);
          start += 20_000_000L; // keep the pace after the pause, no burst
          continue;
        }
        synchronized (pubLock) {
          if (!publishing) break;
          TestNode p = pub;
          try {
            byte[] uid = p.publish("C", "n", seq);
            pubAt[seq] = System.nanoTime();
            uidToSeq.put(HexFormat.of().formatHex(uid), seq);
          } catch (RuntimeException e) {
            unsent.add(seq);
          }
          published = seq + 1;
          readRefusals(p);
        }
        seq++;
        long wait = start + seq * PACE_NANOS - System.nanoTime();
        if (wait > 0) sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
    }

    /** Publishes refused by the gateway (error notices referencing their uid) are not expected. */
    void readRefusals(TestNode p) {
      for (Frame f = p.poll(0); f != null; f = p.poll(0)) {
        if ("system".equals(f.channel()) && "error".equals(f.subject()) && f.reference() != null) {
          Integer seq = uidToSeq.get(HexFormat.of().formatHex(f.reference()));
          if (seq != null) {
            refused.add(seq);
            if (refusals.size() < 3) refusals.add(String.valueOf(TestNode.data(f)));
          }
        }
      }
    }

    /** The publisher goes on through member i (from its next number). */
    void switchPublisher(int i) {
      TestNode next = TestNode.connect(m.clientVertx, m.ws[i], "pub" + (pubNames++), m.token, WireOrder.SEED);
      synchronized (pubLock) {
        TestNode old = pub;
        pub = next;
        pubMember = i;
        if (old != null) {
          readRefusals(old);
          old.close();
        }
      }
    }

    /** Stops publishing; {@code last} runs on the publisher's connection after its last number. */
    void stopPublishing(java.util.function.Consumer<TestNode> last) throws Exception {
      synchronized (pubLock) {
        publishing = false;
        if (last != null) last.accept(pub);
      }
      pubThread.join(10_000);
      Thread.sleep(500);
      synchronized (pubLock) {
        try {
          readRefusals(pub);
        } catch (RuntimeException e) {
          // closed
        }
      }
    }

    /** Waits until every expected number came, or nothing came for {@code quietSeconds}. */
    void drain(int quietSeconds, int maxSeconds) {
      long deadline = System.nanoTime() + maxSeconds * 1_000_000_000L;
      while (System.nanoTime() < deadline) {
        if (missing().isEmpty() && System.nanoTime() - lastRecv > 2_000_000_000L) return;
        if (System.nanoTime() - lastRecv > quietSeconds * 1_000_000_000L) return;
        sleep(200);
      }
    }

    boolean expected(int seq) {
      return !refused.contains(seq) && !unsent.contains(seq);
    }

    List<Integer> missing() {
      List<Integer> out = new ArrayList<>();
      for (int i = 0; i < published; i++) if (expected(i) && got.get(i) == 0) out.add(i);
      return out;
    }

    List<Integer> duplicates() {
      List<Integer> out = new ArrayList<>();
      for (int i = 0; i < published; i++) if (got.get(i) > 1) out.add(i);
      return out;
    }

    static String ranges(List<Integer> xs) {
      if (xs.isEmpty()) return "";
      StringBuilder b = new StringBuilder();
      int from = xs.get(0);
      int prev = from;
      int shown = 0;
      for (int k = 1; k <= xs.size(); k++) {
        Integer x = k < xs.size() ? xs.get(k) : null;
        if (x != null && x == prev + 1) {
          prev = x;
          continue;
        }
        if (shown++ < 6) b.append(b.length() == 0 ? "" : ",").append(from == prev ? "" + from : from + "-" + prev);
        if (x != null) {
          from = x;
          prev = x;
        }
      }
      if (shown > 6) b.append(",...");
      return " (" + b + ")";
    }

    /** Drains, then fills the row with the counts. */
    void finish(Map<String, String> row, String notes) {
      drain(15, 120);
      List<Integer> miss = missing();
      if (!miss.isEmpty()) {
        // a consumer whose deliveries stopped: attach it again once, and say so
        System.out.println("  " + miss.size() + " missing after draining; attaching the consumer again");
        TestNode n = sub;
        if (n != null) n.close(); // the consumer thread reconnects
        lastRecv = System.nanoTime();
        drain(10, 60);
        int after = missing().size();
        if (after < miss.size()) notes += "; " + (miss.size() - after) + " came only after the consumer attached again";
        miss = missing();
      }
      int accepted = 0;
      int received = 0;
      for (int i = 0; i < published; i++) {
        if (expected(i)) accepted++;
        if (got.get(i) > 0) received++;
      }
      List<Integer> dup = duplicates();
      row.put("published", published + (accepted == published ? "" : " (" + accepted + ")"));
      row.put("received", String.valueOf(received));
      row.put("missing", miss.size() + ranges(miss));
      row.put("duplicates", dup.size() + ranges(dup));
      row.put("dropped", droppedAll());
      if (!refused.isEmpty()) notes += "; " + refused.size() + " publishes refused " + refusals;
      if (!unsent.isEmpty()) notes += "; " + unsent.size() + " not sent (publisher's connection closed)";
      row.put("notes", notes + "; consumer attached " + (reconnects.get() + 1) + "x");
      consuming = false;
      try {
        subThread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    // ---- the scenarios ----

    /** (a) SIGTERM of Q's owner while numbers flow. */
    void leave(Map<String, String> row) throws Exception {
      setUp();
      Thread.sleep(4000);
      int code = sigterm(0);
      Thread.sleep(5000);
      stopPublishing(null);
      finish(row, "owner exit " + code);
    }

    /** (b) each member in turn: SIGTERM, wait for its exit, start it, wait for /ready and 3 members. */
    void rolling(Map<String, String> row) throws Exception {
      setUp();
      Thread.sleep(3000);
      List<String> steps = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        if (pubMember == k) switchPublisher((k + 1) % 3); // the publisher leaves the member about to stop
        long t = System.nanoTime();
        int code = sigterm(k);
        long exited = (System.nanoTime() - t) / 1_000_000;
        start(k);
        awaitUp(k);
        steps.add("m" + k + " exit " + code + " after " + exited + " ms, back in " + (System.nanoTime() - t) / 1_000_000 + " ms");
        Thread.sleep(2000);
      }
      Thread.sleep(2000);
      stopPublishing(null);
      finish(row, String.join(", ", steps));
    }

    /**
     * (c) the admin stop command (sent by the publisher after its last number), then all three
     * started again. The consumer goes away 2 s before the stop, so Q holds a backlog that must
     * come back from the owner's snapshot.
     */
    void stopAll(Map<String, String> row) throws Exception {
      setUp();
      Thread.sleep(3000);
      // the consumer leaves while nothing is on its way: what a node had in flight when it
      // left is at-most-once for an endpoint that does not requeue (docs/protocol.md), and this
      // scenario is about the stop
      publisherPaused = true;
      Thread.sleep(1500);
      consumerAway = true;
      Thread.sleep(1500);
      publisherPaused = false;
      Thread.sleep(2000);
      stopPublishing(p -> p.command("stop"));
      for (int i = 0; i < 3; i++) up[i] = false;
      List<Integer> codes = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        if (!proc[i].waitFor(90, TimeUnit.SECONDS)) throw new AssertionError("member " + i + " did not stop within 90 s");
        codes.add(proc[i].exitValue());
      }
      int before = 0;
      for (int i = 0; i < published; i++) if (got.get(i) > 0) before++;
      long t = System.nanoTime();
      for (int i = 0; i < 3; i++) start(i);
      for (int i = 0; i < 3; i++) awaitUp(i);
      lastRecv = System.nanoTime();
      consumerAway = false;
      long restartMillis = (System.nanoTime() - t) / 1_000_000;
      finish(row, "");
      int all = 0;
      for (int i = 0; i < published; i++) if (got.get(i) > 0) all++;
      receivedAfterRestart = all - before;
      row.put("notes", "exit codes " + codes + "; " + before + " received before the stop, " + receivedAfterRestart
          + " (Q's backlog) after all three started again (in " + restartMillis + " ms)" + row.get("notes"));
    }

    /** (d) SIGSTOP of Q's owner for 5 s, then SIGCONT. */
    void sigstop(Map<String, String> row) throws Exception {
      setUp();
      Thread.sleep(4000);
      signal(0, "STOP");
      Thread.sleep(5000);
      signal(0, "CONT");
      Thread.sleep(5000);
      stopPublishing(null);
      finish(row, "owner stopped 5 s");
    }

    /** (e) kill -9 of Q's owner: what is lost, and how long until Q gets new numbers again. */
    void kill9(Map<String, String> row) throws Exception {
      setUp();
      Thread.sleep(4000);
      JsonObject st = m.status(0);
      String queued = "";
      if (st != null) {
        for (Object o : st.getJsonArray("endpoints")) {
          JsonObject e = (JsonObject) o;
          if ("Q".equals(e.getString("name"))) queued = e.encode();
        }
      }
      up[0] = false;
      synchronized (pubLock) { // the numbers before this one were sent before the kill
        atKill = published;
        killAt = System.nanoTime();
        proc[0].destroyForcibly();
      }
      proc[0].waitFor(30, TimeUnit.SECONDS);
      String removed = "";
      long removedAt = -1;
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (System.nanoTime() < deadline) {
        JsonObject s = m.status(1);
        if (s != null && s.getJsonObject("cluster").getJsonArray("members").size() == 2) {
          removedAt = System.nanoTime();
          removed = "member 1 listed 2 members " + (removedAt - killAt) / 1_000_000 + " ms after the kill";
          break;
        }
        Thread.sleep(100);
      }
      Thread.sleep(20_000); // detection + 5 s: the survivors count what they sent the dead member
      stopPublishing(null);
      finish(row, "");
      // recovery: the first number published after the kill that arrived, and when
      long recovery = -1;
      int firstAfter = -1;
      for (int i = atKill; i < published; i++) {
        if (got.get(i) > 0) {
          firstAfter = i;
          recovery = (recvAt[i] - killAt) / 1_000_000;
          break;
        }
      }
      int lostBefore = 0;
      int lostAfter = 0;
      int lastLostAfter = -1;
      for (int i : missing()) {
        if (i < atKill) lostBefore++;
        else {
          lostAfter++;
          lastLostAfter = i;
        }
      }
      String lastLost = lastLostAfter < 0 ? "" : ", the last of them published "
          + (pubAt[lastLostAfter] - killAt) / 1_000_000 + " ms after the kill";
      row.put("notes", "recovery " + recovery + " ms (first number published after the kill and delivered: #" + firstAfter
          + ", " + (firstAfter < 0 ? "" : (pubAt[firstAfter] - killAt) / 1_000_000 + " ms after the kill") + "); "
          + removed + "; lost: " + lostBefore + " published before the kill (held by the owner), " + lostAfter
          + " published after it" + lastLost + "; Q at the owner just before the kill: " + queued + "; "
          + row.get("notes"));
    }

    @Override
    public void close() throws Exception {
      publishing = false;
      consuming = false;
      for (int i = 0; i < 3; i++) {
        if (proc[i] != null && proc[i].isAlive()) {
          try {
            signal(i, "CONT");
          } catch (Throwable ignored) {
            // gone
          }
        }
      }
      TestNode p = pub;
      if (p != null) p.close();
      TestNode s = sub;
      if (s != null) s.close();
      for (Process p2 : proc) if (p2 != null) p2.destroyForcibly();
      for (Process p2 : proc) if (p2 != null) p2.waitFor(20, TimeUnit.SECONDS);
      m.close();
    }

    static void sleep(long ms) {
      sleep(ms, 0);
    }

    static void sleep(long ms, int nanos) {
      try {
        Thread.sleep(ms, nanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
