package dev.plasm.identity;

/** The libp2p key types, with their protobuf {@code KeyType} numbers (libp2p peer-ids spec). */
public enum KeyType {
  /** PKIX DER public keys, PKCS#1 v1.5 signatures with SHA-256. */
  RSA(0),
  /** Raw 32-byte keys, pure Ed25519 signatures (RFC 8032). */
  ED25519(1),
  /** Compressed 33-byte points, DER ECDSA signatures over SHA-256 (Bitcoin's curve). */
  SECP256K1(2),
  /** PKIX DER public keys on P-256, DER ECDSA signatures over SHA-256. */
  ECDSA(3);

  private final int code;

  KeyType(int code) {
    this.code = code;
  }

  /** The protobuf {@code KeyType} number. */
  public int code() {
    return code;
  }

  /**
   * The key type of a protobuf number.
   *
   * @throws UnsupportedKeyTypeException for a number libp2p does not define
   */
  public static KeyType of(long code) {
    for (KeyType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    throw new UnsupportedKeyTypeException(
        "unknown libp2p key type " + code + " (0 RSA, 1 Ed25519, 2 secp256k1, 3 ECDSA)");
  }
}
