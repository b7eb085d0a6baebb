package dev.plasm.transport.spi;

import dev.plasm.api.PlasmException;

/**
 * A transport operation failed: a listen address could not be bound, a peer could not be reached,
 * or the node is closed. Subclasses say which: {@link InvalidInputException} for a caller's bad
 * input, {@link PeerUnreachableException} for a peer that cannot be dialed.
 */
public class TransportException extends PlasmException {
  private static final long serialVersionUID = 1L;

  public TransportException(String message) {
    super(message);
  }

  public TransportException(String message, Throwable cause) {
    super(message, cause);
  }
}
