/**
 * The Plasm host: discovers engine plugins in the boot layer and in plugin directories (each
 * plugin in its own module layer), validates them, and runs jobs under resource limits, enforcing
 * around an engine whatever the engine cannot enforce itself. Peer-to-peer transports are found the
 * same way ({@link dev.plasm.host.TransportRegistry}).
 */
module dev.plasm.host {
  requires transitive dev.plasm.engine.spi;
  // Jobs are admitted from a manifest into a plan (dev.plasm.job), which the sandbox runs.
  requires transitive dev.plasm.job;
  // ReceiptIssuer signs with the node identity (it adapts it to the receipt SPI's Signer).
  requires transitive dev.plasm.identity;
  requires transitive dev.plasm.receipt.spi;
  requires transitive dev.plasm.transport.spi;

  exports dev.plasm.host;

  uses dev.plasm.engine.spi.WasmEngineProvider;
  uses dev.plasm.receipt.spi.ReceiptSchemeProvider;
  uses dev.plasm.transport.spi.TransportProvider;
}
