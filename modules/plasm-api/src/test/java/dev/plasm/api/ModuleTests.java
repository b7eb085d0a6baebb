package dev.plasm.api;

import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: the job model every part of Plasm shares, depending on nothing but java.base. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(PlasmException.class)
        // No requires: SDKs, engines and tools use the job model alone.
        .exports("dev.plasm.api")
        .verify();
  }
}
