/**
 * Signed execution receipts: the {@link dev.plasm.receipt.spi.Receipt} document, its canonical
 * byte form (RFC 8785 JSON), strict parsing, and the {@code ReceiptSchemeProvider} service that
 * signature schemes implement.
 */
module dev.plasm.receipt.spi {
  requires transitive dev.plasm.identity;
  // ReceiptCodec hands out Jackson trees, so readers of this module read Jackson too.
  requires transitive tools.jackson.databind;

  exports dev.plasm.receipt.spi;
}
