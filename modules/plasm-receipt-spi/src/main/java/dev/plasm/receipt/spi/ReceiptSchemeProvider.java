package dev.plasm.receipt.spi;

/**
 * A receipt signature scheme, found with {@link java.util.ServiceLoader}; the receipt's {@code
 * scheme} field names the provider that signed it. The constructor MUST be cheap.
 */
public interface ReceiptSchemeProvider {
  /** The scheme id written into receipts, {@code [a-z0-9-]+} (e.g. {@code ed25519}). */
  String id();

  ReceiptScheme create();
}
