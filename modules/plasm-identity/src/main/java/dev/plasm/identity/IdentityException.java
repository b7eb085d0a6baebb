package dev.plasm.identity;

import dev.plasm.api.PlasmException;

/** The node identity cannot be loaded, created or trusted (bad file, unsafe permissions). */
public class IdentityException extends PlasmException {
  private static final long serialVersionUID = 1L;

  public IdentityException(String message) {
    super(message);
  }

  public IdentityException(String message, Throwable cause) {
    super(message, cause);
  }
}
