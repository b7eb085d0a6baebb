package dev.plasm.host;

/**
 * What the sandbox does when a guest passes its deadline and its engine does not stop it.
 *
 * <p>Some engines cannot be interrupted on every loop shape (Chicory 1.7.5's interpreter on a
 * {@code br_if} back-edge) or inside a blocking host call. Java cannot kill a thread, so the only
 * hard stop is to end the process: {@code plasm run} does that, and the daemon runs jobs in worker
 * processes it can kill.
 */
@FunctionalInterface
public interface RunawayPolicy {

  /** Leaves the thread running (it is a daemon thread) and returns the timeout outcome. */
  RunawayPolicy ABANDON_THREAD = (result, guest) -> {};

  /**
   * Called once, on the watchdog thread, with the result (its outcome is the wall-time limit). It
   * may end the process; if it returns, the sandbox returns the result and leaves the guest thread
   * behind.
   */
  void onRunaway(JobResult result, Thread guest);
}
