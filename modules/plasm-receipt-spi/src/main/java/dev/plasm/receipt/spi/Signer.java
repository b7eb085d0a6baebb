package dev.plasm.receipt.spi;

/**
 * A private key that signs receipts, seen only through what a scheme needs: the key never leaves
 * its holder (the node identity, a hardware key, a test key).
 *
 * <p>Not to be confused with {@link Receipt.Signer}, the signer's name and public key as the
 * receipt document states them.
 */
public interface Signer {
  /**
   * The signature algorithm of the key, in the form of a scheme id ({@code ed25519}); a scheme
   * refuses a signer whose algorithm it does not sign with.
   */
  String algorithm();

  /** The public key in the scheme's raw form (32 bytes for {@code ed25519}). */
  byte[] publicKey();

  /** Signs {@code message} with the private key. */
  byte[] sign(byte[] message);
}
