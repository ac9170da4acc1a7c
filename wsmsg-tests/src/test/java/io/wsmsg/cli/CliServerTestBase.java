package io.wsmsg.cli;

import com.github.f4b6a3.ulid.Ulid;
import io.wsmsg.testkit.ServerTestBase;
import io.wsmsg.testkit.TestServer;
import org.junit.jupiter.api.BeforeEach;

/** A real server per test, and command lines for the client commands against it. */
abstract class CliServerTestBase extends ServerTestBase {
  TestServer server;
  String admin;

  @BeforeEach
  void startServerWithAdminToken() {
    server = startServer();
    admin = server.adminToken();
  }

  /** The arguments of a client command against the server, with the admin token. */
  String[] cli(String command, String... args) {
    return Cli.client(server, admin, command, args);
  }

  /** A name no other test uses. */
  static String fresh(String prefix) {
    return prefix + "-" + Ulid.fast().toString().toLowerCase();
  }
}
