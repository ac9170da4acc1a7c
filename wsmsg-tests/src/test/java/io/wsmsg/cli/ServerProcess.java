package io.wsmsg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsmsg.testkit.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code wsmsg server ...} in a JVM of its own (as SigtermTest runs it), its stdout and stderr in
 * one file: what an operator sees. Closing it sends SIGTERM, then kills it if it lingers.
 */
final class ServerProcess implements AutoCloseable {
  final Process process;
  final Path log;

  private ServerProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  static ServerProcess start(Path dir, Map<String, String> env, String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        "io.wsmsg.cli.Main", "server"));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "server-", ".log"); // a file: the whole output survives the exit
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("WSMSG_"));
    pb.environment().putAll(env);
    return new ServerProcess(pb.start(), log);
  }

  String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /** Waits until the server says it listens; fails early if it ends first. */
  ServerProcess awaitListening() {
    Await.until("the server says it listens", () -> {
      assertThat(process.isAlive()).as("server running; output:%n%s", output()).isTrue();
      return output().contains("wsmsg is listening");
    }, Duration.ofSeconds(90));
    return this;
  }

  /** Waits for the process to end by itself and returns its exit code. */
  int awaitExit() throws InterruptedException {
    assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("the server ended; output:%n%s", output()).isTrue();
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy(); // SIGTERM: the graceful stop
    if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }
}
