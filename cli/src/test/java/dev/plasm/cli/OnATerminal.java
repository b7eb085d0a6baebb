package dev.plasm.cli;

import dev.plasm.fixtures.Tmux;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the terminal tests share: one real daemon for the class, a working directory with modules
 * (hello.wasm, probe.wasm, loop.wasm that never ends, notes.txt that is no module, a directory mods/),
 * and plasm started on a tmux terminal in it.
 */
abstract class OnATerminal {
  @TempDir static Path tmp;
  static DaemonUnderTest daemon;
  static Path work;

  @BeforeAll
  static void startDaemon() throws Exception {
    daemon = DaemonUnderTest.withConfig(tmp);
    work = Files.createDirectories(tmp.resolve("work"));
    Files.copy(Fixture.hello(), work.resolve("hello.wasm"));
    Files.copy(Path.of(Fixture.path("probe", tmp)), work.resolve("probe.wasm"));
    Files.copy(Path.of(Fixture.path("loop-br-if", tmp)), work.resolve("loop.wasm"));
    Files.writeString(work.resolve("notes.txt"), "not a module\n");
    Files.createDirectories(work.resolve("mods"));
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  /** {@code command} on a {@code columns} x {@code rows} terminal in the working directory, talking to the daemon. */
  static Tmux terminal(String name, int columns, int rows, List<String> command) throws Exception {
    return Tmux.start(tmp.resolve("tmux-" + name), work, daemon.env(), columns, rows, command);
  }
}
