package dev.plasm.api;

import java.util.Objects;

/**
 * A value a limit cannot take. It carries the {@link Limit}, not a field name: each edge names the
 * limit its own way ({@code --timeout}, {@code limits.timeoutMillis}, {@code limits.timeout}) with
 * {@link #messageFor}. Its {@link #field()} is the manifest's name, {@code limits.<jsonName>}.
 */
public final class LimitValueException extends ConfigurationException {
  private static final long serialVersionUID = 1L;
  private final transient Limit limit;
  private final String problem;

  public LimitValueException(Limit limit, String problem) {
    super("limits." + limit.jsonName(), "limits." + limit.jsonName() + ": " + problem);
    this.limit = Objects.requireNonNull(limit, "limit");
    this.problem = problem;
  }

  public Limit limit() {
    return limit;
  }

  /** What is wrong, without a name: {@code "0s is out of range; give 1ms to 24h"}. */
  public String problem() {
    return problem;
  }

  /** The message as an edge that calls the limit {@code name} shows it. */
  public String messageFor(String name) {
    return name + ": " + problem;
  }
}
