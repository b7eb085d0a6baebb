package dev.plasm.api;

import java.util.Objects;

/** The guest trapped; thrown where an outcome record cannot be returned. */
public class TrapException extends PlasmException {
  private static final long serialVersionUID = 1L;
  private final TrapKind kind;

  public TrapException(TrapKind kind, String message) {
    super(message);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public TrapKind kind() {
    return kind;
  }
}
