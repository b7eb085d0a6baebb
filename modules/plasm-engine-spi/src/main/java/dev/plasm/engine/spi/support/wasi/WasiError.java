package dev.plasm.engine.spi.support.wasi;

/** A WASI call failed with an errno; cheap (no stack trace), caught where the call returns. */
final class WasiError extends Exception {
  private static final long serialVersionUID = 1L;
  final int errno;

  WasiError(int errno) {
    super(null, null, false, false);
    this.errno = errno;
  }
}
