package dev.plasm.engine.tck;

import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: the JUnit 5 kit engine plugins run, on the engine SPI, JUnit and the test programs. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(WasmEngineTck.class)
        // The kit runs an engine through its WasmEngineProvider.
        .requiresTransitive("dev.plasm.engine.spi")
        // A plugin's test class extends WasmEngineTck, a JUnit 5 test.
        .requiresTransitive("org.junit.jupiter.api")
        // The WebAssembly programs the kit runs.
        .requires("dev.plasm.fixtures")
        .exports("dev.plasm.engine.tck")
        // JUnit instantiates and reflects on the kit's test methods.
        .opensTo("dev.plasm.engine.tck", "org.junit.platform.commons")
        .verify();
  }
}
