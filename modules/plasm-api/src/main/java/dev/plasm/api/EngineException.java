package dev.plasm.api;

/** An engine or plugin failed in a way that is not the guest's fault: a bug or a broken install. */
public class EngineException extends PlasmException {
  private static final long serialVersionUID = 1L;

  public EngineException(String message) {
    super(message);
  }

  public EngineException(String message, Throwable cause) {
    super(message, cause);
  }
}
