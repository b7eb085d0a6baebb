/**
 * The engine TCK: an engine plugin's test class extends {@link dev.plasm.engine.tck.WasmEngineTck}
 * and names its provider; the kit checks the SPI contract, spec behaviour, the limits the engine
 * claims, WASI, and isolation.
 */
module dev.plasm.engine.tck {
  requires transitive dev.plasm.engine.spi;
  requires transitive org.junit.jupiter.api;
  requires dev.plasm.fixtures;

  exports dev.plasm.engine.tck;

  // JUnit instantiates and reflects on the kit's test methods.
  opens dev.plasm.engine.tck to
      org.junit.platform.commons;
}
