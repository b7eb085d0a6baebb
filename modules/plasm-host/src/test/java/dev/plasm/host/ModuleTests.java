package dev.plasm.host;

import dev.plasm.engine.spi.WasmEngineProvider;
import dev.plasm.fixtures.ModuleRules;
import dev.plasm.receipt.spi.ReceiptSchemeProvider;
import dev.plasm.transport.spi.TransportProvider;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: plugin discovery, admission, the sandbox and receipts, on the three SPIs and the job's wire form. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(Sandbox.class)
        // Engines are found, chosen and run through the engine SPI; EngineInfo shows its
        // descriptors.
        .requiresTransitive("dev.plasm.engine.spi")
        // Admission turns a JobManifest into a JobPlan, which the sandbox runs.
        .requiresTransitive("dev.plasm.job")
        // ReceiptIssuer signs with a NodeIdentity, adapted to the receipt SPI's Signer; the
        // verifier derives peer ids.
        .requiresTransitive("dev.plasm.identity")
        // ReceiptIssuer and ReceiptVerifier hand out and take Receipts.
        .requiresTransitive("dev.plasm.receipt.spi")
        // TransportRegistry hands out TransportProviders.
        .requiresTransitive("dev.plasm.transport.spi")
        .exports("dev.plasm.host")
        // One plugin loader serves all three plugin kinds.
        .uses(WasmEngineProvider.class)
        .uses(ReceiptSchemeProvider.class)
        .uses(TransportProvider.class)
        .verify();
  }
}
