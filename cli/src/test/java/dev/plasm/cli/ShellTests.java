package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Tmux;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code plasm shell} on a real pseudo-terminal (tmux), talking to a real daemon: what a person
 * sees after pressing Tab, Ctrl-C and Ctrl-D, read off the screen.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ShellTests extends OnATerminal {
  static Tmux shell(String name) throws Exception {
    return terminal(name, 120, 40, Fixture.plasmCommand("shell"));
  }

  /** Waits for a fresh prompt on the last line (the daemon is up). */
  static String prompt(Tmux t) throws Exception {
    return t.await(
        "a prompt",
        s ->
            Tmux.lastLine(s).matches(".*plasm \\[[^]]+ up\\].* › $")
                || Tmux.lastLine(s).endsWith(" ›"));
  }

  @Test
  void tabCompletesCommandsOptionsEnginesModulesAndJobIds() throws Exception {
    Cli.Result submitted =
        Cli.run(
            new byte[0], daemon.env(), "submit", "--wait", work.resolve("hello.wasm").toString());
    assertEquals(0, submitted.exitCode(), submitted::toString);
    String jobId =
        Cli.run(new byte[0], daemon.env(), "jobs", "-q").out().lines().findFirst().orElseThrow();
    try (Tmux t = shell("complete")) {
      String first = prompt(t);
      assertTrue(first.contains("plasm [127.0.0.1:"), first);

      // A command.
      t.type("engi").keys("Tab");
      t.await("'engines' completed", s -> Tmux.lastLine(s).endsWith("› engines"));
      t.keys("Enter");
      t.await("chicory-interpreter");
      prompt(t);

      // An option, then an engine id as its value.
      t.type("run --eng").keys("Tab");
      t.await("'--engine' completed", s -> Tmux.lastLine(s).endsWith("› run --engine"));
      t.type("chicory-i").keys("Tab");
      t.await(
          "the engine id completed",
          s -> Tmux.lastLine(s).endsWith("› run --engine chicory-interpreter"));

      // A module: .wasm files and directories are offered, other files are not.
      t.type("h").keys("Tab");
      t.await(
          "hello.wasm completed",
          s -> Tmux.lastLine(s).endsWith("› run --engine chicory-interpreter hello.wasm"));
      t.keys("C-c");
      prompt(t);
      t.type("run ").keys("Tab", "Tab");
      String listed =
          t.await("the modules listed", s -> s.contains("loop.wasm") && s.contains("mods/"));
      assertFalse(listed.contains("notes.txt"), listed);
      t.keys("C-c");
      prompt(t);

      // A job id, asked of the daemon (other tests' jobs may be there too: the id's time part is
      // unique).
      t.type("job show " + jobId.substring(0, 12)).keys("Tab");
      t.await("the job id completed", s -> Tmux.lastLine(s).endsWith("› job show " + jobId));
      t.keys("Enter");
      t.await("state:    finished");
      prompt(t);
    }
  }

  @Test
  void historySurvivesARestart() throws Exception {
    try (Tmux t = shell("history-1")) {
      prompt(t);
      t.type("engines -q").keys("Enter");
      t.await("chicory-compiler");
      prompt(t);
      t.keys("C-d");
      t.await("[exited 0]");
    }
    assertTrue(Files.readString(daemon.state.resolve("shell_history")).contains("engines -q"));
    try (Tmux t = shell("history-2")) {
      prompt(t);
      t.keys("Up");
      t.await("the last command", s -> Tmux.lastLine(s).endsWith("› engines -q"));
      t.keys("C-c");
      prompt(t);
      t.type("exit").keys("Enter");
      t.await("[exited 0]");
    }
  }

  @Test
  void ctrlCStopsALoopingLocalJobAndTheShellGoesOn() throws Exception {
    try (Tmux t = shell("local-loop")) {
      prompt(t);
      t.type("run --timeout 10m loop.wasm").keys("Enter");
      // The status line appears once the job has run for a moment.
      t.await(
          "the status line",
          s ->
              s.contains("running")
                  && s.contains("loop.wasm")
                  && s.contains("chicory-interpreter"));
      t.keys("C-c");
      String after = prompt(t);
      assertTrue(Tmux.lastLine(after).contains("exit 130"), after);
      t.type("engines -q").keys("Enter");
      t.await("chicory-compiler");
    }
  }

  @Test
  void ctrlCCancelsALoopingDaemonJobAndTheShellGoesOn() throws Exception {
    try (Tmux t = shell("daemon-loop")) {
      prompt(t);
      t.type("submit --wait --timeout 50s loop.wasm").keys("Enter");
      t.await("the status line", s -> s.contains("running") && s.contains("loop.wasm"));
      t.keys("C-c");
      String after = t.await("the cancellation", s -> s.contains("plasm: cancelled job "));
      String id = after.replaceAll("(?s).*plasm: cancelled job (\\S+).*", "$1");
      prompt(t);
      Cli.Result show = Cli.run(new byte[0], daemon.env(), "job", "show", "--json", id);
      assertTrue(show.out().contains("\"state\" : \"cancelled\""), show::toString);
      t.type("jobs -q").keys("Enter");
      t.await(id + "\n");
    }
  }
}
