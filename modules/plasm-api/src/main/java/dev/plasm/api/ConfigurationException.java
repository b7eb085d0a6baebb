package dev.plasm.api;

import java.util.Objects;

/** A setting (a limit, a flag, a manifest field) has a value Plasm refuses; names the field. */
public class ConfigurationException extends PlasmException {
  private static final long serialVersionUID = 1L;
  private final String field;

  public ConfigurationException(String field, String message) {
    super(message);
    this.field = Objects.requireNonNull(field, "field");
  }

  /** The name of the offending setting, as the user wrote it (e.g. {@code --max-memory}). */
  public String field() {
    return field;
  }
}
