package io.wsmsg.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on 127.0.0.1 and a free port, forwarding to a target port, that can cut every
 * connection going through it: simulates a network failure without stopping the server.
 */
public final class TcpProxy implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final NetClient client = vertx.createNetClient();
  private final NetServer server;
  private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean refusing;

  public TcpProxy(int targetPort) {
    server = vertx.createNetServer().connectHandler(in -> {
      if (refusing) {
        in.close();
        return;
      }
      in.pause();
      client.connect(targetPort, "127.0.0.1").onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        NetSocket out = ar.result();
        sockets.add(in);
        sockets.add(out);
        in.handler(out::write);
        out.handler(in::write);
        in.closeHandler(v -> {
          sockets.remove(in);
          out.close();
        });
        out.closeHandler(v -> {
          sockets.remove(out);
          in.close();
        });
        in.resume();
      });
    });
    TestNode.await(server.listen(0, "127.0.0.1"));
  }

  public int port() {
    return server.actualPort();
  }

  /** Cuts every open connection (both sides see the TCP connection close). */
  public void dropAll() {
    for (NetSocket s : sockets) s.close();
  }

  /** Open connections stay open but carry nothing any more, either way (a dead peer or network). */
  public void blackholeAll() {
    for (NetSocket s : sockets) s.handler(b -> { });
  }

  /** While refusing, new connections are closed at once. */
  public void refuse(boolean on) {
    refusing = on;
  }

  public int openConnections() {
    return sockets.size() / 2;
  }

  @Override
  public void close() {
    dropAll();
    TestNode.await(vertx.close());
  }
}
