package dev.plasm.jlink;

import static dev.plasm.jlink.PlasmProcess.IMAGE;
import static dev.plasm.jlink.PlasmProcess.plasm;
import static dev.plasm.jlink.PlasmProcess.program;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.jlink.PlasmProcess.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wasmtime engine as linked into the runtime image: its module, its native library, its runs. */
class WasmtimeImageTests {

  @TempDir Path home;

  @Test
  void runsHelloOnWasmtimeWithoutExtractingTheNativeLibraryToTmp() throws Exception {
    Set<Path> before = extractedLibraries();
    Result r = plasm("run", "--engine", "wasmtime", ImageTests.HELLO, "--", "a").run(home);
    assertEquals(0, r.exitCode(), r.describe());
    assertEquals("Hello from WebAssembly!\narg 1: a\n", r.stdout(), r.describe());
    // Nothing on stderr: no restricted-native-access warning, no slf4j notice.
    assertEquals("", r.stderr(), r.describe());
    Set<Path> after = extractedLibraries();
    after.removeAll(before);
    assertEquals(Set.of(), after, "the run extracted wasmtime's native library to /tmp");
    // What it compiled (hello and the engine's own helper module) is kept for the next run, which
    // compiles nothing new and gives the same result.
    var kept = compiledModules(home);
    assertFalse(kept.isEmpty(), "nothing kept in the engine cache");
    Result again = plasm("run", "--engine", "wasmtime", ImageTests.HELLO, "--", "a").run(home);
    assertEquals(r.stdout(), again.stdout(), again.describe());
    assertEquals(kept, compiledModules(home));
  }

  /** The modules wasmtime keeps in a Plasm home's (or a daemon state directory's) engine cache. */
  static java.util.List<Path> compiledModules(Path home) {
    Path root = home.resolve("cache").resolve("engines").resolve("wasmtime");
    if (!Files.isDirectory(root)) {
      return java.util.List.of();
    }
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(Files::isRegularFile)
          .filter(f -> f.getParent().getParent().getFileName().toString().equals("modules"))
          .filter(f -> !f.getFileName().toString().endsWith(".stats"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void theImagesDaemonRunsJobsOnWasmtimeInItsWorkers() throws Exception {
    // An explicit (empty) config: without one a daemon reads /etc/plasm/plasmd.toml when the
    // package is installed.
    Path config = Files.writeString(home.resolve("plasmd.toml"), "");
    Process daemon =
        plasm("daemon", "--config", config.toString(), "--listen", "127.0.0.1:0").startAsync(home);
    try {
      Path endpoint = home.resolve("daemon.json");
      long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!Files.isRegularFile(endpoint) && System.nanoTime() < until && daemon.isAlive()) {
        Thread.sleep(100);
      }
      assertTrue(Files.isRegularFile(endpoint), () -> "the daemon did not start: " + stderrOf());
      for (String engine : new String[] {"wasmtime", "auto"}) {
        Result r =
            plasm("submit", "--wait", "--engine", engine, ImageTests.HELLO, "--", engine).run(home);
        assertEquals(0, r.exitCode(), r.describe() + "\n" + stderrOf());
        assertEquals("Hello from WebAssembly!\narg 1: " + engine + "\n", r.stdout(), r.describe());
      }
      Result jobs = plasm("jobs", "--json").run(home);
      assertTrue(jobs.stdout().contains("\"id\" : \"wasmtime\""), jobs.describe());
      // The workers keep compiled modules in the state directory, shared between them.
      assertFalse(compiledModules(home).isEmpty(), "nothing kept in the engine cache");
    } finally {
      daemon.toHandle().destroy();
      if (!daemon.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        PlasmProcess.destroy(daemon);
      }
    }
  }

  private String stderrOf() {
    try {
      return Files.readString(home.resolve("async-stderr.txt"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Test
  void theBindingIsAnExplicitModuleAndItsLibraryIsInLibWasmtime() throws Exception {
    assertTrue(
        Files.isRegularFile(IMAGE.resolve("lib/wasmtime/libwasmtime_jni.so")),
        "lib/wasmtime/libwasmtime_jni.so is missing");
    Result r = program(IMAGE.resolve("bin/java"), "--describe-module", "wasmtime.java").run(home);
    assertEquals(0, r.exitCode(), r.describe());
    assertTrue(r.stdout().contains("requires org.slf4j"), r.describe());
    assertFalse(r.stdout().contains("automatic"), r.describe());
    // The other platforms' libraries (53 MB) stay out of lib/modules.
    assertTrue(
        Files.size(IMAGE.resolve("lib/modules")) < 60L << 20,
        "lib/modules is " + Files.size(IMAGE.resolve("lib/modules")) + " bytes");
  }

  @Test
  void listsWasmtimeWithWhatItEnforces() throws Exception {
    Result r = plasm("engines", "--json").run(home);
    assertEquals(0, r.exitCode(), r.describe());
    String json = r.stdout().replaceAll("\\s+", "");
    assertTrue(
        Pattern.compile("\"id\":\"wasmtime\",\"version\":\"7\\.0\\.1\"").matcher(json).find(),
        r.describe());
    assertTrue(json.contains("\"mode\":\"native\""), r.describe());
    // Not wall-time: without epoch checks the engine stops a guest only at its next WASI call, and
    // Plasm's deadline covers the rest (the test below).
    assertTrue(json.contains("\"enforcedLimits\":[\"memory\"]"), r.describe());
  }

  @Test
  void aTimeoutEndsARunawayGuest() throws Exception {
    // The loop makes no WASI call: the process ends it, with the timeout's outcome and exit code.
    Result r =
        plasm("run", "--engine", "wasmtime", "--timeout", "1s", ImageTests.LOOP)
            .timeout(Duration.ofSeconds(30))
            .run(home);
    assertEquals(124, r.exitCode(), r.describe());
    assertTrue(r.stderr().contains("limit exceeded (wall-time)"), r.describe());
    assertTrue(
        r.elapsed().compareTo(Duration.ofSeconds(10)) < 0,
        "took " + r.elapsed().toMillis() + " ms");
  }

  @Test
  void anInterruptibleEngineStopsARunawayGuestInsideTheEngine() throws Exception {
    Result r =
        plasm("run", "--json", "--engine", "wasmtime", "--timeout", "1s", ImageTests.LOOP)
            .env("PLASM_JAVA_OPTS", "-Dplasm.wasmtime.interruptible=true")
            .timeout(Duration.ofSeconds(30))
            .run(home);
    assertEquals(124, r.exitCode(), r.describe());
    assertTrue(r.stdout().contains("\"limit\" : \"wall-time\""), r.describe());
    assertTrue(
        r.elapsed().compareTo(Duration.ofSeconds(10)) < 0,
        "took " + r.elapsed().toMillis() + " ms");
    Result engines =
        plasm("engines", "--json")
            .env("PLASM_JAVA_OPTS", "-Dplasm.wasmtime.interruptible=true")
            .run(home);
    assertTrue(
        engines
            .stdout()
            .replaceAll("\\s+", "")
            .contains("\"enforcedLimits\":[\"memory\",\"wall-time\"]"),
        engines.describe());
  }

  private static Set<Path> extractedLibraries() throws IOException {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files
          .filter(f -> f.getFileName().toString().startsWith("libwasmtime"))
          .collect(Collectors.toSet());
    }
  }
}
