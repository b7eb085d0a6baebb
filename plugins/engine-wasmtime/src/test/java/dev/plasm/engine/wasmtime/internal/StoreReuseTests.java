package dev.plasm.engine.wasmtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.ResourceLimits;
import dev.plasm.engine.spi.CompileSettings;
import dev.plasm.engine.spi.CompiledModule;
import dev.plasm.engine.spi.ExecutionRequest;
import dev.plasm.engine.spi.WasiConfig;
import dev.plasm.engine.wasmtime.WasmtimeEngineProvider;
import dev.plasm.fixtures.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A store serves several completed runs (wasmtime compiles its host function once), never state. */
class StoreReuseTests {
  private static final ResourceLimits LIMITS =
      ResourceLimits.DEFAULTS.withTimeout(Duration.ofSeconds(30));
  private static final CompileSettings SETTINGS = new CompileSettings(LIMITS, false);

  private WasmtimeEngine engine;

  @BeforeEach
  void start() {
    engine = (WasmtimeEngine) new WasmtimeEngineProvider().create();
  }

  @AfterEach
  void stop() {
    engine.close();
  }

  private static ExecutionOutcome run(CompiledModule m) {
    var wasi =
        new WasiConfig(
            List.of("guest.wasm"),
            Map.of(),
            new ByteArrayInputStream(new byte[0]),
            new ByteArrayOutputStream(),
            new ByteArrayOutputStream(),
            List.of());
    return m.run(new ExecutionRequest(wasi, LIMITS));
  }

  private static byte[] fixture(String name) {
    try (InputStream in =
        StoreReuseTests.class.getResourceAsStream("/dev/plasm/engine/wasmtime/" + name + ".wasm")) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void completedRunsShareAStoreUpToItsCapAndEachStartsFresh() {
    CompiledModule fresh = engine.compile(fixture("fresh-state"), SETTINGS);
    int runs = 3 * PreparedStore.MAX_RUNS;
    for (int i = 0; i < runs; i++) {
      ExecutionOutcome o = run(fresh);
      // The guest exits with the marks an earlier run left in memory, a global or a table: none.
      assertEquals(
          0,
          assertInstanceOf(ExecutionOutcome.Completed.class, o, o::toString).exitCode(),
          "run " + i);
    }
    // One store per MAX_RUNS runs, and a few more when the next run came before the background
    // thread had made one ahead; without reuse there would be one per run.
    long made = engine.storesMade();
    assertTrue(made >= 3 && made <= runs / 4, "stores made for " + runs + " runs: " + made);
  }

  @Test
  void aStoreIsGivenToTheNextRunOnlyAfterARunThatCompleted() {
    PreparedStore completed = engine.takeStore();
    engine.releaseStore(completed, true, 1);
    assertSame(completed, engine.takeStore(), "a completed run's store serves the next");

    // Trapped, stopped at the deadline, failed, refused: the run did not complete.
    engine.releaseStore(completed, false, 1);
    for (int i = 0; i < 3; i++) {
      PreparedStore next = engine.takeStore();
      assertNotSame(completed, next, "a store after a run that did not complete");
      engine.releaseStore(next, true, 1);
    }

    // And through real runs: a trap, then a run that must find nothing left over.
    CompiledModule trap = engine.compile(Fixtures.bytes("trap-unreachable"), SETTINGS);
    CompiledModule fresh = engine.compile(fixture("fresh-state"), SETTINGS);
    for (int i = 0; i < 4; i++) {
      assertInstanceOf(ExecutionOutcome.Trapped.class, run(trap));
      ExecutionOutcome o = run(fresh);
      assertEquals(
          0, assertInstanceOf(ExecutionOutcome.Completed.class, o, o::toString).exitCode());
    }
  }

  @Test
  void aStoreServesAtMostItsRunsAndItsPages() {
    PreparedStore byPages = PreparedStore.create(engine);
    assertTrue(byPages.recordRun(PreparedStore.MAX_PAGES - 1), "under the page cap");
    assertFalse(byPages.recordRun(2), "over the page cap");
    byPages.dispose();

    PreparedStore byRuns = PreparedStore.create(engine);
    for (int i = 1; i < PreparedStore.MAX_RUNS; i++) {
      assertFalse(byRuns.lastRun(), "run " + i);
      assertTrue(byRuns.recordRun(1), "run " + i);
    }
    assertTrue(byRuns.lastRun());
    assertFalse(byRuns.recordRun(1), "the last run");
    byRuns.dispose();
  }
}
