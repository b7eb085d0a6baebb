package dev.plasm.transport.spi;

import java.util.Objects;

/**
 * The caller passed something the transport refuses (a malformed address or peer id, a key outside
 * the namespace, a value too large); {@link #field()} names it.
 */
public class InvalidInputException extends TransportException {
  private static final long serialVersionUID = 1L;
  private final String field;

  public InvalidInputException(String field, String message) {
    super(message);
    this.field = Objects.requireNonNull(field, "field");
  }

  /** The input at fault, e.g. {@code key}, {@code value}, {@code peerId}, {@code listen[0]}. */
  public String field() {
    return field;
  }
}
