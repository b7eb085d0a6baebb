package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plasm completion bash|zsh}: a script bash accepts that knows every command and option. */
class CompletionCommandTests {
  @TempDir Path tmp;

  @Test
  void bashCompletesCommandsAndOptions() throws Exception {
    Cli.Result r = Cli.run("completion", "bash");
    assertEquals(0, r.exitCode(), r::toString);
    for (String command :
        List.of("run", "submit", "jobs", "job", "peers", "dht", "shell", "completion")) {
      assertTrue(r.out().contains(command), command);
    }
    // The generated limit flags too: the script is made from the whole command tree.
    assertTrue(
        r.out().contains("--max-memory") && r.out().contains("--placement"),
        "limit and placement flags");
    Path script = Files.writeString(tmp.resolve("plasm.bash"), r.out());
    // Source it, then ask bash what it completes after "plasm sub" and "plasm run --max-m".
    String probe =
        "source "
            + script
            + "\n"
            + "COMP_WORDS=(plasm sub); COMP_CWORD=1; COMP_LINE='plasm sub'; COMP_POINT=9; _complete_plasm; echo \"${COMPREPLY[@]}\"\n"
            + "COMP_WORDS=(plasm run --max-m); COMP_CWORD=2; COMP_LINE='plasm run --max-m'; COMP_POINT=17; _complete_plasm; echo \"${COMPREPLY[@]}\"\n";
    // (compopt complains on stderr outside a real completion; only the candidates matter.)
    Process p =
        new ProcessBuilder("bash", "-c", probe)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(
        List.of("submit", "--max-memory --max-module-size"),
        out.lines().map(String::strip).toList(),
        out);
  }

  @Test
  void zshGetsTheSameScriptWhichTurnsOnBashCompletionInZsh() {
    Cli.Result zsh = Cli.run("completion", "zsh");
    assertEquals(0, zsh.exitCode());
    assertTrue(zsh.out().contains("ZSH_VERSION") && zsh.out().contains("bashcompinit"), zsh.out());
    assertEquals(Cli.run("completion", "bash").out(), zsh.out());
  }

  @Test
  void anotherShellIsAUsageError() {
    Cli.Result fish = Cli.run("completion", "fish");
    assertEquals(ExitCodes.USAGE, fish.exitCode());
    assertEquals(
        "plasm: completion: no completion script for 'fish'\nhint: give bash or zsh\n", fish.err());
  }
}
