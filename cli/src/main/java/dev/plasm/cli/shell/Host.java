package dev.plasm.cli.shell;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;

/**
 * What the shell needs from plasm: the commands, a way to run one, and the values completion
 * offers. Values that come from a daemon are asked for with a short timeout and may be empty.
 */
public interface Host {
  /** A fresh command tree, read (never executed) for completion: commands, options, labels. */
  CommandLine commands();

  /** Runs one command line (the words after {@code plasm}); returns its exit code. */
  int execute(List<String> words, int columns);

  /** Ctrl-C while a command runs: stop it (and cancel a job it submitted and waits for). */
  void interrupt();

  /** Engine ids for {@code --engine} of {@code command} ("run": this machine's; "submit": the daemon's). */
  List<String> engines(String command);

  /** Ids of the daemon's newest jobs. */
  List<String> jobIds();

  /** Ids of the peers the daemon is connected to. */
  List<String> peerIds();

  /** The daemon the shell talks to, as {@code HOST:PORT}. */
  String daemon();

  /** Whether that daemon answers now (asked briefly, and not more often than every few seconds). */
  boolean daemonUp();

  /** The history file ({@code $PLASM_HOME/shell_history}). */
  Path history();

  /** Plasm's version, for the greeting. */
  String version();

  /** Whether colour is allowed ({@code NO_COLOR}, {@code TERM=dumb}). */
  boolean colour();
}
