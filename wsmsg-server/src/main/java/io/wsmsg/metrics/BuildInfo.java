package io.wsmsg.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/** What this process runs: wsmsg's version (from the build), the Java version and Vert.x's version. */
public record BuildInfo(String version, String java, String vertx) {
  private static final String UNKNOWN = "unknown";

  /** Read once from the classpath; "unknown" for whatever cannot be found. */
  public static BuildInfo current() {
    String version = UNKNOWN;
    try (InputStream in = BuildInfo.class.getResourceAsStream("/io/wsmsg/build.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version", "");
        if (!v.isBlank() && !v.startsWith("${")) version = v.trim(); // "${": an unfiltered copy
      }
    } catch (IOException e) {
      // unknown
    }
    String vertx = UNKNOWN;
    // vertx-core ships its version as a resource (the shaded jar keeps it)
    try (InputStream in = io.vertx.core.Vertx.class.getResourceAsStream("/META-INF/vertx/vertx-version.txt")) {
      if (in != null) {
        String v = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!v.isEmpty()) vertx = v;
      }
    } catch (IOException e) {
      // unknown
    }
    return new BuildInfo(version, System.getProperty("java.version", UNKNOWN), vertx);
  }
}
