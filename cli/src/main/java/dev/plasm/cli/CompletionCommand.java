package dev.plasm.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code plasm completion bash|zsh}: a completion script for the shell you use. */
@Command(
    name = "completion",
    header = "Print a script that completes plasm's commands and options in bash or zsh.",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "",
      "The script is generated from plasm's own commands and options, so it always matches this version. In zsh it uses zsh's bash completion support (bashcompinit), which it turns on itself. Inside 'plasm shell' completion is built in and knows more: engine ids, job ids and peer ids from the daemon.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the script was printed", "64:a shell other than bash or zsh"},
    footer = {
      "",
      "Examples:",
      "  source <(plasm completion bash)                           # this bash session",
      "  plasm completion bash > ~/.local/share/bash-completion/completions/plasm",
      "  echo 'source <(plasm completion zsh)' >> ~/.zshrc"
    })
final class CompletionCommand implements Callable<Integer> {
  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "SHELL",
      completionCandidates = Shells.class,
      description = "bash or zsh.")
  String shell;

  /** The shells a script is made for. */
  static final class Shells extends java.util.ArrayList<String> {
    Shells() {
      super(java.util.List.of("bash", "zsh"));
    }
  }

  @Override
  public Integer call() {
    if (!shell.equals("bash") && !shell.equals("zsh")) {
      return new Printer(spec, main.streams)
          .fail(
              "completion",
              "no completion script for '" + shell + "'",
              "give bash or zsh",
              ExitCodes.USAGE);
    }
    // The whole command tree, as 'plasm' builds it (limit flags included); picocli's script works
    // in both shells.
    CommandLine root = Main.commandLine(main.streams, main.halt);
    String script = AutoComplete.bash("plasm", root);
    PrintWriter out = spec.commandLine().getOut();
    out.print(script);
    out.flush();
    return ExitCodes.OK;
  }
}
