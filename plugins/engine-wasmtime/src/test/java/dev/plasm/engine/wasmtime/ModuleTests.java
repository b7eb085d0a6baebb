package dev.plasm.engine.wasmtime;

import dev.plasm.engine.spi.WasmEngineProvider;
import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: a plugin offering wasmtime on the engine SPI and wasmtime-java; nothing exported. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(WasmtimeEngineProvider.class)
        // The contract it implements.
        .requires("dev.plasm.engine.spi")
        // The JNI binding (an automatic module named after its jar; the image gives it a
        // descriptor).
        .requires("wasmtime.java")
        // wasmtime-java logs through slf4j, and an automatic module brings nothing into the graph.
        .requires("org.slf4j")
        .provides(WasmEngineProvider.class, WasmtimeEngineProvider.class)
        .verify();
  }
}
