package dev.plasm.job;

import dev.plasm.api.ConfigurationException;
import java.util.Objects;

/**
 * A manifest (or another job document) Plasm refuses: not JSON, not the documented form, or a value
 * out of its range. Names the field as a JSON path ({@code limits.timeoutMillis}, {@code args[2]}).
 */
public final class ManifestException extends ConfigurationException {
  private static final long serialVersionUID = 1L;

  /** What kind of problem; each has a stable code (the HTTP API's error codes). */
  public enum Problem {
    /** Not JSON, empty, not an object, trailing data, a byte order mark, invalid UTF-8. */
    INVALID_JSON("invalid-json"),
    /** A key twice in one object. */
    DUPLICATE_KEY("duplicate-key"),
    /** A field the form does not define. */
    UNKNOWN_FIELD("unknown-field"),
    /** A value of the wrong type or out of range. */
    INVALID_VALUE("invalid-value"),
    /** Nested too deeply, or too large. */
    TOO_COMPLEX("too-complex");

    private final String code;

    Problem(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private final Problem problem;

  public ManifestException(Problem problem, String field, String message) {
    super(field == null ? "" : field, message);
    this.problem = Objects.requireNonNull(problem, "problem");
  }

  public Problem problem() {
    return problem;
  }

  /** The field at fault, or null when the document as a whole is. */
  public String fieldOrNull() {
    return field().isEmpty() ? null : field();
  }
}
