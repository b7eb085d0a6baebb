package dev.plasm.engine.spi.support.wasi;

/** Thrown by {@code proc_exit}: the guest ends with this exit code, whatever it is. */
public final class WasiExitException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  public WasiExitException(int exitCode) {
    super("proc_exit(" + exitCode + ")", null, false, false);
    this.exitCode = exitCode;
  }

  /** The code the guest gave, unchanged (126 and above, and negative values too). */
  public int exitCode() {
    return exitCode;
  }
}
