package dev.plasm.cli;

/**
 * What Ctrl-C does while a command waits for a job it submitted itself ({@code submit --wait} or
 * {@code --follow}): the job is cancelled on the daemon too, so that nothing keeps running unseen.
 * In the shell the shell's Ctrl-C handler runs the cancellation; otherwise a shutdown hook does,
 * as plasm ends on SIGINT.
 */
final class Interrupts {
  /** Set by the shell: Ctrl-C reaches {@link #interrupt} instead of ending the process. */
  private static volatile boolean inShell;

  private static volatile Runnable pending;

  private Interrupts() {}

  static void inShell(boolean shell) {
    inShell = shell;
  }

  /** Runs {@code cancel} on Ctrl-C until the returned handle is closed. */
  static Scope onInterrupt(Runnable cancel) {
    if (inShell) {
      pending = cancel;
      return () -> pending = null;
    }
    Thread hook = new Thread(cancel, "plasm-cancel-on-exit");
    Runtime.getRuntime().addShutdownHook(hook);
    return () -> {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook runs.
      }
    };
  }

  /** The shell's Ctrl-C: runs the pending cancellation, if any, once. */
  static void interrupt() {
    Runnable r = pending;
    pending = null;
    if (r != null) {
      r.run();
    }
  }

  /** A registration to end when the wait is over. */
  interface Scope extends AutoCloseable {
    @Override
    void close();
  }
}
