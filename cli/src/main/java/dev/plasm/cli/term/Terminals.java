package dev.plasm.cli.term;

import org.jline.terminal.Terminal;

/**
 * The terminal of the running shell, if any: commands the shell runs draw their status line on
 * it instead of opening a second terminal on the same device.
 */
public final class Terminals {
  private static volatile Terminal shared;

  private Terminals() {}

  public static Terminal shared() {
    return shared;
  }

  /** Set by the shell for its lifetime; null when it ends. */
  public static void share(Terminal terminal) {
    shared = terminal;
  }
}
