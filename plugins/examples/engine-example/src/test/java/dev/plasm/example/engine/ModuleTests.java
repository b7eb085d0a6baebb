package dev.plasm.example.engine;

import dev.plasm.engine.spi.WasmEngineProvider;
import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: the plugin-author guide's engine, on the engine SPI alone; nothing exported. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(ExampleEngineProvider.class)
        // The contract it implements (provided scope: the host supplies it at run time).
        .requires("dev.plasm.engine.spi")
        // It finds the engine it wraps (chicory-interpreter) through the service the host uses.
        .uses(WasmEngineProvider.class)
        .provides(WasmEngineProvider.class, ExampleEngineProvider.class)
        .verify();
  }
}
