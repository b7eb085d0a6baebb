/**
 * The service contract for WebAssembly engines. An engine plugin {@code provides
 * dev.plasm.engine.spi.WasmEngineProvider}; the host finds it with ServiceLoader. The {@code
 * support} package holds helpers the host offers every engine (a confined file system for
 * preopens).
 */
module dev.plasm.engine.spi {
  requires transitive dev.plasm.api;

  exports dev.plasm.engine.spi;
  exports dev.plasm.engine.spi.support;
}
