package dev.plasm.engine.spi;

import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: the engine plugin contract, on the job model only. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(WasmEngineProvider.class)
        // Engines take ResourceLimits and return ExecutionOutcomes.
        .requiresTransitive("dev.plasm.api")
        .exports("dev.plasm.engine.spi")
        // Helpers the host offers every engine (ConfinedFileSystem for preopens).
        .exports("dev.plasm.engine.spi.support")
        // Plasm's WASI preview 1 for engines that run in Java (both Chicory engines and wasmtime's
        // shim use it).
        .exports("dev.plasm.engine.spi.support.wasi")
        .verify();
  }
}
