package dev.plasm.receipt.spi;

/** Signs and verifies the bytes of receipts. */
public interface ReceiptScheme {
  String id();

  /**
   * Signs {@code message} through {@code signer}.
   *
   * @throws ReceiptException (field {@code signer}) if the signer's key is not one this scheme
   *     signs with
   */
  byte[] sign(Signer signer, byte[] message);

  /**
   * Why a public key must not be trusted for this scheme (wrong length, small order, not
   * canonical), or null if it is acceptable.
   */
  String publicKeyProblem(byte[] publicKey);

  /** Whether {@code signature} is a valid, canonical signature of {@code message}. */
  boolean verify(byte[] publicKey, byte[] message, byte[] signature);
}
