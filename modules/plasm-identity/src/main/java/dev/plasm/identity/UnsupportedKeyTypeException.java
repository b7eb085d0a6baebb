package dev.plasm.identity;

/** A key of a type, or on a curve, that Plasm does not support (an unknown type number, ECDSA off P-256). */
public class UnsupportedKeyTypeException extends KeyFormatException {
  private static final long serialVersionUID = 1L;

  public UnsupportedKeyTypeException(String message) {
    super(message);
  }
}
