package io.wsmsg.auth;

import java.util.Objects;

/**
 * Who is connected and what they may do.
 *
 * @param expiresAtMillis when the token expires (epoch millis), or 0 when it never does (auth
 *     mode none, or a token without {@code exp}); the gateway closes the connection then (4001)
 */
public record Identity(String subject, Permissions permissions, long expiresAtMillis) {
  public Identity {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(permissions, "permissions");
  }

  public boolean expires() {
    return expiresAtMillis > 0;
  }
}
