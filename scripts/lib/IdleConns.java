import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens N idle WebSocket connections to a wsmsg server and holds them until stdin closes or the
 * process is killed: no frame is sent, the client only answers the server's pings (Vert.x does).
 * Used by scripts/bench-idle.sh; run from the wsmsg jar's classpath:
 *   java -cp target/wsmsg.jar scripts/lib/IdleConns.java host port N ENDPOINTS [ws|wss]
 * ENDPOINTS: 1 = every connection on endpoint idle-0; N = each its own endpoint idle-i.
 * wss: TLS, trusting any certificate (a loopback measurement only).
 * Prints "open N" once all are open (and "failed K" if some were refused).
 */
public class IdleConns {
  public static void main(String[] a) throws Exception {
    String host = a[0];
    int port = Integer.parseInt(a[1]);
    int n = Integer.parseInt(a[2]);
    int endpoints = Integer.parseInt(a[3]);
    boolean tls = a.length > 4 && a[4].equals("wss");
    String root = "/";
    Vertx vertx = Vertx.vertx();
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(Integer.MAX_VALUE)
        .setConnectTimeout(30_000).setSsl(tls).setTrustAll(tls).setVerifyHost(false));
    ConcurrentLinkedQueue<WebSocket> open = new ConcurrentLinkedQueue<>();
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger closed = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(n);
    int batch = 200;
    for (int i = 0; i < n; i += batch) {
      List<Future<WebSocket>> fs = new ArrayList<>();
      for (int j = i; j < Math.min(n, i + batch); j++) {
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost(host).setPort(port)
            .setURI(root + "idle-" + (j % endpoints) + "?window=1");
        Future<WebSocket> f = client.connect(o);
        f.onComplete(ar -> {
          if (ar.succeeded()) {
            open.add(ar.result());
            ar.result().closeHandler(v -> closed.incrementAndGet());
          } else {
            if (failed.getAndIncrement() < 3) System.err.println("failed: " + ar.cause());
          }
          done.countDown();
        });
        fs.add(f);
      }
      Future.join(fs).toCompletionStage().toCompletableFuture().handle((x, e) -> null).get();
    }
    done.await();
    System.out.println("open " + open.size() + (failed.get() > 0 ? " failed " + failed.get() : ""));
    System.out.flush();
    // hold until stdin closes
    while (System.in.read() >= 0) { }
    System.out.println("closed by server while held: " + closed.get());
    vertx.close();
  }
}
