package io.wsmsg.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.json.JsonObject;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestServer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs src/test/python/legacy_client.py, an emulation of the original Python wsmsg client's
 * wire behaviour (legacy element order, no token, ack per message, two-argument
 * subscribe.message, datetime maps), against a real server in auth mode none.
 *
 * <p>Needs Debian's /usr/bin/python3 with python3-msgpack and python3-websockets; skipped
 * (with the apt command to run) where they are missing. CI installs them (.ci/run).
 */
class PythonLegacyClientTest extends ServerTestBase {
  static final String PYTHON = "/usr/bin/python3";
  static final Path SCRIPT = Path.of("wsmsg-tests/src/test/python/legacy_client.py");
  static final long TIMEOUT_SECONDS = 180; // above the script's own TOTAL, so its message is the one seen

  TestServer server;

  @BeforeEach
  void start() throws Exception {
    assumeTrue(pythonHasModules(), "skipped: " + PYTHON + " cannot import msgpack and websockets;"
        + " install the Debian packages with: apt-get install -y python3-msgpack python3-websockets");
    server = startServer(new JsonObject().put("auth", new JsonObject().put("mode", "none")));
  }


  @Test
  void originalPythonClientInteroperates() throws Exception {
    assertThat(SCRIPT).exists();

    String url = "ws://127.0.0.1:" + server.port() + "/";
    Result r = run(List.of(PYTHON, SCRIPT.toString(), "--url", url), TIMEOUT_SECONDS);
    System.out.println("legacy_client.py output:\n" + r.output);

    assertThat(r.timedOut).as("legacy_client.py did not finish within %d s; output:%n%s", TIMEOUT_SECONDS, r.output)
        .isFalse();
    assertThat(r.exitCode).as("legacy_client.py exit code; output:%n%s", r.output).isZero();
    assertThat(r.output).as("legacy_client.py output").contains("4 passed, 0 failed");
  }

  /** True when /usr/bin/python3 exists and imports both modules. */
  private static boolean pythonHasModules() throws Exception {
    if (!new File(PYTHON).canExecute()) return false;
    Result r = run(List.of(PYTHON, "-c", "import msgpack, websockets"), 30);
    return !r.timedOut && r.exitCode == 0;
  }

  private record Result(int exitCode, boolean timedOut, String output) {}

  /** Runs a process with stderr merged into stdout; kills it (and its children) on timeout. */
  private static Result run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
    Path out = Files.createTempFile("wsmsg-python-", ".log");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(out.toFile());
      pb.environment().put("PYTHONUNBUFFERED", "1");
      pb.environment().remove("PYTHONPATH"); // Debian's python with Debian's packages only
      pb.environment().remove("PYTHONHOME");
      Process p = pb.start();
      boolean finished = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
      if (!finished) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
      String output = Files.readString(out, StandardCharsets.UTF_8);
      return new Result(finished ? p.exitValue() : -1, !finished, output);
    } finally {
      Files.deleteIfExists(out);
    }
  }
}
