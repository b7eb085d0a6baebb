package dev.plasm.engine.spi.support.wasi;

/**
 * Thrown when the run's thread is interrupted while the guest waits in a WASI call (a {@code
 * poll_oneoff} sleep), or by an engine that stops an interrupted guest at its next WASI call: the
 * host is stopping the job at its deadline. The thread's interrupt flag stays set.
 */
public final class GuestInterruptedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public GuestInterruptedException() {
    super("the guest was interrupted while it waited in a WASI call", null, false, false);
  }
}
