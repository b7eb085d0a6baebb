package dev.plasm.api;

import java.util.Objects;

/** The module cannot run at all: it is malformed, invalid, unlinkable or has no entry point. */
public class ModuleRejectedException extends PlasmException {
  private static final long serialVersionUID = 1L;
  private final RejectionKind kind;

  public ModuleRejectedException(RejectionKind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public ModuleRejectedException(RejectionKind kind, String message) {
    this(kind, message, null);
  }

  public RejectionKind kind() {
    return kind;
  }
}
