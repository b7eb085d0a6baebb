package dev.plasm.transport.spi;

import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: the peer-to-peer transport contract, on the job model only. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(TransportProvider.class)
        // TransportException extends PlasmException.
        .requiresTransitive("dev.plasm.api")
        .exports("dev.plasm.transport.spi")
        .verify();
  }
}
