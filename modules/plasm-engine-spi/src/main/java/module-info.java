/**
 * The service contract for WebAssembly engines. An engine plugin {@code provides
 * dev.plasm.engine.spi.WasmEngineProvider}; the host finds it with ServiceLoader. The {@code
 * support} packages hold helpers for engine authors: a confined file system for preopens, the
 * deterministic clock and random, and ({@code support.wasi}) a complete WASI preview 1 for engines
 * that run in Java.
 */
module dev.plasm.engine.spi {
  requires transitive dev.plasm.api;

  exports dev.plasm.engine.spi;
  exports dev.plasm.engine.spi.support;
  exports dev.plasm.engine.spi.support.wasi;
}
