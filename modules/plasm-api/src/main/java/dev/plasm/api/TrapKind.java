package dev.plasm.api;

/** The kinds of trap the WebAssembly spec defines, plus the host-side ones Plasm reports. */
public enum TrapKind {
  UNREACHABLE("unreachable"),
  INTEGER_DIVIDE_BY_ZERO("integer-divide-by-zero"),
  INTEGER_OVERFLOW("integer-overflow"),
  INVALID_CONVERSION("invalid-conversion-to-integer"),
  OUT_OF_BOUNDS_MEMORY("out-of-bounds-memory-access"),
  OUT_OF_BOUNDS_TABLE("out-of-bounds-table-access"),
  UNDEFINED_ELEMENT("undefined-element"),
  UNINITIALIZED_ELEMENT("uninitialized-element"),
  INDIRECT_CALL_TYPE_MISMATCH("indirect-call-type-mismatch"),
  NULL_REFERENCE("null-reference"),
  STACK_OVERFLOW("call-stack-exhausted"),
  /** The guest called a host (WASI) function the engine does not provide or that failed hard. */
  HOST_FUNCTION("host-function"),
  /** A trap the engine reported without a kind Plasm recognises; the message says more. */
  OTHER("other");

  private final String id;

  TrapKind(String id) {
    this.id = id;
  }

  /** The stable lower-case name used in JSON output and documentation. */
  public String id() {
    return id;
  }
}
