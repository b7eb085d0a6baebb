package dev.plasm.transport.libp2p;

/** The secure-channel handshake failed: bad signature, bad key, decryption failure or timeout. */
public class HandshakeException extends Libp2pException {
  private static final long serialVersionUID = 1L;

  public HandshakeException(String message) {
    super(message);
  }

  public HandshakeException(String message, Throwable cause) {
    super(message, cause);
  }
}
