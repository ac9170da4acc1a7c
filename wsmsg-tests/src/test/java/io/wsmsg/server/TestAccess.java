package io.wsmsg.server;

import io.wsmsg.testkit.TestServer;

/** Lets tests in other packages use the server tests' waiting helpers. */
public final class TestAccess {
  private TestAccess() {}

  public static void awaitDepth(TestServer ts, String endpoint, int expected) {
    E2e.awaitDepth(ts, endpoint, expected);
  }
}
