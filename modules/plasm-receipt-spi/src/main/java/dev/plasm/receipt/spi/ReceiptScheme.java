package dev.plasm.receipt.spi;

import dev.plasm.identity.NodeIdentity;

/** Signs and verifies the bytes of receipts. */
public interface ReceiptScheme {
  String id();

  /** Signs {@code message} with the node's key. */
  byte[] sign(NodeIdentity identity, byte[] message);

  /**
   * Why a public key must not be trusted for this scheme (wrong length, small order, not
   * canonical), or null if it is acceptable.
   */
  String publicKeyProblem(byte[] publicKey);

  /** Whether {@code signature} is a valid, canonical signature of {@code message}. */
  boolean verify(byte[] publicKey, byte[] message, byte[] signature);
}
