package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code plasm run} as a user sees it, on both Chicory engines: output, exit codes, messages. */
class RunCommandTests {
  @TempDir Path tmp;

  private String probe() {
    return Fixture.path("probe", tmp);
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void helloPrintsItsGreetingAndArguments(String engine) {
    var r = Cli.run("run", "--engine", engine, Fixture.hello().toString(), "--", "a", "b c");
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("Hello from WebAssembly!\narg 1: a\narg 2: b c\n", r.out());
    assertEquals("", r.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void argumentsReachTheGuestVerbatimIncludingOptionLikeOnes(String engine) {
    var r = Cli.run("run", "--engine", engine, probe(), "args", "--json", "-x", "", "ünï");
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("probe.wasm\nargs\n--json\n-x\n\nünï\n", r.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void environmentHasOnlyWhatWasGranted(String engine) {
    var r =
        Cli.run(
            new byte[0],
            Map.of("FROM_HOST", "host-value", "SECRET", "do-not-leak"),
            "run",
            "--engine",
            engine,
            "--env",
            "A=1",
            "--env",
            "EMPTY=",
            "--env",
            "FROM_HOST",
            probe(),
            "environ");
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("A=1\nEMPTY=\nFROM_HOST=host-value\n", r.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void stdinIsPassedThroughAndStderrIsSeparate(String engine) {
    byte[] input = "line one\nline two\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
    var r = Cli.run(input, Map.of(), "run", "--engine", engine, probe(), "cat");
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals(new String(input, StandardCharsets.UTF_8), r.out());
    assertEquals("read " + input.length + " bytes\n", r.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void aGuestReadingPastMaxStdinIsStoppedWithItsExitCode(String engine) {
    byte[] input = "0123456789".repeat(100).getBytes(StandardCharsets.UTF_8);
    var ok =
        Cli.run(input, Map.of(), "run", "--engine", engine, "--max-stdin", "1000", probe(), "cat");
    assertEquals(0, ok.exitCode(), ok::toString);
    var r =
        Cli.run(input, Map.of(), "run", "--engine", engine, "--max-stdin", "999", probe(), "cat");
    assertEquals(118, r.exitCode(), r::toString);
    assertTrue(
        r.err().contains("limit exceeded (stdin)") && r.err().contains("999B cap (--max-stdin)"),
        r.err());
    var bad = Cli.run("run", "--max-stdin", "lots", probe(), "cat");
    assertEquals(ExitCodes.USAGE, bad.exitCode(), bad::toString);
    assertTrue(bad.err().contains("--max-stdin"), bad.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void exitCodesComeFromTheGuest(String engine) {
    assertEquals(3, Cli.run("run", "--engine", engine, probe(), "exit", "3").exitCode());
    assertEquals(0, Cli.run("run", "--engine", engine, probe(), "exit", "0").exitCode());
    assertEquals(255, Cli.run("run", "--engine", engine, probe(), "exit", "255").exitCode());
    assertEquals(7, Cli.run("run", "--engine", engine, Fixture.path("exit-code", tmp)).exitCode());
    var big = Cli.run("run", "--engine", engine, probe(), "exit", "300");
    assertEquals(ExitCodes.GUEST_CODE_OUT_OF_RANGE, big.exitCode());
    assertTrue(big.err().contains("exited with code 300"), big::toString);
    var json = Cli.run("run", "--json", "--engine", engine, probe(), "exit", "300");
    assertTrue(json.out().contains("\"exitCode\" : 300"), json::toString);
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void everyTrapKindHasItsExitCodeAndName(String engine) {
    for (String trap : Fixtures.TRAPS) {
      var r = Cli.run("run", "--engine", engine, Fixture.path(trap, tmp));
      String kind = trap.substring("trap-".length());
      String expected = kind.equals("stack-overflow") ? "call-stack-exhausted" : kind;
      if (kind.equals("divide-by-zero")) {
        expected = "integer-divide-by-zero";
      } else if (kind.equals("invalid-conversion")) {
        expected = "invalid-conversion-to-integer";
      } else if (kind.equals("out-of-bounds-memory")) {
        expected = "out-of-bounds-memory-access";
      }
      String want = expected;
      assertAll(
          trap,
          () -> assertEquals(ExitCodes.TRAP, r.exitCode(), r::toString),
          () -> assertTrue(r.err().contains("trap (" + want + ")"), r::toString));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void memoryGrowReturnsMinusOneAtTheCap(String engine) {
    // The module exits with the page count it reached: 4 MiB is 64 pages.
    var r =
        Cli.run(
            "run",
            "--engine",
            engine,
            "--max-memory",
            "4MiB",
            Fixture.path("memory-grow-bomb", tmp));
    assertEquals(64, r.exitCode(), r::toString);
    var json =
        Cli.run(
            "run",
            "--json",
            "--engine",
            engine,
            "--max-memory",
            "4MiB",
            Fixture.path("memory-grow-bomb", tmp));
    assertTrue(json.out().contains("\"peakMemoryPages\" : 64"), json::toString);
    assertEquals(
        42, Cli.run("run", "--engine", engine, Fixture.path("memory-grow-huge", tmp)).exitCode());
    assertEquals(
        42, Cli.run("run", "--engine", engine, Fixture.path("table-grow-huge", tmp)).exitCode());
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void aFourGibInitialMemoryIsRefusedBeforeAllocation(String engine) {
    Runtime rt = Runtime.getRuntime();
    long before = rt.totalMemory() - rt.freeMemory();
    var r =
        Cli.run(
            "run",
            "--engine",
            engine,
            "--max-memory",
            "4GiB",
            Fixture.path("memory-huge-initial", tmp));
    // 4GiB is above what this JVM may give a guest: refused as a usage error naming the flag.
    assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString);
    assertTrue(r.err().contains("--max-memory"), r::toString);
    var capped = Cli.run("run", "--engine", engine, Fixture.path("memory-huge-initial", tmp));
    assertEquals(ExitCodes.LIMIT_MEMORY, capped.exitCode(), capped::toString);
    assertTrue(
        capped.err().contains("65536 pages") && capped.err().contains("nothing was allocated"),
        capped::toString);
    long after = rt.totalMemory() - rt.freeMemory();
    assertTrue(after - before < (1L << 30), "no gigabytes were allocated");
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void anOutputFloodStopsAtTheCapWithThePartialOutputKept(String engine) {
    var r = Cli.run("run", "--engine", engine, "--max-output", "100KiB", probe(), "flood");
    assertEquals(ExitCodes.LIMIT_OUTPUT, r.exitCode(), r::toString);
    assertEquals(100 * 1024, r.outBytes().length);
    assertTrue(r.out().startsWith("xxxx"));
    assertTrue(r.err().contains("limit exceeded (output)") && r.err().contains("100KiB"), r.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void aModuleOverTheSizeLimitIsRefusedUnread(String engine) {
    var r =
        Cli.run("run", "--engine", engine, "--max-module-size", "1KiB", Fixture.hello().toString());
    assertEquals(ExitCodes.LIMIT_MODULE_SIZE, r.exitCode(), r::toString);
    assertTrue(r.err().contains("--max-module-size"), r::toString);
  }

  @ParameterizedTest
  @ValueSource(strings = {"loop-br", "loop-br-table", "loop-call", "sleep-forever"})
  void theCompilerStopsEveryLoopShapeAtTheDeadline(String fixture) {
    long start = System.nanoTime();
    var r =
        Cli.run(
            "run",
            "--engine",
            "chicory-compiler",
            "--timeout",
            "300ms",
            Fixture.path(fixture, tmp));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertEquals(ExitCodes.LIMIT_TIMEOUT, r.exitCode(), r::toString);
    assertEquals(-1, r.haltCode(), "the engine stopped by itself; the process did not have to end");
    assertTrue(r.err().contains("limit exceeded (wall-time)"), r::toString);
    assertTrue(ms < 10_000, "stopped in " + ms + " ms");
  }

  @ParameterizedTest
  @ValueSource(strings = {"loop-br", "loop-call", "sleep-forever"})
  void theInterpreterStopsInterruptibleLoopsInProcess(String fixture) {
    var r =
        Cli.run(
            "run",
            "--engine",
            "chicory-interpreter",
            "--timeout",
            "300ms",
            Fixture.path(fixture, tmp));
    assertEquals(ExitCodes.LIMIT_TIMEOUT, r.exitCode(), r::toString);
    assertEquals(-1, r.haltCode(), r::toString);
  }

  @ParameterizedTest
  @ValueSource(strings = {"loop-br", "loop-br-if", "loop-br-table", "loop-call"})
  void fuelStopsEveryLoopShapeOnTheInterpreter(String fixture) {
    var r = Cli.run("run", "--json", "--fuel", "100000", Fixture.path(fixture, tmp));
    assertEquals(ExitCodes.LIMIT_FUEL, r.exitCode(), r::toString);
    assertTrue(
        r.out().contains("\"limit\" : \"fuel\"") && r.out().contains("\"fuelConsumed\" : 100000"),
        r::toString);
  }

  @org.junit.jupiter.api.Test
  void autoPicksAnEngineThatCanDoWhatTheJobNeeds() {
    var plain = Cli.run("run", "--json", Fixture.hello().toString());
    assertTrue(
        plain.out().contains("\"id\" : \"chicory-interpreter\""),
        "small module: the interpreter starts fastest\n" + plain);
    var fuel =
        Cli.run(
            "run", "--json", "--engine", "auto", "--fuel", "1000000", Fixture.hello().toString());
    assertEquals(0, fuel.exitCode(), fuel::toString);
    assertTrue(fuel.out().contains("\"id\" : \"chicory-interpreter\""), fuel::toString);
  }

  @org.junit.jupiter.api.Test
  void fuelIsRefusedClearlyByAnEngineThatCannotMeter() {
    var r =
        Cli.run(
            "run", "--engine", "chicory-compiler", "--fuel", "1000", Fixture.hello().toString());
    assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString);
    assertTrue(
        r.err().contains("engine 'chicory-compiler' cannot meter fuel")
            && r.err().contains("chicory-interpreter"),
        r::toString);
    assertEquals("", r.out());
  }

  @org.junit.jupiter.api.Test
  void fuelConsumedIsReportedForACompletedRun() {
    var r = Cli.run("run", "--json", "--fuel", "10000000", Fixture.hello().toString());
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.out().matches("(?s).*\"fuelConsumed\" : [1-9][0-9]*,.*"), r::toString);
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void badModulesGiveAClearErrorAndNoStackTrace(String engine) throws Exception {
    Path garbage = Files.writeString(tmp.resolve("notes.wasm"), "this is not a module");
    Path empty = Files.write(tmp.resolve("empty.wasm"), new byte[0]);
    Path truncated = Files.write(tmp.resolve("truncated.wasm"), Fixtures.truncated("probe", 1000));
    Path header = Files.write(tmp.resolve("header.wasm"), Fixtures.truncated("probe", 9));
    Map<Path, String> cases =
        Map.of(
            garbage,
            "malformed",
            empty,
            "malformed",
            truncated,
            "malformed",
            header,
            "malformed",
            Path.of(Fixture.path("invalid", tmp)),
            "invalid module",
            Path.of(Fixture.path("unlinkable", tmp)),
            "unlinkable module",
            Path.of(Fixture.path("no-start", tmp)),
            "no '_start'",
            Path.of(Fixture.path("start-with-params", tmp)),
            "'_start' must take no parameters");
    for (var c : cases.entrySet()) {
      var r = Cli.run("run", "--engine", engine, c.getKey().toString());
      String name = c.getKey().getFileName().toString();
      assertAll(
          name,
          () -> assertEquals(ExitCodes.MODULE_REJECTED, r.exitCode(), r::toString),
          () -> assertTrue(r.err().startsWith("plasm: " + name + ": "), r::toString),
          () -> assertTrue(r.err().contains(c.getValue()), r::toString),
          () -> assertFalse(r.err().contains("\tat "), "no stack trace: " + r));
    }
  }

  @org.junit.jupiter.api.Test
  void aMissingModuleFileIsNoInput() {
    var r = Cli.run("run", tmp.resolve("nope.wasm").toString());
    assertEquals(ExitCodes.NO_INPUT, r.exitCode());
    assertTrue(r.err().contains("nope.wasm: no such file"), r::toString);
    var dir = Cli.run("run", tmp.toString());
    assertEquals(ExitCodes.NO_INPUT, dir.exitCode());
    assertTrue(dir.err().contains("is a directory"), dir::toString);
  }

  @org.junit.jupiter.api.Test
  void badSettingsNameTheFlagAndExitWithTheUsageCode() {
    String hello = Fixture.hello().toString();
    String[][] cases = {
      {"--max-memory", "lots", "--max-memory: 'lots' is not a size"},
      {"--max-memory", "100000", "not a whole number of 64KiB pages"},
      {"--max-memory", "8GiB", "at most 4GiB"},
      {"--timeout", "0", "--timeout: 0s is out of range"},
      {"--timeout", "soon", "--timeout: 'soon' is not a duration"},
      {"--fuel", "-5", "--fuel: -5 must be a positive instruction count"},
      {"--fuel", "many", "--fuel: 'many' is not a whole number"},
      {"--max-output", "2TiB", "--max-output"},
      {
        "--engine",
        "wasm3",
        "no engine 'wasm3'; known engines: chicory-compiler, chicory-interpreter"
      },
      {"--env", "=x", "--env '=x'"},
      {"--env", "NOT_SET_ANYWHERE", "not set in this environment"},
      {"--dir", tmp.resolve("missing").toString(), "does not exist"},
      {"--max-table-elements", "0", "--max-table-elements: 0 is out of range"},
    };
    for (String[] c : cases) {
      var r = Cli.run("run", c[0], c[1], hello);
      assertAll(
          String.join(" ", c[0], c[1]),
          () -> assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString),
          () -> assertTrue(r.err().contains(c[2]), r::toString),
          () -> assertEquals("", r.out(), "the guest did not run"));
    }
    var unknown = Cli.run("run", "--frobnicate", hello);
    assertEquals(ExitCodes.USAGE, unknown.exitCode());
    assertTrue(unknown.err().contains("Unknown option: '--frobnicate'"), unknown::toString);
    var missing = Cli.run("run");
    assertEquals(ExitCodes.USAGE, missing.exitCode());
    assertTrue(missing.err().contains("MODULE.wasm"), missing::toString);
  }

  @org.junit.jupiter.api.Test
  void jsonUsageErrorsAreJsonToo() {
    var r = Cli.run("run", "--json", "--timeout", "soon", Fixture.hello().toString());
    assertEquals(ExitCodes.USAGE, r.exitCode());
    assertTrue(
        r.out().contains("\"code\" : \"usage\"") && r.out().contains("\"field\" : \"--timeout\""),
        r::toString);
  }

  @ParameterizedTest
  @ValueSource(strings = {"chicory-interpreter", "chicory-compiler"})
  void jsonReportsOutcomeOutputAndUsage(String engine) {
    var r = Cli.run("run", "--json", "--engine", engine, Fixture.hello().toString(), "--", "x");
    assertEquals(0, r.exitCode(), r::toString);
    String j = r.out();
    assertAll(
        () -> assertTrue(j.contains("\"outcome\" : \"completed\""), j),
        () -> assertTrue(j.contains("\"id\" : \"" + engine + "\""), j),
        () -> assertTrue(j.contains("\"stdout\" : \"Hello from WebAssembly!\\narg 1: x\\n\""), j),
        () ->
            assertTrue(
                j.contains("\"stdoutBytes\" : " + "Hello from WebAssembly!\narg 1: x\n".length()),
                j),
        () -> assertTrue(j.contains("\"peakMemoryPages\" : 2"), j),
        () -> assertTrue(j.contains("\"wallTimeMillis\""), j),
        () -> assertFalse(j.contains("fuelConsumed"), "unmetered runs report no fuel"));
    var trap = Cli.run("run", "--json", "--engine", engine, Fixture.path("trap-unreachable", tmp));
    assertEquals(ExitCodes.TRAP, trap.exitCode());
    assertTrue(
        trap.out().contains("\"trap\" : \"unreachable\"")
            && trap.out().contains("\"processExitCode\" : 134"),
        trap::toString);
    assertEquals("", trap.err(), "with --json, diagnostics are in the JSON");
  }

  @org.junit.jupiter.api.Test
  void jsonGivesTheExactBytesOfOutputThatIsNotUtf8() {
    byte[] raw = {(byte) 0xff, (byte) 0xfe, 'o', 'k'};
    var r =
        Cli.run(raw, java.util.Map.of(), "run", "--json", Fixture.path("probe", tmp), "--", "cat");
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(
        r.out()
            .contains(
                "\"stdoutBase64\" : \"" + java.util.Base64.getEncoder().encodeToString(raw) + "\""),
        r::toString);
    var text = Cli.run("run", "--json", Fixture.hello().toString());
    assertTrue(!text.out().contains("stdoutBase64"), "UTF-8 output has no base64 copy");
  }
}
