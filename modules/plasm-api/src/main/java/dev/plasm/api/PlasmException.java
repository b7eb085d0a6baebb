package dev.plasm.api;

/**
 * The root of every error Plasm reports; subclasses name the phase that failed.
 *
 * <p>It is unchecked because callers almost never recover locally: the CLI maps each subclass to a
 * documented exit code and the daemon to an error code in its HTTP answer.
 */
public class PlasmException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PlasmException(String message) {
    super(message);
  }

  public PlasmException(String message, Throwable cause) {
    super(message, cause);
  }
}
