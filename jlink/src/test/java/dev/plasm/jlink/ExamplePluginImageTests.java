package dev.plasm.jlink;

import static dev.plasm.jlink.PlasmProcess.IMAGE;
import static dev.plasm.jlink.PlasmProcess.plasm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.jlink.PlasmProcess.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin-author guide's example engine (plugins/examples/engine-example), built by the
 * reactor, dropped into the image's own plugins/ directory and run as a user would.
 */
class ExamplePluginImageTests {
  @TempDir Path home;

  @Test
  void theExamplePluginLoadsFromTheImagePluginsDirectoryAndRuns() throws Exception {
    Path jar = Path.of(System.getProperty("plasm.example.plugin"));
    assertTrue(Files.isRegularFile(jar), "the example plugin was not built: " + jar);
    Path installed = IMAGE.resolve("plugins/example-engine.jar");
    Files.copy(jar, installed, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    try {
      Result engines = plasm("engines").run(home);
      assertEquals(0, engines.exitCode(), engines.describe());
      assertTrue(
          engines.stdout().contains("example-interpreter")
              && engines.stdout().contains(installed.toString()),
          engines.describe());
      Result plugins = plasm("plugins").run(home);
      // One table row per plugin: its path, its modules, the engines it registered.
      assertTrue(
          plugins
              .stdout()
              .lines()
              .anyMatch(
                  l -> l.startsWith(installed.toString()) && l.endsWith("example-interpreter")),
          plugins.describe());
      Result run =
          plasm("run", "--engine", "example-interpreter", ImageTests.HELLO, "--", "from-a-plugin")
              .run(home);
      assertEquals(0, run.exitCode(), run.describe());
      assertEquals("Hello from WebAssembly!\narg 1: from-a-plugin\n", run.stdout(), run.describe());
      assertEquals("", run.stderr(), run.describe());
    } finally {
      Files.deleteIfExists(installed);
    }
  }
}
