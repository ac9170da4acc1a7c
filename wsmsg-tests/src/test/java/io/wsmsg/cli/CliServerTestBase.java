package io.wsmsg.cli;

import com.github.f4b6a3.ulid.Ulid;
import io.wsmsg.testkit.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** One real server per test class, and command lines for the client commands against it. */
abstract class CliServerTestBase {
  static TestServer server;
  static String admin;

  @BeforeAll
  static void startServer() {
    server = TestServer.start();
    admin = server.adminToken();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  /** The arguments of a client command against the server, with the admin token. */
  static String[] cli(String command, String... args) {
    return Cli.client(server, admin, command, args);
  }

  /** A name no other test uses. */
  static String fresh(String prefix) {
    return prefix + "-" + Ulid.fast().toString().toLowerCase();
  }
}
