package dev.plasm.api;

import java.util.Objects;

/** A job went past one of its resource limits; thrown where an outcome record cannot be returned. */
public class LimitExceededException extends PlasmException {
  private static final long serialVersionUID = 1L;
  private final Limit limit;

  public LimitExceededException(Limit limit, String message) {
    super(message);
    this.limit = Objects.requireNonNull(limit, "limit");
  }

  public Limit limit() {
    return limit;
  }
}
