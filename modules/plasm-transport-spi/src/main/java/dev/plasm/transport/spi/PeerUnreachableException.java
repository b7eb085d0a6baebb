package dev.plasm.transport.spi;

/** A peer could not be found or dialed, or it does not speak the protocol asked for. */
public class PeerUnreachableException extends TransportException {
  private static final long serialVersionUID = 1L;

  public PeerUnreachableException(String message) {
    super(message);
  }

  public PeerUnreachableException(String message, Throwable cause) {
    super(message, cause);
  }
}
