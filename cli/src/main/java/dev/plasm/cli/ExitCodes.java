package dev.plasm.cli;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;

/**
 * The exit codes of {@code plasm}. A guest that exits with code N makes {@code plasm run} exit with
 * N; Plasm's own codes sit where few programs exit on purpose, and {@code --json} always tells the
 * two apart.
 */
public final class ExitCodes {
  public static final int OK = 0;

  /** Bad command line or settings: an unknown flag, a value out of range, an unknown engine. */
  public static final int USAGE = 64;

  /** The module was refused: malformed, invalid, unlinkable, uninstantiable or without _start. */
  public static final int MODULE_REJECTED = 65;

  /** The module file does not exist or cannot be read. */
  public static final int NO_INPUT = 66;

  /** An engine or plugin failed (a bug, not the guest's fault). */
  public static final int INTERNAL = 70;

  // A job stopped by a limit exits with that limit's code (Limit.exitCode()); named here for
  // callers.
  public static final int LIMIT_TABLE = Limit.TABLE.exitCode();
  public static final int LIMIT_MODULE_SIZE = Limit.MODULE_SIZE.exitCode();
  public static final int LIMIT_OUTPUT = Limit.OUTPUT.exitCode();
  public static final int LIMIT_MEMORY = Limit.MEMORY.exitCode();
  public static final int LIMIT_FUEL = Limit.FUEL.exitCode();
  public static final int LIMIT_TIMEOUT = Limit.WALL_TIME.exitCode();

  /** The guest trapped. */
  public static final int TRAP = 134;

  /** The job was cancelled (by a client, or Ctrl-C). */
  public static final int CANCELLED = 130;

  /** The node stopped the job (shutdown, crash) or lost it: not the guest's doing; submit it again. */
  public static final int INTERRUPTED = 75;

  /** {@code receipt verify}: authentic and matching, but the signer is not trusted. */
  public static final int RECEIPT_UNTRUSTED = 10;

  /** {@code receipt verify}: a signature, hash, key, peer id, job id or nonce does not match. */
  public static final int RECEIPT_INVALID = 11;

  /** {@code receipt verify}: the file is not a well-formed receipt. */
  public static final int RECEIPT_MALFORMED = 12;

  /** {@code receipt verify --reexecute}: the new run's outcome or output differs. */
  public static final int RECEIPT_REEXECUTION_MISMATCH = 13;

  /** The list shown by {@code plasm receipt verify --help}. */
  static final String[] RECEIPT_HELP = {
    "0:the receipt is authentic, every given file matches, and the signer is trusted",
    RECEIPT_UNTRUSTED + ":authentic and matching, but the signer is not trusted (give --trust)",
    RECEIPT_INVALID
        + ":signature, key, peer id, settings hash, a file, the job id or the nonce does not match",
    RECEIPT_MALFORMED
        + ":not a well-formed receipt (bad JSON, duplicate or unknown field, bad value)",
    RECEIPT_REEXECUTION_MISMATCH + ":--reexecute gave another outcome or other output",
    USAGE + ":bad usage",
    NO_INPUT + ":a file is missing or unreadable",
  };

  /** A guest exit code that does not fit a process exit status (outside 0-255) becomes this. */
  public static final int GUEST_CODE_OUT_OF_RANGE = 1;

  /** The list shown by {@code --help}, one "code:description" entry per line. */
  static final String[] HELP = help();

  private static String[] help() {
    java.util.List<String> h =
        new java.util.ArrayList<>(
            java.util.List.of(
                "0:the guest finished with exit code 0",
                "N:the guest called proc_exit(N) (0-255; other codes become 1)",
                USAGE + ":bad usage: unknown option, value out of range, unknown engine",
                MODULE_REJECTED + ":module rejected: malformed, invalid, unlinkable, no _start",
                NO_INPUT + ":module file missing or unreadable",
                INTERNAL + ":internal error in an engine or plugin"));
    for (Limit l : Limit.values()) {
      if (l.exitCode() != USAGE) {
        h.add(l.exitCode() + ":" + l.id() + " limit exceeded (" + l.flag() + ")");
      }
    }
    h.add(TRAP + ":the guest trapped");
    return h.toArray(String[]::new);
  }

  private ExitCodes() {}

  /** The process exit code for an outcome. */
  public static int of(ExecutionOutcome outcome) {
    return switch (outcome) {
      case ExecutionOutcome.Completed c ->
          c.exitCode() >= 0 && c.exitCode() <= 255 ? c.exitCode() : GUEST_CODE_OUT_OF_RANGE;
      case ExecutionOutcome.Trapped t -> TRAP;
      case ExecutionOutcome.LimitExceeded l -> l.limit().exitCode();
      case ExecutionOutcome.Rejected r -> MODULE_REJECTED;
      case ExecutionOutcome.Failed f -> INTERNAL;
      case ExecutionOutcome.Cancelled c -> CANCELLED;
      case ExecutionOutcome.Interrupted i -> INTERRUPTED;
    };
  }
}
