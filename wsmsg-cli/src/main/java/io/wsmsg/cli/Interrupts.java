package io.wsmsg.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C (SIGINT) and SIGTERM for the long-running client commands ({@code sub},
 * {@code reply}): the first signal asks the command to finish cleanly (it closes its
 * connection and exits 0), a second one ends the process at once (exit 130).
 *
 * <p>Only the real process installs signal handlers ({@link #enable()} is called by
 * {@link Main#main}); commands run in-process by tests, or embedded, never touch the JVM's
 * signals. The {@code server} command keeps the JVM's default handling, which runs its
 * graceful-stop hook.
 */
final class Interrupts {
  private Interrupts() {}

  private static volatile boolean enabled;

  static void enable() {
    enabled = true;
  }

  /** Runs {@code onFirst} on the first SIGINT or SIGTERM; returns false when signals are not handled here. */
  static boolean onInterrupt(Runnable onFirst) {
    if (!enabled) return false;
    AtomicBoolean seen = new AtomicBoolean();
    List<String> installed = new ArrayList<>();
    for (String name : new String[] {"INT", "TERM"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
          if (seen.compareAndSet(false, true)) onFirst.run();
          else Runtime.getRuntime().halt(128 + sig.getNumber());
        });
        installed.add(name);
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // that signal cannot be handled here (e.g. -Xrs): the JVM's default applies
      }
    }
    return !installed.isEmpty();
  }
}
