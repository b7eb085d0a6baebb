package dev.plasm.identity;

/**
 * Bytes that should be a libp2p key are not a usable one: a malformed {@code PublicKey} or {@code
 * PrivateKey} protobuf, key data of the wrong form, a weak key (small-order Ed25519 point, short
 * RSA modulus).
 */
public class KeyFormatException extends IdentityException {
  private static final long serialVersionUID = 1L;

  public KeyFormatException(String message) {
    super(message);
  }

  public KeyFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
