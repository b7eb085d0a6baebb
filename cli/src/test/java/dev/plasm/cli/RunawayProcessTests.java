package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deadlines that the engine cannot enforce: {@code plasm run} must end its own process with the
 * timeout outcome. These start real {@code plasm} processes, since the process itself ends.
 */
class RunawayProcessTests {
  @TempDir Path tmp;

  record Proc(int exitCode, String out, String err, long millis) {}

  static Proc plasm(String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp =
        System.getProperty("jdk.module.path", "")
            + File.pathSeparator
            + System.getProperty("java.class.path");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", cp, "dev.plasm.cli.Main"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment()
        .put("PLASM_HOME", System.getProperty("java.io.tmpdir") + "/plasm-tests-no-home");
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    long start = System.nanoTime();
    Process p = pb.start();
    p.getOutputStream().close();
    var out = p.getInputStream();
    var err = p.getErrorStream();
    var outText = new java.util.concurrent.CompletableFuture<String>();
    var errText = new java.util.concurrent.CompletableFuture<String>();
    Thread.ofVirtual().start(() -> outText.complete(read(out)));
    Thread.ofVirtual().start(() -> errText.complete(read(err)));
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("plasm did not end within 60 s: " + cmd);
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    return new Proc(
        p.exitValue(), outText.get(10, TimeUnit.SECONDS), errText.get(10, TimeUnit.SECONDS), ms);
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "<" + e + ">";
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"loop-br", "loop-br-if", "loop-br-table", "loop-call", "sleep-forever"})
  void theInterpreterProcessEndsAtTheDeadlineOnEveryLoopShape(String fixture) throws Exception {
    Proc p =
        plasm(
            "run",
            "--engine",
            "chicory-interpreter",
            "--timeout",
            "1s",
            Fixture.path(fixture, tmp));
    assertEquals(ExitCodes.LIMIT_TIMEOUT, p.exitCode(), p::toString);
    assertTrue(
        p.err()
            .contains(
                "limit exceeded (wall-time): the job ran past its 1s wall-clock limit (--timeout)"),
        p::toString);
    // JVM start-up plus the deadline plus the stop grace; a hung process would hit 60 s.
    assertTrue(p.millis() < 15_000, "ended after " + p.millis() + " ms");
  }

  @Test
  void aRunawayJobStillPrintsItsJsonResultWithThePartialOutput() throws Exception {
    Proc p = plasm("run", "--json", "--timeout", "1s", Fixture.path("loop-br-if", tmp));
    assertEquals(ExitCodes.LIMIT_TIMEOUT, p.exitCode(), p::toString);
    assertTrue(
        p.out().contains("\"limit\" : \"wall-time\"")
            && p.out().contains("\"processExitCode\" : 124"),
        p::toString);
  }

  @Test
  void helloRunsAsAProcessWithRealStdio() throws Exception {
    Proc p = plasm("run", Fixture.hello().toString(), "--", "from-a-process");
    assertEquals(0, p.exitCode(), p::toString);
    assertEquals("Hello from WebAssembly!\narg 1: from-a-process\n", p.out());
  }
}
