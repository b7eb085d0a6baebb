package dev.plasm.job;

/** How a requester checks a result that another node produced. */
public enum Verify {
  /** Check the executor's signed receipt against what came back (always done). */
  RECEIPT,
  /** Also run a deterministic job again here and compare outcome and output. */
  REEXECUTE;

  /** The JSON text. */
  public String text() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
