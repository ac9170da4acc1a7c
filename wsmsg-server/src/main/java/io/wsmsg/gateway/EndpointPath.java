package io.wsmsg.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Turns the request path {@code <root><endpoint>} into the endpoint name, strictly. */
final class EndpointPath {
  private EndpointPath() {}

  /**
   * @return the percent-decoded endpoint
   * @throws IllegalArgumentException with a sentence saying what is wrong
   */
  static String parse(String rawPath, String root) {
    if (rawPath == null || !rawPath.startsWith(root)) {
      throw new IllegalArgumentException("the URL path must be " + root + "<endpoint>");
    }
    String seg = rawPath.substring(root.length());
    if (seg.isEmpty()) {
      throw new IllegalArgumentException("the URL path must name an endpoint: ws://host:port" + root + "<endpoint>");
    }
    if (seg.indexOf('/') >= 0) {
      throw new IllegalArgumentException("the endpoint is exactly one path segment; encode '/' as %2F");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(seg.length());
    for (int i = 0; i < seg.length(); i++) {
      char c = seg.charAt(i);
      if (c == '%') {
        if (i + 3 > seg.length()) throw new IllegalArgumentException("bad percent-encoding in the endpoint");
        int hi = Character.digit(seg.charAt(i + 1), 16);
        int lo = Character.digit(seg.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) throw new IllegalArgumentException("bad percent-encoding in the endpoint");
        out.write((hi << 4) | lo);
        i += 2;
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < seg.length()) {
          b = seg.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        out.write(b, 0, b.length);
      }
    }
    byte[] bytes = out.toByteArray();
    if (bytes.length > 255) {
      throw new IllegalArgumentException("the endpoint is longer than 255 bytes of UTF-8");
    }
    String name = io.wsmsg.protocol.Names.strictUtf8(bytes, 0, bytes.length); // as peers' names are read
    if (name == null) throw new IllegalArgumentException("the endpoint is not valid UTF-8 once percent-decoded");
    return name;
  }
}
