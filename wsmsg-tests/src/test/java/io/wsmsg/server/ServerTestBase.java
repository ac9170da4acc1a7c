package io.wsmsg.server;

import io.wsmsg.testkit.TestNode;
import io.wsmsg.testkit.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * A test server (started by the test or its @BeforeEach) and the nodes opened with
 * {@link #node}, all closed after each test: nodes first, then the server.
 */
abstract class ServerTestBase {
  TestServer ts;
  final List<TestNode> nodes = new ArrayList<>();

  @AfterEach
  void closeNodesAndServer() {
    nodes.forEach(TestNode::close);
    if (ts != null) ts.close();
  }

  /** A node on the endpoint (admin token, seed order), closed after the test. */
  TestNode node(String endpointAndQuery) {
    TestNode n = ts.node(endpointAndQuery);
    nodes.add(n);
    return n;
  }
}
