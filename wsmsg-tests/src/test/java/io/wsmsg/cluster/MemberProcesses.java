package io.wsmsg.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.wsmsg.auth.TokenSigner;
import io.wsmsg.testkit.Await;
import io.wsmsg.testkit.TestCerts;
import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Cluster members as separate JVM processes on 127.0.0.1 ({@code wsmsg server -c conf --cluster}),
 * with the event bus over mutual TLS from the test CA, plus other JVMs (a rogue) beside them.
 */
final class MemberProcesses implements AutoCloseable {
  final Path dir;
  final String clusterName = "wsmsg-proc-" + UUID.randomUUID();
  final int[] ws;
  final int[] mgmt;
  final int[] hz;
  final Path[] logs;
  final List<Process> processes = new ArrayList<>();
  final Vertx clientVertx = Vertx.vertx();
  private final HttpClient http = HttpClient.newHttpClient();
  final String token;
  /** Laid over every member's {@code cluster} settings (e.g. peerBudgetKiB, failureDetectionSeconds). */
  final JsonObject clusterExtra = new JsonObject();

  /** {@code n} member places; {@code spare} more Hazelcast ports in the member list (for a rogue). */
  MemberProcesses(Path dir, int n, int spare) throws Exception {
    this.dir = dir;
    ws = new int[n];
    mgmt = new int[n];
    hz = new int[n + spare];
    logs = new Path[n];
    for (int i = 0; i < n; i++) {
      ws[i] = freePort();
      mgmt[i] = freePort();
    }
    for (int i = 0; i < n + spare; i++) hz[i] = freePort();
    token = new TokenSigner(clientVertx, TestServer.SECRET).sign("test", io.wsmsg.auth.Permissions.ALL.toJson(), 3600);
  }

  String memberList() {
    List<String> out = new ArrayList<>();
    for (int p : hz) out.add("127.0.0.1:" + p);
    return String.join(",", out);
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static List<String> jvm() {
    List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx256m"));
    cmd.addAll(List.of(System.getProperty("wsmsg.test.hazelcastFlags", ClusterProcessTest.HAZELCAST_FLAGS).split(" ")));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
    return cmd;
  }

  /** Top-level sections every member started from now on gets instead of the ones below (null: none); cluster settings go in {@link #clusterExtra}. */
  JsonObject extraConf;

  /** Starts member {@code i} with gateway(i+1)'s certificate. */
  Process start(int i) throws Exception {
    JsonArray members = new JsonArray();
    for (int p : hz) members.add("127.0.0.1:" + p);
    int cert = i % 3 + 1;
    Path conf = dir.resolve("gateway" + i + ".json");
    Files.writeString(conf, new JsonObject().put("host", "127.0.0.1").put("port", ws[i])
        .put("dataDir", dir.resolve("data" + i).toString())
        .put("gateway", new JsonObject().put("instances", io.wsmsg.testkit.TestServer.GATEWAY_INSTANCES))
        .put("management", new JsonObject().put("port", mgmt[i]))
        .put("auth", new JsonObject().put("hs256Secret", TestServer.SECRET))
        .put("cluster", new JsonObject().put("name", clusterName).put("host", "127.0.0.1").put("port", hz[i])
            .put("members", members).put("tls", new JsonObject().put("cert", TestCerts.memberCert(cert).toString())
                .put("key", TestCerts.memberKey(cert).toString()).put("ca", TestCerts.clusterCa().toString()))
            .mergeIn(clusterExtra))
        .mergeIn(extraConf == null ? new JsonObject() : extraConf.copy())
        .encodePrettily());
    logs[i] = dir.resolve("gateway" + i + ".log");
    List<String> cmd = jvm();
    cmd.addAll(List.of("io.wsmsg.cli.Main", "server", "-c", conf.toString(), "--cluster"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logs[i].toFile()).start();
    processes.add(p);
    return p;
  }

  /** Starts another JVM (a rogue) with its output in {@code log}. */
  Process startJvm(Path log, String mainClass, List<String> args) throws Exception {
    List<String> cmd = jvm();
    cmd.add(mainClass);
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(p);
    return p;
  }

  JsonObject status(int i) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt[i] + "/status"))
          .header("Authorization", "Bearer " + token) // /status is for admins
          .timeout(java.time.Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (Exception e) {
      return null;
    }
  }

  int ready(int i) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt[i] + "/ready"))
          .timeout(java.time.Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /** Sends a signal (STOP, CONT) to member {@code i}'s process. */
  void signal(int i, String sig) throws Exception {
    Process k = new ProcessBuilder("kill", "-" + sig, String.valueOf(processes.get(i).pid())).inheritIO().start();
    if (k.waitFor() != 0) throw new AssertionError("kill -" + sig + " failed for member " + i);
  }

  String log(int i) {
    return RogueMemberTest.read(logs[i]);
  }

  /** Waits until member {@code i} lists {@code n} proven members. */
  void awaitMembers(int i, int n) {
    Await.until("member " + i + " to list " + n + " members", () -> {
      JsonObject s = status(i);
      if (s == null && !processes.get(i).isAlive()) {
        throw new AssertionError("member " + i + " exited; log:\n" + log(i));
      }
      return s;
    }, s -> s != null && s.getJsonObject("cluster").getJsonArray("members").size() == n,
        java.time.Duration.ofSeconds(90));
  }

  static String owner(JsonObject status, String endpoint) {
    if (status == null) return null;
    for (Object o : status.getJsonArray("endpoints")) {
      JsonObject e = (JsonObject) o;
      if (endpoint.equals(e.getString("name"))) return e.getString("owner");
    }
    return null;
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws Exception {
    for (Process p : processes) p.destroyForcibly();
    for (Process p : processes) p.waitFor(20, TimeUnit.SECONDS);
    TestNode.await(clientVertx.close());
  }
}
