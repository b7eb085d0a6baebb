package dev.plasm.cli;

import picocli.CommandLine.Option;

/** {@code --json} and {@code --quiet} of the commands that work on this machine (a picocli mixin). */
final class OutputOptions {
  @Option(
      names = "--json",
      description = "Print one JSON document instead of text (its fields: docs/cli.md).")
  boolean json;

  @Option(
      names = {"-q", "--quiet"},
      description =
          "Print only what a script needs (ids or the verdict, one per line), with no headers.")
  boolean quiet;
}
