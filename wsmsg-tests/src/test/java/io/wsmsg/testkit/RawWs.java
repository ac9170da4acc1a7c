package io.wsmsg.testkit;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client written by hand over a plain socket, for what a well-behaved client
 * library would never send: stalled requests, compressed bombs, floods it never reads, malformed
 * paths, pings it writes itself.
 */
public final class RawWs implements AutoCloseable {
  public final Socket socket;
  public final DataInputStream in;
  public final OutputStream out;
  public int status;
  public final Map<String, String> headers = new LinkedHashMap<>();
  public String body = "";
  /** The close code the server sent, once read (-1 before). */
  public int closeCode = -1;

  private RawWs(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** A connected socket (from {@code localHost} when not null), with a small receive buffer when asked. */
  public static RawWs connect(int port, String localHost, int receiveBuffer) throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer); // before connect: fixes the window
    if (localHost != null) s.bind(new InetSocketAddress(localHost, 0));
    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    s.setSoTimeout(30_000);
    return new RawWs(s);
  }

  /** The upgrade request for {@code path}, optionally with a token and extra header lines. */
  public static String upgradeRequest(String path, String token, String... extraHeaders) {
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    StringBuilder b = new StringBuilder()
        .append("GET ").append(path).append(" HTTP/1.1\r\n")
        .append("Host: 127.0.0.1\r\n")
        .append("Upgrade: websocket\r\n")
        .append("Connection: Upgrade\r\n")
        .append("Sec-WebSocket-Version: 13\r\n")
        .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(key)).append("\r\n");
    if (token != null) b.append("Authorization: Bearer ").append(token).append("\r\n");
    for (String h : extraHeaders) b.append(h).append("\r\n");
    return b.append("\r\n").toString();
  }

  /** Connects and upgrades; the status (101 or a refusal), headers and a refusal's body are read. */
  public static RawWs open(int port, String path, String token, String... extraHeaders) throws IOException {
    RawWs ws = connect(port, null, 0);
    ws.upgrade(path, token, extraHeaders);
    return ws;
  }

  public void upgrade(String path, String token, String... extraHeaders) throws IOException {
    out.write(upgradeRequest(path, token, extraHeaders).getBytes(StandardCharsets.US_ASCII));
    out.flush();
    readResponse();
  }

  public void readResponse() throws IOException {
    String statusLine = line();
    String[] parts = statusLine.split(" ", 3);
    status = Integer.parseInt(parts[1]);
    String l;
    while (!(l = line()).isEmpty()) {
      int c = l.indexOf(':');
      headers.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
    }
    String len = headers.get("content-length");
    if (status != 101 && len != null) {
      byte[] b = new byte[Integer.parseInt(len)];
      in.readFully(b);
      body = new String(b, StandardCharsets.UTF_8);
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) throw new EOFException("the server closed the connection");
      if (c != '\r') b.write(c);
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  /** One masked frame, as a client must send it; {@code rsv1} marks it compressed. */
  public static byte[] frame(int opcode, byte[] payload, boolean rsv1) {
    ByteArrayOutputStream b = new ByteArrayOutputStream(payload.length + 14);
    b.write(0x80 | (rsv1 ? 0x40 : 0) | opcode);
    int n = payload.length;
    if (n < 126) {
      b.write(0x80 | n);
    } else if (n < 65536) {
      b.write(0x80 | 126);
      b.write(n >>> 8);
      b.write(n);
    } else {
      b.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) b.write((int) ((long) n >>> (8 * i)));
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    b.write(mask, 0, 4);
    byte[] masked = new byte[n];
    for (int i = 0; i < n; i++) masked[i] = (byte) (payload[i] ^ mask[i & 3]);
    b.write(masked, 0, n);
    return b.toByteArray();
  }

  public void send(int opcode, byte[] payload, boolean rsv1) throws IOException {
    out.write(frame(opcode, payload, rsv1));
    out.flush();
  }

  /** One frame from the server: opcode in [0], payload in [1]; a close frame records the code. */
  public Object[] readFrame() throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    long n = b1 & 0x7f;
    if (n == 126) n = in.readUnsignedShort();
    else if (n == 127) n = in.readLong();
    byte[] payload = new byte[(int) n];
    in.readFully(payload);
    int opcode = b0 & 0x0f;
    if (opcode == 8) {
      closeCode = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
    }
    return new Object[] {opcode, payload};
  }

  /**
   * Reads until the server's close frame (answering it, as a client should) or the end of the
   * stream; returns how many data frames came before it.
   */
  public int readUntilClose() throws IOException {
    int frames = 0;
    try {
      while (true) {
        Object[] f = readFrame();
        int op = (Integer) f[0];
        if (op == 8) {
          try {
            send(8, (byte[]) f[1], false);
          } catch (IOException ignored) {
            // already gone
          }
          return frames;
        }
        if (op == 1 || op == 2) frames++;
      }
    } catch (EOFException e) {
      return frames;
    }
  }

  /** True when the server has closed the connection (end of stream or reset) within the socket's timeout. */
  public boolean awaitEof() throws IOException {
    InputStream raw = socket.getInputStream();
    byte[] buf = new byte[4096];
    try {
      while (raw.read(buf) >= 0) {
        // discard
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by the server
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
