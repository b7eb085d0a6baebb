package dev.plasm.identity;

import dev.plasm.api.PlasmException;

/**
 * A key or the node identity cannot be used: the identity file cannot be loaded, created or
 * trusted (bad file, unsafe permissions), or key bytes are malformed ({@link KeyFormatException}).
 */
public class IdentityException extends PlasmException {
  private static final long serialVersionUID = 1L;

  public IdentityException(String message) {
    super(message);
  }

  public IdentityException(String message, Throwable cause) {
    super(message, cause);
  }
}
