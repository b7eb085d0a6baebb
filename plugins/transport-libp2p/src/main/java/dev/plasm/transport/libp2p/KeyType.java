package dev.plasm.transport.libp2p;

/** The libp2p key types, with their protobuf {@code KeyType} numbers. */
public enum KeyType {
  RSA(0),
  ED25519(1),
  /** Recognised so it can be refused clearly: the JDK has no secp256k1 since JDK 16. */
  SECP256K1(2),
  ECDSA(3);

  private final int code;

  KeyType(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** The key type of a protobuf number; an unknown number is an {@link UnsupportedKeyTypeException}. */
  public static KeyType of(long code) {
    for (KeyType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    throw new UnsupportedKeyTypeException("unknown libp2p key type " + code);
  }
}
