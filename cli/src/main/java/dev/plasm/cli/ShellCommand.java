package dev.plasm.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code plasm shell} (and {@code plasm} alone on a terminal): every command in a line editor with
 * completion and history. The shell itself lives in {@code dev.plasm.cli.shell}; this class only
 * connects it to the commands and names no jline type, so that building the command tree never
 * loads jline.
 */
@Command(
    name = "shell",
    header = "Run plasm commands interactively, with completion, history and live job status.",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "",
      "Reads commands at a prompt that names the daemon the shell talks to and whether it answers. Tab completes commands, options, engine ids, placements, job and peer ids (asked of the daemon, briefly) and .wasm files. History is kept in $PLASM_HOME/shell_history. Ctrl-C stops the running command (and cancels a job it submitted and waits for), never the shell; Ctrl-D or 'exit' leaves.",
      "",
      "'run' and 'daemon' start as their own process on the same terminal, so that Ctrl-C and deadlines can always stop them. Other commands read no input in the shell. The --daemon, --config and --token-file given here are the defaults of every command in the shell.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:left with Ctrl-D or exit",
      "64:bad usage, or no terminal (the shell needs one)"
    },
    footer = {"", "Examples:", "  plasm", "  plasm shell --daemon 127.0.0.1:8080"})
final class ShellCommand implements Callable<Integer> {
  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--daemon",
      paramLabel = "HOST:PORT",
      description =
          "The daemon the shell's commands talk to. Default: as for 'plasm jobs' ($PLASM_DAEMON, the running daemon's $PLASM_HOME/daemon.json, else 127.0.0.1:8080).")
  String address;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "The file holding that daemon's API token. Default: $PLASM_TOKEN, else the file 'token' in its state directory.")
  Path tokenFile;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "That daemon's config file: its api.listen and state-dir say where it and its token are.")
  Path config;

  @Override
  public Integer call() {
    DaemonClient.Options o = new DaemonClient.Options();
    o.address = address;
    o.tokenFile = tokenFile;
    o.config = config;
    return new ShellHost(main, spec, o).run();
  }
}
