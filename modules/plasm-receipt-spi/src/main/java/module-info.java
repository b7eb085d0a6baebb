/**
 * Signed execution receipts: the {@link dev.plasm.receipt.spi.Receipt} document, its canonical
 * byte form (RFC 8785 JSON), strict parsing, and the {@code ReceiptSchemeProvider} service that
 * signature schemes implement. Schemes sign through a {@link dev.plasm.receipt.spi.Signer}, so
 * neither this SPI nor a scheme sees the node's key store.
 */
module dev.plasm.receipt.spi {
  // ReceiptException extends dev.plasm.api.PlasmException.
  requires transitive dev.plasm.api;
  // ReceiptCodec hands out Jackson trees, so readers of this module read Jackson too.
  requires transitive tools.jackson.databind;

  exports dev.plasm.receipt.spi;
}
