package dev.plasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.RejectionKind;
import dev.plasm.api.ResourceLimits;
import dev.plasm.engine.spi.CompileSettings;
import dev.plasm.engine.spi.ExecutionRequest;
import dev.plasm.engine.spi.WasiConfig;
import dev.plasm.fixtures.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Capping memories and tables in the binary, for engines that cannot cap them at run time. The
 * rewritten modules run on Chicory given no cap of its own (4 GiB), so only the rewrite can stop
 * them.
 */
class ModuleLimitsTests {
  private static final EngineRegistry REGISTRY = EngineRegistry.discover();
  private static final ResourceLimits NO_ENGINE_CAP =
      ResourceLimits.DEFAULTS.withMaxMemoryBytes(4L << 30);

  private static byte[] capped(String fixture, ResourceLimits limits) {
    var r = ModuleLimits.apply(fixture, Fixtures.bytes(fixture), limits, true, true);
    return assertInstanceOf(ModuleLimits.Result.Capped.class, r, r::toString).module();
  }

  private static ExecutionOutcome runUncapped(byte[] module) {
    var compiled =
        REGISTRY
            .engine("chicory-compiler")
            .compile(module, new CompileSettings(NO_ENGINE_CAP, false));
    var out = new ByteArrayOutputStream();
    var wasi =
        new WasiConfig(
            List.of("m"), Map.of(), new ByteArrayInputStream(new byte[0]), out, out, List.of());
    return compiled.run(new ExecutionRequest(wasi, NO_ENGINE_CAP));
  }

  @Test
  void memoryGrowStopsAtTheRewrittenMaximum() {
    byte[] m = capped("memory-grow-bomb", ResourceLimits.DEFAULTS.withMaxMemoryBytes(4L << 20));
    assertEquals(64, assertInstanceOf(ExecutionOutcome.Completed.class, runUncapped(m)).exitCode());
    byte[] huge = capped("memory-grow-huge", ResourceLimits.DEFAULTS);
    assertEquals(
        42, assertInstanceOf(ExecutionOutcome.Completed.class, runUncapped(huge)).exitCode());
  }

  @Test
  void tableGrowStopsAtTheRewrittenMaximum() {
    byte[] m = capped("table-grow-huge", ResourceLimits.DEFAULTS.withMaxTableElements(10));
    assertEquals(42, assertInstanceOf(ExecutionOutcome.Completed.class, runUncapped(m)).exitCode());
  }

  @Test
  void anInitialSizeOverTheCapIsRefusedBeforeCompiling() {
    var r =
        ModuleLimits.apply(
            "big", Fixtures.bytes("memory-huge-initial"), ResourceLimits.DEFAULTS, true, true);
    var le =
        assertInstanceOf(
            ExecutionOutcome.LimitExceeded.class,
            assertInstanceOf(ModuleLimits.Result.Refused.class, r).outcome());
    assertEquals(Limit.MEMORY, le.limit());
    assertTrue(le.message().contains("65536 pages"), le.message());
  }

  @Test
  void modulesWithoutMemoryOrTablesAndRealProgramsAreUnchangedInBehaviour() {
    byte[] probe = Fixtures.bytes("probe");
    byte[] rewritten = capped("probe", ResourceLimits.DEFAULTS);
    assertTrue(Math.abs(rewritten.length - probe.length) < 16, "only the limits changed");
    // Without a command, probe prints its usage and exits 2, rewritten or not.
    assertEquals(
        2, assertInstanceOf(ExecutionOutcome.Completed.class, runUncapped(rewritten)).exitCode());
    byte[] exit = Fixtures.bytes("trap-unreachable");
    assertTrue(
        Arrays.equals(exit, capped("trap-unreachable", ResourceLimits.DEFAULTS)),
        "no memory, no table: byte for byte the same");
  }

  @Test
  void brokenBinariesAreMalformed() {
    for (byte[] bad :
        new byte[][] {new byte[0], "not wasm at all".getBytes(), Fixtures.truncated("probe", 40)}) {
      var r = ModuleLimits.apply("bad.wasm", bad, ResourceLimits.DEFAULTS, true, true);
      var rej =
          assertInstanceOf(
              ExecutionOutcome.Rejected.class,
              assertInstanceOf(ModuleLimits.Result.Refused.class, r).outcome());
      assertEquals(RejectionKind.MALFORMED, rej.kind());
    }
  }

  @Test
  void theMemoCapsAModuleOncePerCapsAndKeysItByTheCappedBytes() {
    byte[] bomb = Fixtures.bytes("memory-grow-bomb");
    String sha = Hashing.sha256Hex(bomb);
    var memo = new ModuleLimits.Memo(2, 1L << 20);
    ResourceLimits two = ResourceLimits.DEFAULTS.withMaxMemoryBytes(2L << 20);
    ResourceLimits three = ResourceLimits.DEFAULTS.withMaxMemoryBytes(3L << 20);

    var first =
        assertInstanceOf(
            ModuleLimits.Result.Capped.class, memo.apply("a", bomb, sha, two, true, true));
    assertEquals(
        Hashing.sha256Hex(first.module()), first.sha256(), "the digest of the capped bytes");
    assertSame(
        first, memo.apply("b", bomb, sha, two, true, true), "the same module and caps: remembered");
    var other =
        assertInstanceOf(
            ModuleLimits.Result.Capped.class, memo.apply("a", bomb, sha, three, true, true));
    assertNotEquals(first.sha256(), other.sha256(), "other caps, other bytes");
    // Two entries at most: a third pushes out the least recently used (the 2 MiB one).
    memo.apply("a", bomb, sha, ResourceLimits.DEFAULTS, true, true);
    assertNotSame(first, memo.apply("a", bomb, sha, two, true, true));
    // A refusal is never remembered: its message names the job's module.
    var big = ResourceLimits.DEFAULTS.withMaxMemoryBytes(64 << 10);
    byte[] huge = Fixtures.bytes("memory-huge-initial");
    String hugeSha = Hashing.sha256Hex(huge);
    var refused =
        assertInstanceOf(
            ModuleLimits.Result.Refused.class,
            memo.apply("x.wasm", huge, hugeSha, big, true, true));
    var again =
        assertInstanceOf(
            ModuleLimits.Result.Refused.class,
            memo.apply("y.wasm", huge, hugeSha, big, true, true));
    assertNotSame(refused, again);
    // Bounded by bytes as well: a module over the bound is capped but not remembered.
    var small = new ModuleLimits.Memo(8, first.module().length - 1);
    assertNotSame(
        small.apply("a", bomb, sha, two, true, true), small.apply("a", bomb, sha, two, true, true));
  }
}
