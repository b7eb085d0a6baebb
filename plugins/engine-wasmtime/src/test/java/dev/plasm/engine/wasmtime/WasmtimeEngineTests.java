package dev.plasm.engine.wasmtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitExceededException;
import dev.plasm.api.ModuleRejectedException;
import dev.plasm.api.RejectionKind;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.TrapKind;
import dev.plasm.engine.spi.CompileSettings;
import dev.plasm.engine.spi.CompiledModule;
import dev.plasm.engine.spi.ExecutionRequest;
import dev.plasm.engine.spi.Preopen;
import dev.plasm.engine.spi.WasiConfig;
import dev.plasm.engine.spi.WasmEngine;
import dev.plasm.fixtures.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the wasmtime engine does beyond the TCK: its epoch, its module rewriting, its read-only preopens. */
class WasmtimeEngineTests {
  private static final ResourceLimits LIMITS =
      ResourceLimits.DEFAULTS.withTimeout(Duration.ofSeconds(30));
  private static final CompileSettings SETTINGS = new CompileSettings(LIMITS, false);

  private static WasmEngine engine;

  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    engine = new WasmtimeEngineProvider().create();
  }

  @AfterAll
  static void stop() {
    engine.close();
  }

  private record Run(ExecutionOutcome outcome, String stdout, String stderr) {}

  private static Run run(
      CompiledModule m, List<String> args, List<Preopen> preopens, ResourceLimits limits) {
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    var argv = new java.util.ArrayList<>(List.of("guest.wasm"));
    argv.addAll(args);
    var wasi =
        new WasiConfig(argv, Map.of(), new ByteArrayInputStream(new byte[0]), out, err, preopens);
    return new Run(
        m.run(new ExecutionRequest(wasi, limits)),
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  private static int exitCode(Run r) {
    return assertInstanceOf(ExecutionOutcome.Completed.class, r.outcome(), r::toString).exitCode();
  }

  private static byte[] testModule(String name) {
    try (InputStream in = WasmtimeEngineTests.class.getResourceAsStream(name + ".wasm")) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void readOnlyPreopensAllowReadingAndRefuseEveryChange() throws IOException {
    Path box = Files.createDirectory(tmp.resolve("box"));
    Files.writeString(box.resolve("in.txt"), "inside");
    Files.createDirectory(box.resolve("sub"));
    List<Preopen> ro = List.of(new Preopen(box.toRealPath(), "/data", true));
    CompiledModule probe = engine.compile(Fixtures.bytes("probe"), SETTINGS);

    assertEquals("inside", run(probe, List.of("read", "/data/in.txt"), ro, LIMITS).stdout());
    assertEquals("in.txt\nsub\n", run(probe, List.of("ls", "/data"), ro, LIMITS).stdout());
    for (List<String> change :
        List.of(
            List.of("write", "/data/in.txt", "changed"),
            List.of("write", "/data/new.txt", "x"),
            List.of("write", "/data/sub/new.txt", "x"),
            List.of("mkdir", "/data/dir"),
            List.of("rm", "/data/in.txt"))) {
      Run r = run(probe, change, ro, LIMITS);
      assertEquals(1, exitCode(r), change + ": " + r);
    }
    // O_TRUNC without O_CREAT, asking for every right: refused, and the file keeps its bytes.
    int errno =
        exitCode(
            run(
                engine.compile(testModule("truncate-through-preopen"), SETTINGS),
                List.of(),
                ro,
                LIMITS));
    assertTrue(errno != 0, "path_open with O_TRUNC succeeded on a read-only preopen");
    assertEquals("inside", Files.readString(box.resolve("in.txt")));
    try (var files = Files.list(box)) {
      assertEquals(2, files.count(), "nothing was created");
    }
    // The same module truncates through a read-write preopen: the refusal above is the caps'.
    List<Preopen> rw = List.of(new Preopen(box.toRealPath(), "/data", false));
    assertEquals(
        0,
        exitCode(
            run(
                engine.compile(testModule("truncate-through-preopen"), SETTINGS),
                List.of(),
                rw,
                LIMITS)));
    assertEquals("", Files.readString(box.resolve("in.txt")));
  }

  /** The engine's compiled modules outlive the process: the next one loads them (docs/cli.md). */
  @Test
  void aCompiledModuleIsKeptInTheCacheDirectoryForTheNextProcess() throws Exception {
    Path dir = Files.createTempDirectory("plasm-wasmtime-cache");
    try (WasmEngine cached =
        new WasmtimeEngineProvider().create(new dev.plasm.engine.spi.EngineEnvironment(dir))) {
      cached.compile(Fixtures.bytes("probe"), SETTINGS);
    }
    String config = Files.readString(dir.resolve("wasmtime-cache.toml"));
    assertTrue(config.contains("enabled = true"), config);
    try (var entries = Files.walk(dir.resolve("wasmtime").resolve("modules"))) {
      List<Path> kept =
          entries
              .filter(Files::isRegularFile)
              .filter(f -> !f.getFileName().toString().endsWith(".stats"))
              .toList();
      assertEquals(1, kept.size(), kept::toString);
      assertTrue(Files.size(kept.get(0)) > 1000, "a compiled module, not a marker");
    }
  }

  @Test
  void cacheConfigurationQuotesAnyPath() {
    assertEquals(
        "\"/a \\\"b\\\\c\\u000A\"",
        dev.plasm.engine.wasmtime.internal.WasmtimeEngine.tomlString("/a \"b\\c\n"));
  }

  @Test
  void everyProcExitCodeComesThroughUnchanged() {
    CompiledModule probe = engine.compile(Fixtures.bytes("probe"), SETTINGS);
    // wasmtime's own proc_exit turns 126 and above into an error; the engine's does not.
    for (int code : new int[] {0, 125, 126, 127, 200, 255}) {
      assertEquals(code, exitCode(run(probe, List.of("exit", "" + code), List.of(), LIMITS)));
    }
  }

  @Test
  void aThrowingStdoutStopsAFloodAtOnceAndKeepsWhatWasWritten() {
    ByteArrayOutputStream kept = new ByteArrayOutputStream();
    OutputStream capped =
        new OutputStream() {
          @Override
          public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            if (kept.size() + len > 1 << 20) {
              throw new LimitExceededException(Limit.OUTPUT, "stdout is over its 1 MiB cap");
            }
            kept.write(b, off, len);
          }
        };
    var wasi =
        new WasiConfig(
            List.of("probe", "flood"),
            Map.of(),
            new ByteArrayInputStream(new byte[0]),
            capped,
            new ByteArrayOutputStream(),
            List.of());
    long start = System.nanoTime();
    ExecutionOutcome o =
        engine.compile(Fixtures.bytes("probe"), SETTINGS).run(new ExecutionRequest(wasi, LIMITS));
    long ms = (System.nanoTime() - start) / 1_000_000;
    var le = assertInstanceOf(ExecutionOutcome.LimitExceeded.class, o);
    assertEquals(Limit.OUTPUT, le.limit());
    assertEquals("stdout is over its 1 MiB cap", le.message());
    // probe writes 64 KiB lines; the guest stopped at the first refused write.
    assertEquals(16 * 65_536, kept.size());
    assertTrue(ms < 5_000, "took " + ms + " ms");
  }

  @Test
  void withoutEpochsAnInterruptedGuestStopsAtItsNextWasiCall() throws Exception {
    OutputStream sink = OutputStream.nullOutputStream();
    var wasi =
        new WasiConfig(
            List.of("probe", "flood"),
            Map.of(),
            new ByteArrayInputStream(new byte[0]),
            sink,
            sink,
            List.of());
    CompiledModule probe = engine.compile(Fixtures.bytes("probe"), SETTINGS);
    var result = new CompletableFuture<ExecutionOutcome>();
    Thread t =
        Thread.ofPlatform()
            .daemon()
            .start(() -> result.complete(probe.run(new ExecutionRequest(wasi, LIMITS))));
    Thread.sleep(200);
    assertFalse(result.isDone(), "the flood ended by itself");
    t.interrupt();
    var stopped =
        assertInstanceOf(ExecutionOutcome.LimitExceeded.class, result.get(3, TimeUnit.SECONDS));
    assertEquals(Limit.WALL_TIME, stopped.limit());
    assertFalse(
        new WasmtimeEngineProvider().descriptor().enforces(Limit.WALL_TIME),
        "not interruptible by default");
    assertTrue(new WasmtimeEngineProvider(true).descriptor().enforces(Limit.WALL_TIME));
  }

  @Test
  void interruptingOneRunNeverGivesAnotherAFalseOutcome() throws Exception {
    WasmEngine interruptible = new WasmtimeEngineProvider(true).create();
    CompiledModule loop = interruptible.compile(Fixtures.bytes("loop-br-if"), SETTINGS);
    WasmEngine other = new WasmtimeEngineProvider(true).create();
    CompiledModule otherLoop = other.compile(Fixtures.bytes("loop-br"), SETTINGS);
    try {
      var target = new CompletableFuture<ExecutionOutcome>();
      var bystander = new CompletableFuture<ExecutionOutcome>();
      var elsewhere = new CompletableFuture<ExecutionOutcome>();
      Thread t1 =
          Thread.ofPlatform()
              .daemon()
              .start(() -> target.complete(run(loop, List.of(), List.of(), LIMITS).outcome()));
      Thread t2 =
          Thread.ofPlatform()
              .daemon()
              .start(() -> bystander.complete(run(loop, List.of(), List.of(), LIMITS).outcome()));
      Thread t3 =
          Thread.ofPlatform()
              .daemon()
              .start(
                  () -> elsewhere.complete(run(otherLoop, List.of(), List.of(), LIMITS).outcome()));
      Thread.sleep(300);
      t1.interrupt();
      var stopped =
          assertInstanceOf(ExecutionOutcome.LimitExceeded.class, target.get(3, TimeUnit.SECONDS));
      assertEquals(Limit.WALL_TIME, stopped.limit());
      // wasmtime-java has one epoch per engine: the bystander on the same engine is stopped too,
      // and says so instead of claiming a deadline it never had.
      var failed =
          assertInstanceOf(ExecutionOutcome.Failed.class, bystander.get(3, TimeUnit.SECONDS));
      assertTrue(failed.message().contains("another run on the same engine"), failed.message());
      // Another engine has its own epoch: its run goes on until its own interrupt.
      Thread.sleep(200);
      assertFalse(elsewhere.isDone(), "a run of another engine was stopped");
      t3.interrupt();
      assertEquals(
          Limit.WALL_TIME,
          assertInstanceOf(ExecutionOutcome.LimitExceeded.class, elsewhere.get(3, TimeUnit.SECONDS))
              .limit());
      t2.interrupt();
    } finally {
      other.close();
      interruptible.close();
    }
  }

  @Test
  void anAlreadyInterruptedThreadDoesNotStartTheGuest() throws Exception {
    CompiledModule probe = engine.compile(Fixtures.bytes("probe"), SETTINGS);
    var result = new CompletableFuture<Run>();
    Thread.ofPlatform()
        .start(
            () -> {
              Thread.currentThread().interrupt();
              result.complete(run(probe, List.of("args"), List.of(), LIMITS));
            })
        .join();
    Run r = result.get();
    assertEquals(
        Limit.WALL_TIME,
        assertInstanceOf(ExecutionOutcome.LimitExceeded.class, r.outcome()).limit());
    assertEquals("", r.stdout());
  }

  @Test
  void deepRecursionOnTheHostsEightMiBThreadIsACleanStackOverflowTrap() throws Exception {
    CompiledModule recursion = engine.compile(Fixtures.bytes("trap-stack-overflow"), SETTINGS);
    var result = new CompletableFuture<ExecutionOutcome>();
    Thread t =
        Thread.ofPlatform()
            .daemon()
            .stackSize(8L << 20)
            .start(() -> result.complete(run(recursion, List.of(), List.of(), LIMITS).outcome()));
    t.join(30_000);
    assertEquals(
        TrapKind.STACK_OVERFLOW,
        assertInstanceOf(ExecutionOutcome.Trapped.class, result.get(1, TimeUnit.SECONDS)).kind());
  }

  @Test
  void aCompiledModuleRunsManyTimesEachWithItsOwnMemoryCap() {
    CompiledModule bomb = engine.compile(Fixtures.bytes("memory-grow-bomb"), SETTINGS);
    for (long mib : new long[] {2, 1, 3}) {
      Run r = run(bomb, List.of(), List.of(), LIMITS.withMaxMemoryBytes(mib << 20));
      assertEquals(
          16 * (int) mib,
          exitCode(r),
          "each run starts from the declared one page, with its own cap");
      assertEquals(16 * (int) mib, r.outcome().usage().peakMemoryPages());
    }
  }

  @Test
  void theClocksGiveTheSameErrnosThroughTheNativeFastPath() {
    // Realtime and monotonic come from wasmtime's WASI (clock-shim.wat), the rest from Plasm's:
    // together they must answer exactly as Plasm's WASI alone does on the other engines.
    CompiledModule clocks = engine.compile(testModule("clock-ids"), SETTINGS);
    assertEquals(0, exitCode(run(clocks, List.of(), List.of(), LIMITS)));
    var deterministic =
        new WasiConfig(
            List.of("clock-ids"),
            Map.of(),
            new ByteArrayInputStream(new byte[0]),
            new ByteArrayOutputStream(),
            new ByteArrayOutputStream(),
            List.of(),
            new dev.plasm.engine.spi.Determinism(1, new byte[32]));
    ExecutionOutcome o = clocks.run(new ExecutionRequest(deterministic, LIMITS));
    assertEquals(0, assertInstanceOf(ExecutionOutcome.Completed.class, o).exitCode());
  }

  @Test
  void storesPreparedAheadKeepTheGuestsClockAndPollInStep() throws Exception {
    // From an engine's second run on, runs get a store made earlier by a background thread; its
    // native monotonic clock counts from then, and so must poll_oneoff's deadlines.
    CompiledModule poll = engine.compile(Fixtures.bytes("poll-abstime"), SETTINGS);
    for (int i = 0; i < 4; i++) {
      Thread.sleep(50); // time for the next store to be prepared, and to age
      assertEquals(0, exitCode(run(poll, List.of(), List.of(), LIMITS)), "run " + i);
    }
  }

  @Test
  void hostileBytesAreRejectedAsMalformedNeverThrownRaw() {
    byte[][] inputs = {
      new byte[0],
      "\0asm".getBytes(StandardCharsets.ISO_8859_1),
      "\0asm\2\0\0\0".getBytes(StandardCharsets.ISO_8859_1),
      Fixtures.truncated("probe", 100),
      // A custom section whose name claims 2 GiB.
      new byte[] {
        0,
        'a',
        's',
        'm',
        1,
        0,
        0,
        0,
        0,
        6,
        (byte) 0xff,
        (byte) 0xff,
        (byte) 0xff,
        (byte) 0xff,
        7,
        'x'
      },
      // An import section whose module name is not UTF-8.
      new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 2, 6, 1, 2, (byte) 0xc3, 0x28, 0, 0},
    };
    for (byte[] in : inputs) {
      var e = assertThrows(ModuleRejectedException.class, () -> engine.compile(in, SETTINGS));
      assertEquals(RejectionKind.MALFORMED, e.kind(), e.getMessage());
    }
    var e =
        assertThrows(
            ModuleRejectedException.class,
            () -> engine.compile(Fixtures.bytes("invalid"), SETTINGS));
    assertEquals(RejectionKind.INVALID, e.kind(), e.getMessage());
  }
}
