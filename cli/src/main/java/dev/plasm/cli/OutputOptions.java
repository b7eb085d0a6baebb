package dev.plasm.cli;

import picocli.CommandLine.Model.CommandSpec;

/** {@code --json} and {@code --quiet} of the commands that work on this machine. */
final class OutputOptions {
  boolean json;
  boolean quiet;

  /** Adds the two options to a command's model (in code, like the commands: see {@link Specs}). */
  static void addTo(CommandSpec spec) {
    spec.addOption(
        Specs.flag("Print one JSON document instead of text (its fields: docs/cli.md).", "--json"));
    spec.addOption(
        Specs.flag(
            "Print only what a script needs (ids or the verdict, one per line), with no headers.",
            "-q",
            "--quiet"));
  }

  /** The two options as parsed for a command whose model has them. */
  static OutputOptions of(CommandSpec spec) {
    OutputOptions o = new OutputOptions();
    o.json = Specs.isSet(spec, "--json");
    o.quiet = Specs.isSet(spec, "--quiet");
    return o;
  }
}
