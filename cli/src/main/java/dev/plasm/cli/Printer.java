package dev.plasm.cli;

import dev.plasm.cli.term.Style;
import dev.plasm.cli.term.Table;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * How every command prints, so that all print alike: tables aligned (coloured and fitted to the
 * width on a terminal, plain on a pipe), {@code --quiet} as ids only, errors on stderr as {@code
 * plasm: COMMAND: message} and one {@code hint:} line, and the end-of-job summary only on a terminal.
 */
final class Printer {
  private final CommandSpec spec;
  private final Streams streams;

  /** Colour for stdout and for stderr: each only when that stream is a terminal. */
  final Style out;

  final Style err;

  Printer(CommandSpec spec, Streams streams) {
    this.spec = spec;
    this.streams = streams;
    this.out = Style.of(streams.env(), streams.tty().out());
    this.err = Style.of(streams.env(), streams.tty().err());
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** The terminal's width when stdout is one and {@code COLUMNS} says it (the shell sets it), else 0. */
  int width() {
    if (!streams.tty().out()) {
      return 0;
    }
    try {
      return Math.max(0, Integer.parseInt(streams.env().getOrDefault("COLUMNS", "0").strip()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Whether a person watches stderr: a status line and a summary are for them (not with --json or --quiet). */
  boolean interactive(boolean json, boolean quiet) {
    return streams.tty().err() && !json && !quiet;
  }

  /** Prints {@code rows} as {@code table}, or with {@code quiet} only their first column (ids). */
  <T> void table(Table<T> table, List<T> rows, boolean quiet) {
    PrintWriter w = out();
    if (quiet) {
      table.printFirstColumn(w, rows);
    } else {
      table.print(w, rows, out, width());
    }
    w.flush();
  }

  /**
   * Reports an error on stderr and returns {@code exitCode}: {@code plasm: WHAT: MESSAGE}, then
   * {@code hint: HINT} when there is one.
   */
  int fail(String what, String message, String hint, int exitCode) {
    PrintWriter w = err();
    w.println(
        err.red("plasm:") + " " + (what == null || what.isEmpty() ? "" : what + ": ") + message);
    if (hint != null && !hint.isEmpty()) {
      w.println(err.dim("hint: " + hint));
    }
    w.flush();
    return exitCode;
  }

  /** A failed call to a daemon, with the hint for its kind of failure. */
  int fail(String what, DaemonClient.Failure f) {
    return fail(what, f.getMessage(), Hints.of(f, spec.qualifiedName()), f.exitCode);
  }

  /** A line that ends a job's run on a terminal: outcome, time, where it ran, the receipt. */
  void summary(String line) {
    PrintWriter w = err();
    w.println(line);
    w.flush();
  }
}
