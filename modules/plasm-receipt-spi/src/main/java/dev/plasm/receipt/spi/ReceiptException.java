package dev.plasm.receipt.spi;

import dev.plasm.api.PlasmException;

/** A receipt document is not well-formed: bad JSON, a duplicate or unknown field, a bad value. */
public class ReceiptException extends PlasmException {
  private static final long serialVersionUID = 1L;
  private final String field;

  public ReceiptException(String field, String message) {
    super(field.isEmpty() ? message : field + ": " + message);
    this.field = field;
  }

  /** The JSON path of the offending field, e.g. {@code outcome.exitCode}; empty for the document. */
  public String field() {
    return field;
  }
}
