package dev.plasm.jlink;

import static dev.plasm.jlink.PlasmProcess.IMAGE;
import static dev.plasm.jlink.PlasmProcess.REPO;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Tmux;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's terminal side, on a real pseudo-terminal: {@code plasm} alone starts the shell, jline's
 * FFM terminal works from the image with no native-access warning, and {@code plasm run} draws its
 * status line.
 */
class ShellImageTests {
  @TempDir Path tmp;

  private Tmux terminal(String name, String... args) throws Exception {
    Path home = Files.createDirectories(tmp.resolve("home"));
    List<String> cmd = new java.util.ArrayList<>(List.of(IMAGE.resolve("bin/plasm").toString()));
    cmd.addAll(List.of(args));
    // No daemon answers on port 1: the prompt says so.
    return Tmux.start(
        tmp.resolve("tmux-" + name),
        REPO,
        Map.of("PLASM_HOME", home.toString(), "PLASM_DAEMON", "127.0.0.1:1"),
        120,
        30,
        cmd);
  }

  @Test
  void plasmAloneOnATerminalIsTheShell() throws Exception {
    try (Tmux t = terminal("shell")) {
      String s =
          t.await("the prompt", x -> Tmux.lastLine(x).endsWith("plasm [127.0.0.1:1 down] ›"));
      assertFalse(s.contains("WARNING"), s);
      t.type("eng").keys("Tab");
      t.await("'engines' completed", x -> Tmux.lastLine(x).endsWith("› engines"));
      t.keys("Enter");
      t.await("the engines", x -> x.contains("wasmtime") && x.contains("chicory-interpreter"));
      // Ctrl-D typed before the prompt is back would reach the terminal, not the line reader.
      t.await("the prompt again", x -> Tmux.lastLine(x).endsWith("plasm [127.0.0.1:1 down] ›"));
      t.keys("C-d");
      String end = t.await("[exited 0]");
      assertFalse(end.contains("WARNING") || end.contains("Exception"), end);
    }
    assertTrue(Files.readString(tmp.resolve("home/shell_history")).contains("engines"));
  }

  @Test
  void runDrawsItsStatusLineFromTheImageAndCtrlCRemovesIt() throws Exception {
    String loop =
        "modules/plasm-test-fixtures/src/main/resources/dev/plasm/fixtures/loop-br-if.wasm";
    try (Tmux t =
        terminal("run", "run", "--engine", "chicory-interpreter", "--timeout", "2m", loop)) {
      t.await(
          "the status line",
          x -> x.contains("running  loop-br-if.wasm") && x.contains("chicory-interpreter"));
      t.keys("C-c");
      String end = t.await("[exited 130]");
      assertFalse(end.contains("running  loop-br-if.wasm"), "the status line is gone:\n" + end);
      assertFalse(end.contains("WARNING") || end.contains("Exception"), end);
    }
  }
}
