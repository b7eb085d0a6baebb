package dev.plasm.engine.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitExceededException;
import dev.plasm.api.ModuleRejectedException;
import dev.plasm.api.RejectionKind;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.TrapKind;
import dev.plasm.engine.spi.Capability;
import dev.plasm.engine.spi.CompileSettings;
import dev.plasm.engine.spi.CompiledModule;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.engine.spi.EngineEnvironment;
import dev.plasm.engine.spi.ExecutionRequest;
import dev.plasm.engine.spi.Preopen;
import dev.plasm.engine.spi.WasiConfig;
import dev.plasm.engine.spi.WasmEngine;
import dev.plasm.engine.spi.WasmEngineProvider;
import dev.plasm.fixtures.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine TCK. A plugin's tests hold one class:
 *
 * <pre>{@code
 * class MyEngineTckTests extends WasmEngineTck {
 *   protected WasmEngineProvider provider() { return new MyEngineProvider(); }
 * }
 * }</pre>
 *
 * <p>Tests are tagged by group ({@code contract}, {@code spec}, {@code limits}, {@code wasi},
 * {@code isolation}). Tests of a limit the engine does not declare in its descriptor are skipped,
 * not failed. Known failures go in {@code tck-known-failures.properties} at the root of the
 * plugin's test resources, one {@code testMethodName=reason} per line: they are skipped with the
 * reason shown.
 */
public abstract class WasmEngineTck {
  /** How long an interrupted engine that claims the wall-clock limit may take to stop. */
  protected static final Duration STOP_BOUND = Duration.ofSeconds(3);

  private static final ResourceLimits LIMITS =
      ResourceLimits.DEFAULTS.withTimeout(Duration.ofSeconds(30));

  private WasmEngine engine;
  private Properties knownFailures;

  @TempDir protected Path tmp;

  /** The provider under test; called once per test. */
  protected abstract WasmEngineProvider provider();

  @BeforeEach
  void setUp(TestInfo info) throws IOException {
    knownFailures = new Properties();
    try (InputStream in = getClass().getResourceAsStream("/tck-known-failures.properties")) {
      if (in != null) {
        knownFailures.load(in);
      }
    }
    String name = info.getTestMethod().map(m -> m.getName()).orElse("");
    String reason = knownFailures.getProperty(name);
    Assumptions.assumeTrue(reason == null, () -> "known failure of this engine: " + reason);
    engine = provider().create();
  }

  private EngineDescriptor descriptor() {
    return provider().descriptor();
  }

  private void requireLimit(Limit l) {
    Assumptions.assumeTrue(
        descriptor().enforces(l),
        () -> descriptor().id() + " does not declare that it enforces " + l.id());
  }

  /** The result of one run. */
  protected record Run(ExecutionOutcome outcome, String stdout, String stderr) {}

  protected CompiledModule compile(String fixture) {
    return engine.compile(Fixtures.bytes(fixture), new CompileSettings(LIMITS, false));
  }

  protected Run run(String fixture, List<String> args) {
    return run(compile(fixture), args, Map.of(), new byte[0], List.of(), LIMITS, null);
  }

  protected Run run(
      CompiledModule module,
      List<String> args,
      Map<String, String> env,
      byte[] stdin,
      List<Preopen> preopens,
      ResourceLimits limits,
      Determinism determinism) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> argv = new ArrayList<>();
    argv.add("guest.wasm");
    argv.addAll(args);
    WasiConfig wasi =
        new WasiConfig(argv, env, new ByteArrayInputStream(stdin), out, err, preopens, determinism);
    ExecutionOutcome o = module.run(new ExecutionRequest(wasi, limits));
    assertNotNull(o, "run() must return an outcome");
    return new Run(o, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static int exitCode(Run r) {
    return assertInstanceOf(ExecutionOutcome.Completed.class, r.outcome(), r::toString).exitCode();
  }

  // ---------------------------------------------------------------- contract

  @Test
  @Tag("contract")
  public void descriptorIsValidAndStable() {
    EngineDescriptor d = provider().descriptor();
    assertEquals(d, provider().descriptor(), "descriptor() must return equal values");
    assertTrue(EngineDescriptor.ID_PATTERN.matcher(d.id()).matches(), d.id());
    assertFalse(d.version().isBlank());
    assertEquals(WasmEngineProvider.SPI_VERSION, provider().spiVersion());
    assertEquals(d, engine.descriptor(), "the engine describes itself as its provider does");
  }

  @Test
  @Tag("contract")
  public void constructionIsCheap() throws Exception {
    var ctor = provider().getClass().getConstructor();
    long start = System.nanoTime();
    for (int i = 0; i < 10; i++) {
      ctor.newInstance().descriptor();
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    // A generous bound: it catches native loading or warm-up in the constructor, not slowness.
    assertTrue(ms < 2_000, "10 constructions took " + ms + " ms; move work into create()");
  }

  // ---------------------------------------------------------------- spec

  @Test
  @Tag("spec")
  public void everyTrapKindIsReported() {
    Map<String, TrapKind> expected =
        Map.of(
            "trap-unreachable", TrapKind.UNREACHABLE,
            "trap-divide-by-zero", TrapKind.INTEGER_DIVIDE_BY_ZERO,
            "trap-integer-overflow", TrapKind.INTEGER_OVERFLOW,
            "trap-invalid-conversion", TrapKind.INVALID_CONVERSION,
            "trap-out-of-bounds-memory", TrapKind.OUT_OF_BOUNDS_MEMORY,
            "trap-undefined-element", TrapKind.UNDEFINED_ELEMENT,
            "trap-uninitialized-element", TrapKind.UNINITIALIZED_ELEMENT,
            "trap-indirect-call-type-mismatch", TrapKind.INDIRECT_CALL_TYPE_MISMATCH,
            "trap-stack-overflow", TrapKind.STACK_OVERFLOW);
    assertEquals(Fixtures.TRAPS.size(), expected.size());
    for (String f : Fixtures.TRAPS) {
      Run r = run(f, List.of());
      var t = assertInstanceOf(ExecutionOutcome.Trapped.class, r.outcome(), f);
      assertEquals(expected.get(f), t.kind(), f + ": " + t.message());
    }
  }

  @Test
  @Tag("spec")
  public void malformedAndInvalidModulesAreRejectedAtCompile() {
    CompileSettings s = new CompileSettings(LIMITS, false);
    byte[][] malformed = {
      new byte[0],
      "not wasm".getBytes(),
      Fixtures.truncated("probe", 9),
      Fixtures.truncated("probe", 2000)
    };
    for (byte[] m : malformed) {
      var e = assertThrows(ModuleRejectedException.class, () -> engine.compile(m, s));
      assertEquals(RejectionKind.MALFORMED, e.kind(), e.getMessage());
    }
    var e =
        assertThrows(
            ModuleRejectedException.class, () -> engine.compile(Fixtures.bytes("invalid"), s));
    assertEquals(RejectionKind.INVALID, e.kind(), e.getMessage());
  }

  @Test
  @Tag("spec")
  public void unlinkableModulesAndMissingEntryPointsAreRejectedAtRun() {
    assertEquals(
        RejectionKind.UNLINKABLE,
        assertInstanceOf(ExecutionOutcome.Rejected.class, run("unlinkable", List.of()).outcome())
            .kind());
    assertEquals(
        RejectionKind.NO_ENTRY_POINT,
        assertInstanceOf(ExecutionOutcome.Rejected.class, run("no-start", List.of()).outcome())
            .kind());
    assertEquals(
        RejectionKind.NO_ENTRY_POINT,
        assertInstanceOf(
                ExecutionOutcome.Rejected.class, run("start-with-params", List.of()).outcome())
            .kind());
  }

  @Test
  @Tag("spec")
  public void procExitInTheStartFunctionEndsTheRunWithItsCode() {
    // The start function runs during instantiation; proc_exit there is still the guest's exit.
    assertEquals(7, exitCode(run("start-proc-exit", List.of())));
  }

  @Test
  @Tag("spec")
  public void aTrapInTheStartFunctionIsATrap() {
    var t =
        assertInstanceOf(ExecutionOutcome.Trapped.class, run("start-traps", List.of()).outcome());
    assertEquals(TrapKind.UNREACHABLE, t.kind(), t.message());
  }

  @Test
  @Tag("spec")
  public void anActiveSegmentOutOfBoundsTrapsAtInstantiation() {
    // WebAssembly 2.0 runs active segments as memory.init/table.init at instantiation: a trap,
    // not an invalid or unlinkable module (docs/plugin-authors.md).
    var data =
        assertInstanceOf(
            ExecutionOutcome.Trapped.class, run("segment-data-out-of-bounds", List.of()).outcome());
    assertEquals(TrapKind.OUT_OF_BOUNDS_MEMORY, data.kind(), data.message());
    var elem =
        assertInstanceOf(
            ExecutionOutcome.Trapped.class, run("segment-elem-out-of-bounds", List.of()).outcome());
    assertEquals(TrapKind.OUT_OF_BOUNDS_TABLE, elem.kind(), elem.message());
  }

  // ---------------------------------------------------------------- limits

  @Test
  @Tag("limits")
  public void memoryGrowReturnsMinusOneAtTheCap() {
    requireLimit(Limit.MEMORY);
    Run r =
        run(
            compile("memory-grow-bomb"),
            List.of(),
            Map.of(),
            new byte[0],
            List.of(),
            LIMITS.withMaxMemoryBytes(4L << 20),
            null);
    assertEquals(
        64, exitCode(r), "the guest reached 64 pages (4 MiB) and memory.grow then returned -1");
    assertEquals(64, r.outcome().usage().peakMemoryPages());
    assertEquals(42, exitCode(run("memory-grow-huge", List.of())));
  }

  @Test
  @Tag("limits")
  public void aHugeInitialMemoryIsRefusedBeforeAllocation() {
    requireLimit(Limit.MEMORY);
    var le =
        assertInstanceOf(
            ExecutionOutcome.LimitExceeded.class, run("memory-huge-initial", List.of()).outcome());
    assertEquals(Limit.MEMORY, le.limit());
  }

  @Test
  @Tag("limits")
  public void tableGrowReturnsMinusOnePastTheCap() {
    requireLimit(Limit.TABLE);
    assertEquals(42, exitCode(run("table-grow-huge", List.of())));
  }

  @Test
  @Tag("limits")
  public void anInterruptStopsEveryLoopShape() throws Exception {
    requireLimit(Limit.WALL_TIME);
    for (String loop : Fixtures.LOOPS) {
      CompiledModule m = compile(loop);
      CompletableFuture<ExecutionOutcome> result = new CompletableFuture<>();
      Thread t =
          Thread.ofPlatform()
              .daemon(true)
              .start(
                  () ->
                      result.complete(
                          run(m, List.of(), Map.of(), new byte[0], List.of(), LIMITS, null)
                              .outcome()));
      Thread.sleep(100);
      assertFalse(result.isDone(), loop + " ended by itself");
      t.interrupt();
      ExecutionOutcome o;
      try {
        o = result.get(STOP_BOUND.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        fail(
            loop
                + ": still running "
                + STOP_BOUND
                + " after the interrupt, but the engine claims the wall-clock limit");
        return;
      }
      assertEquals(
          Limit.WALL_TIME,
          assertInstanceOf(ExecutionOutcome.LimitExceeded.class, o, loop).limit(),
          loop);
    }
  }

  @Test
  @Tag("limits")
  public void fuelStopsEveryLoopShape() {
    requireLimit(Limit.FUEL);
    for (String loop : Fixtures.LOOPS) {
      CompiledModule m = engine.compile(Fixtures.bytes(loop), new CompileSettings(LIMITS, true));
      Run r =
          run(
              m,
              List.of(),
              Map.of(),
              new byte[0],
              List.of(),
              LIMITS.withFuel(OptionalLong.of(50_000)),
              null);
      var le = assertInstanceOf(ExecutionOutcome.LimitExceeded.class, r.outcome(), loop);
      assertEquals(Limit.FUEL, le.limit(), loop);
      assertEquals(50_000, le.usage().fuelConsumed().orElseThrow(), loop);
    }
  }

  @Test
  @Tag("limits")
  public void aThrowingOutputStreamIsReportedAsTheOutputLimit() {
    OutputStream capped =
        new OutputStream() {
          long n;

          @Override
          public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            n += len;
            if (n > 100_000) {
              throw new LimitExceededException(Limit.OUTPUT, "stdout cap");
            }
          }
        };
    WasiConfig wasi =
        new WasiConfig(
            List.of("probe", "flood"),
            Map.of(),
            new ByteArrayInputStream(new byte[0]),
            capped,
            new ByteArrayOutputStream(),
            List.of());
    ExecutionOutcome o = compile("probe").run(new ExecutionRequest(wasi, LIMITS));
    assertEquals(Limit.OUTPUT, assertInstanceOf(ExecutionOutcome.LimitExceeded.class, o).limit());
  }

  /**
   * An engine given a cache directory keeps to it, runs the same from a warm cache as from a cold
   * one, and survives a damaged cache (a crash mid-write, a full disk) by compiling again.
   */
  @Test
  @Tag("contract")
  public void aCacheDirectoryIsUsedSafely() throws Exception {
    // Not under @TempDir: an engine's cache may be tidied by a thread of its own after the engine
    // is closed (wasmtime's does), which would race JUnit's clean-up.
    Path home = Files.createTempDirectory("plasm-tck-cache");
    Path dir =
        Files.createDirectory(
            home.resolve("cache"),
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    EngineEnvironment env = new EngineEnvironment(dir);
    String expected = "guest.wasm\nargs\ncached\n";
    for (int round = 0; round < 3; round++) {
      if (round == 2) {
        // Every file the engine kept, damaged.
        try (var files = Files.walk(dir)) {
          for (Path f : files.filter(Files::isRegularFile).toList()) {
            Files.write(f, "not what was written".getBytes(StandardCharsets.UTF_8));
          }
        }
      }
      try (WasmEngine e = provider().create(env)) {
        CompiledModule m = e.compile(Fixtures.bytes("probe"), new CompileSettings(LIMITS, false));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WasiConfig wasi =
            new WasiConfig(
                List.of("guest.wasm", "args", "cached"),
                Map.of(),
                InputStream.nullInputStream(),
                out,
                OutputStream.nullOutputStream(),
                List.of(),
                null);
        ExecutionOutcome o = m.run(new ExecutionRequest(wasi, LIMITS));
        assertInstanceOf(ExecutionOutcome.Completed.class, o, "round " + round);
        assertEquals(expected, out.toString(StandardCharsets.UTF_8), "round " + round);
      }
    }
    try (var entries = Files.list(home)) {
      assertEquals(List.of(dir), entries.toList(), "nothing written beside the cache directory");
    }
    deleteQuietly(home);
  }

  private static void deleteQuietly(Path dir) {
    for (int attempt = 0; attempt < 5 && Files.exists(dir); attempt++) {
      try (var files = Files.walk(dir)) {
        for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      } catch (IOException | java.io.UncheckedIOException e) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  // ---------------------------------------------------------------- wasi

  @Test
  @Tag("wasi")
  public void argsEnvironmentAndStdio() {
    CompiledModule probe = compile("probe");
    assertEquals(
        "guest.wasm\nargs\n--x\n\nü\n",
        run(probe, List.of("args", "--x", "", "ü"), Map.of(), new byte[0], List.of(), LIMITS, null)
            .stdout());
    Map<String, String> env = new java.util.LinkedHashMap<>();
    env.put("B", "2");
    env.put("A", "1");
    assertEquals(
        "B=2\nA=1\n",
        run(probe, List.of("environ"), env, new byte[0], List.of(), LIMITS, null).stdout());
    byte[] input = "x".repeat(100_000).getBytes(StandardCharsets.UTF_8);
    Run cat = run(probe, List.of("cat"), Map.of(), input, List.of(), LIMITS, null);
    assertEquals(new String(input, StandardCharsets.UTF_8), cat.stdout());
    assertEquals("read 100000 bytes\n", cat.stderr());
  }

  @Test
  @Tag("wasi")
  public void exitCodes() {
    CompiledModule probe = compile("probe");
    for (int code : new int[] {0, 1, 3, 125}) {
      assertEquals(
          code,
          exitCode(
              run(
                  probe,
                  List.of("exit", "" + code),
                  Map.of(),
                  new byte[0],
                  List.of(),
                  LIMITS,
                  null)));
    }
    assertEquals(7, exitCode(run("exit-code", List.of())));
  }

  @Test
  @Tag("wasi")
  public void preopensCannotBeEscaped() throws IOException {
    Path box = Files.createDirectory(tmp.resolve("box"));
    Files.writeString(tmp.resolve("secret"), "SECRET");
    Files.writeString(box.resolve("in.txt"), "inside");
    Files.createSymbolicLink(box.resolve("link"), tmp.resolve("secret"));
    Files.createSymbolicLink(box.resolve("up"), tmp);
    CompiledModule probe = compile("probe");
    List<Preopen> rw = List.of(new Preopen(box.toRealPath(), "/data", false));
    assertEquals(
        "inside",
        run(probe, List.of("read", "/data/in.txt"), Map.of(), new byte[0], rw, LIMITS, null)
            .stdout());
    for (String escape :
        List.of(
            "/data/../secret", "/data/link", "/data/up/secret", tmp.resolve("secret").toString())) {
      Run r = run(probe, List.of("read", escape), Map.of(), new byte[0], rw, LIMITS, null);
      assertEquals(1, exitCode(r), escape);
      assertFalse(r.stdout().contains("SECRET"), escape);
    }
    assertEquals(
        0,
        exitCode(
            run(
                probe,
                List.of("write", "/data/new.txt", "w"),
                Map.of(),
                new byte[0],
                rw,
                LIMITS,
                null)));
    assertEquals("w", Files.readString(box.resolve("new.txt")));
    assertEquals(
        1,
        exitCode(
            run(
                probe,
                List.of("write", "/data/up/planted", "x"),
                Map.of(),
                new byte[0],
                rw,
                LIMITS,
                null)));
    assertFalse(Files.exists(tmp.resolve("planted")));
    List<Preopen> ro = List.of(new Preopen(box.toRealPath(), "/data", true));
    assertEquals(
        1,
        exitCode(
            run(
                probe,
                List.of("write", "/data/in.txt", "changed"),
                Map.of(),
                new byte[0],
                ro,
                LIMITS,
                null)));
    assertEquals("inside", Files.readString(box.resolve("in.txt")));
  }

  @Test
  @Tag("wasi")
  public void theDeterministicProfileGivesTheSpecifiedClocksAndRandom() throws Exception {
    Assumptions.assumeTrue(
        descriptor().has(Capability.DETERMINISTIC_WASI),
        () -> descriptor().id() + " does not declare " + Capability.DETERMINISTIC_WASI.id());
    byte[] seed = new byte[32];
    for (int i = 0; i < 32; i++) {
      seed[i] = (byte) i;
    }
    Determinism d = new Determinism(1_700_000_000_000_000L, seed);
    CompiledModule probe = compile("probe");
    String time = run(probe, List.of("time"), Map.of(), new byte[0], List.of(), LIMITS, d).stdout();
    long base = 1_700_000_000_000_000_000L;
    assertEquals(
        "realtime "
            + base
            + " monotonic "
            + (base + 1000)
            + "\nrealtime "
            + (base + 2000)
            + " monotonic "
            + (base + 3000)
            + "\n",
        time);
    // Computed here from the specification, independently of the engine's code.
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(seed);
    sha.update(ByteBuffer.allocate(8).putLong(0).array());
    String expected = HexFormat.of().formatHex(sha.digest(), 0, 16);
    assertEquals(
        expected + "\n",
        run(probe, List.of("random", "16"), Map.of(), new byte[0], List.of(), LIMITS, d).stdout());
  }

  @Test
  @Tag("wasi")
  public void withoutTheCapabilityADeterministicRunIsRefusedNotFaked() {
    Assumptions.assumeFalse(
        descriptor().has(Capability.DETERMINISTIC_WASI), "the engine declares deterministic WASI");
    Determinism d = new Determinism(1_700_000_000_000_000L, new byte[32]);
    Run r = run(compile("probe"), List.of("time"), Map.of(), new byte[0], List.of(), LIMITS, d);
    assertEquals(
        RejectionKind.UNSUPPORTED,
        assertInstanceOf(ExecutionOutcome.Rejected.class, r.outcome(), r::toString).kind());
  }

  /**
   * Runs one case of the {@code wasi-fs} fixture in a fresh writable preopen ({@code /data}, fd 3):
   * the fixture checks every result of its raw WASI calls and says what differed.
   */
  private void wasiFs(String testCase) throws IOException {
    Path box = Files.createDirectory(tmp.resolve("box-" + testCase));
    List<Preopen> preopen = List.of(new Preopen(box.toRealPath(), "/data", false));
    Run r =
        run(compile("wasi-fs"), List.of(testCase), Map.of(), new byte[0], preopen, LIMITS, null);
    assertEquals("ok\n", r.stdout(), () -> testCase + ": " + r.outcome() + "\n" + r.stderr());
    assertEquals(0, exitCode(r), r::toString);
  }

  @Test
  @Tag("wasi")
  public void wasiSymlinksStayInsideThePreopen() throws IOException {
    wasiFs("symlinks");
  }

  @Test
  @Tag("wasi")
  public void wasiHardLinks() throws IOException {
    wasiFs("hardlinks");
  }

  @Test
  @Tag("wasi")
  public void wasiRenameIsRename2() throws IOException {
    wasiFs("rename");
  }

  @Test
  @Tag("wasi")
  public void wasiRightsOnlyShrink() throws IOException {
    wasiFs("rights");
  }

  @Test
  @Tag("wasi")
  public void wasiDescriptorNumbersAndSockets() throws IOException {
    wasiFs("descriptors");
  }

  @Test
  @Tag("wasi")
  public void wasiAppendWritesAtTheEnd() throws IOException {
    wasiFs("append");
  }

  @Test
  @Tag("wasi")
  public void wasiPollSeesStdioReady() throws IOException {
    wasiFs("poll");
  }

  @Test
  @Tag("wasi")
  public void wasiPollSleepsUntilAnAbsoluteDeadlineOnTheGuestsClock() {
    // poll_oneoff's absolute monotonic deadlines are on the clock clock_time_get reads.
    assertEquals(
        0,
        exitCode(run("poll-abstime", List.of())),
        "1: poll failed, 2: wrong event, 3: woke early");
  }

  @Test
  @Tag("wasi")
  public void wasiADirectorySwappedForASymlinkLeadsNowhere() throws IOException {
    wasiFs("escape");
    // The fixture left a symlink "a" -> "../.." in the preopen; nothing outside was touched.
    assertTrue(Files.isSymbolicLink(tmp.resolve("box-escape/a")));
  }

  // ---------------------------------------------------------------- isolation

  @Test
  @Tag("isolation")
  public void instancesRunningInParallelDoNotSeeEachOther() throws Exception {
    CompiledModule probe = compile("probe");
    CompiledModule bomb = compile("memory-grow-bomb");
    try (var pool = Executors.newFixedThreadPool(4)) {
      List<Future<String>> outs = new ArrayList<>();
      List<Future<Integer>> pages = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String arg = "job-" + i;
        outs.add(
            pool.submit(
                () ->
                    run(probe, List.of("args", arg), Map.of(), new byte[0], List.of(), LIMITS, null)
                        .stdout()));
        long mib = 1 + i % 3;
        pages.add(
            pool.submit(
                () ->
                    exitCode(
                        run(
                            bomb,
                            List.of(),
                            Map.of(),
                            new byte[0],
                            List.of(),
                            LIMITS.withMaxMemoryBytes(mib << 20),
                            null))));
      }
      for (int i = 0; i < 8; i++) {
        assertEquals("guest.wasm\nargs\njob-" + i + "\n", outs.get(i).get(60, TimeUnit.SECONDS));
        assertEquals(
            16 * (1 + i % 3),
            pages.get(i).get(60, TimeUnit.SECONDS),
            "each instance has its own memory and cap");
      }
    }
  }
}
