package dev.plasm.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** {@code plasm completion bash|zsh}: a completion script for the shell you use. */
final class CompletionCommand implements Callable<Integer> {
  private CommandSpec spec;

  /** The command's model, in code (see {@link Specs}). */
  static CommandSpec spec() {
    CompletionCommand c = new CompletionCommand();
    CommandSpec s =
        Specs.command(
            c,
            "completion",
            "Print a script that completes plasm's commands and options in bash or zsh.");
    c.spec = s;
    java.util.Map<String, String> codes =
        Specs.exitCodes("0:the script was printed", "64:a shell other than bash or zsh");
    s.usageMessage()
        .description(
            "",
            "The script is generated from plasm's own commands and options, so it always matches this version. In zsh it uses zsh's bash completion support (bashcompinit), which it turns on itself. Inside 'plasm shell' completion is built in and knows more: engine ids, job ids and peer ids from the daemon.",
            "")
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(codes)
        .footer(
            "",
            "Examples:",
            "  source <(plasm completion bash)                           # this bash session",
            "  plasm completion bash > ~/.local/share/bash-completion/completions/plasm",
            "  echo 'source <(plasm completion zsh)' >> ~/.zshrc");
    s.addPositional(
        picocli.CommandLine.Model.PositionalParamSpec.builder()
            .index("0")
            .paramLabel("SHELL")
            .type(String.class)
            .completionCandidates(new Shells())
            .description("bash or zsh.")
            .build());
    return s;
  }

  /** The shells a script is made for. */
  static final class Shells extends java.util.ArrayList<String> {
    Shells() {
      super(java.util.List.of("bash", "zsh"));
    }
  }

  @Override
  public Integer call() {
    Main main = (Main) spec.parent().userObject();
    String shell = (String) spec.positionalParameters().get(0).getValue();
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
