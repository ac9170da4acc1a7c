package io.wsmsg.auth;

import java.util.Objects;

/**
 * Who is connected and what they may do.
 *
 * @param expiresAtMillis when the token expires (epoch millis), or 0 when it never does (auth
 *     mode none, or a token without {@code exp}); the gateway closes the connection then (4001)
 * @param quotas the token's own quotas ({@code wsmsg.quotas}); unset values are the defaults
 */
public record Identity(String subject, Permissions permissions, long expiresAtMillis, Quotas quotas) {
  public Identity {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(permissions, "permissions");
    Objects.requireNonNull(quotas, "quotas");
  }

  /** An identity whose quotas are the configured defaults ({@code limits.perIdentity}). */
  public Identity(String subject, Permissions permissions, long expiresAtMillis) {
    this(subject, permissions, expiresAtMillis, Quotas.DEFAULTS);
  }

  public boolean expires() {
    return expiresAtMillis > 0;
  }
}
