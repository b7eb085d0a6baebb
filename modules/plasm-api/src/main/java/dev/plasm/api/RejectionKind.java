package dev.plasm.api;

/** Why a module was refused before it ran, following the phases of the WebAssembly spec. */
public enum RejectionKind {
  /** The bytes are not a WebAssembly binary (bad magic, truncated, bad encoding). */
  MALFORMED("malformed"),
  /** The binary decodes but fails validation (type errors, bad indices). */
  INVALID("invalid"),
  /** An import cannot be satisfied (unknown import, wrong type). */
  UNLINKABLE("unlinkable"),
  /** Instantiation failed (a data or element segment out of bounds, a trapping start function). */
  UNINSTANTIABLE("uninstantiable"),
  /** The module exports no {@code _start} function taking and returning nothing. */
  NO_ENTRY_POINT("no-entry-point"),
  /** The engine cannot honour a setting the job asks for (e.g. fuel on an engine without a meter). */
  UNSUPPORTED("unsupported");

  private final String id;

  RejectionKind(String id) {
    this.id = id;
  }

  /** The stable lower-case name used in JSON output and documentation. */
  public String id() {
    return id;
  }
}
