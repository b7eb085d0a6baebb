package dev.plasm.transport.libp2p;

/**
 * A peer uses a key type this stack cannot verify with the plain JDK (secp256k1, which the JDK
 * dropped in 16), or an unknown type.
 */
public class UnsupportedKeyTypeException extends Libp2pException {
  private static final long serialVersionUID = 1L;

  public UnsupportedKeyTypeException(String message) {
    super(message);
  }
}
