package dev.plasm.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code plasm shell} (and {@code plasm} alone on a terminal): every command in a line editor with
 * completion and history. The shell itself lives in {@code dev.plasm.cli.shell}; this class only
 * connects it to the commands and names no jline type, so that building the command tree never
 * loads jline.
 */
final class ShellCommand implements Callable<Integer> {
  private CommandSpec spec;

  /** The command's model, in code (see {@link Specs}). */
  static CommandSpec spec() {
    ShellCommand c = new ShellCommand();
    CommandSpec s =
        Specs.command(
            c,
            "shell",
            "Run plasm commands interactively, with completion, history and live job status.");
    c.spec = s;
    java.util.Map<String, String> codes =
        Specs.exitCodes(
            "0:left with Ctrl-D or exit", "64:bad usage, or no terminal (the shell needs one)");
    s.usageMessage()
        .description(
            "",
            "Reads commands at a prompt that names the daemon the shell talks to and whether it answers. Tab completes commands, options, engine ids, placements, job and peer ids (asked of the daemon, briefly) and .wasm files. History is kept in $PLASM_HOME/shell_history. Ctrl-C stops the running command (and cancels a job it submitted and waits for), never the shell; Ctrl-D or 'exit' leaves.",
            "",
            "'run' and 'daemon' start as their own process on the same terminal, so that Ctrl-C and deadlines can always stop them. Other commands read no input in the shell. The --daemon, --config and --token-file given here are the defaults of every command in the shell.",
            "")
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(codes)
        .footer("", "Examples:", "  plasm", "  plasm shell --daemon 127.0.0.1:8080");
    s.addOption(
        Specs.option(
            "HOST:PORT",
            String.class,
            "The daemon the shell's commands talk to. Default: as for 'plasm jobs' ($PLASM_DAEMON, the running daemon's $PLASM_HOME/daemon.json, else 127.0.0.1:8080).",
            "--daemon"));
    s.addOption(
        Specs.option(
            "FILE",
            Path.class,
            "The file holding that daemon's API token. Default: $PLASM_TOKEN, else the file 'token' in its state directory.",
            "--token-file"));
    s.addOption(
        Specs.option(
            "FILE",
            Path.class,
            "That daemon's config file: its api.listen and state-dir say where it and its token are.",
            "--config"));
    return s;
  }

  @Override
  public Integer call() {
    DaemonClient.Options o = new DaemonClient.Options();
    o.address = Specs.value(spec, "--daemon");
    o.tokenFile = Specs.value(spec, "--token-file");
    o.config = Specs.value(spec, "--config");
    return new ShellHost((Main) spec.parent().userObject(), spec, o).run();
  }
}
