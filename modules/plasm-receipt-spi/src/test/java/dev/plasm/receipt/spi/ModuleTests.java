package dev.plasm.receipt.spi;

import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/**
 * The module's allowed shape: the receipt document, its canonical form and the scheme contract,
 * on the API and Jackson only. Schemes sign through a {@link Signer}: the SPI does not depend on
 * dev.plasm.identity (the node's key store), so neither does a receipt plugin.
 */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(ReceiptSchemeProvider.class)
        // ReceiptException extends PlasmException.
        .requiresTransitive("dev.plasm.api")
        // ReceiptCodec hands out Jackson trees.
        .requiresTransitive("tools.jackson.databind")
        .exports("dev.plasm.receipt.spi")
        .verify();
  }
}
