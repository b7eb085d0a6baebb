package dev.plasm.engine.chicory;

import dev.plasm.engine.spi.WasmEngineProvider;
import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: a plugin offering two engines on the engine SPI and Chicory; nothing exported. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(ChicoryInterpreterProvider.class)
        // The contract it implements.
        .requires("dev.plasm.engine.spi")
        // The interpreter, memories and tables.
        .requires("com.dylibso.chicory.runtime")
        // chicory-compiler: modules compiled to JVM bytecode.
        .requires("com.dylibso.chicory.compiler")
        // Chicory logs through its own facade; the plugin keeps it quiet (guest mistakes are
        // outcomes, not host log lines).
        .requires("com.dylibso.chicory.log")
        .provides(
            WasmEngineProvider.class,
            ChicoryInterpreterProvider.class,
            ChicoryCompilerProvider.class)
        .verify();
  }
}
