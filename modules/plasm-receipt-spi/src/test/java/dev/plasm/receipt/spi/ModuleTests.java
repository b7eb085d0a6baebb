package dev.plasm.receipt.spi;

import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: the receipt document, its canonical form and the scheme contract. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(ReceiptSchemeProvider.class)
        // DEBT: ReceiptScheme.sign takes a NodeIdentity, so the SPI (and every receipt plugin,
        // by implied readability) depends on the node's key store; issue 11 item 3 wants schemes
        // to sign through a Signer. Until then the SPI re-exports identity (and, through it, the API).
        .requiresTransitive("dev.plasm.identity")
        // ReceiptCodec hands out Jackson trees.
        .requiresTransitive("tools.jackson.databind")
        .exports("dev.plasm.receipt.spi")
        .verify();
  }
}
