package dev.plasm.engine.chicory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.ModuleRejectedException;
import dev.plasm.api.RejectionKind;
import dev.plasm.api.ResourceLimits;
import dev.plasm.engine.spi.CompileSettings;
import dev.plasm.engine.spi.ExecutionRequest;
import dev.plasm.engine.spi.WasiConfig;
import dev.plasm.engine.spi.WasmEngineProvider;
import dev.plasm.fixtures.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The two providers' contract, and the module-level behaviour the CLI tests do not reach. */
class ChicoryProvidersTests {
  private static final CompileSettings SETTINGS =
      new CompileSettings(ResourceLimits.DEFAULTS, false);

  @Test
  void bothProvidersAreServicesWithDistinctValidIds() {
    var provides = ChicoryEngine.class.getModule().getDescriptor().provides();
    assertEquals(1, provides.size());
    var p = provides.iterator().next();
    assertEquals(WasmEngineProvider.class.getName(), p.service());
    assertEquals(
        List.of(
            ChicoryInterpreterProvider.class.getName(), ChicoryCompilerProvider.class.getName()),
        p.providers());
    assertFalse(
        new ChicoryInterpreterProvider()
            .descriptor()
            .id()
            .equals(new ChicoryCompilerProvider().descriptor().id()));
    assertFalse(
        ChicoryEngine.CHICORY_VERSION.equals("unknown"), "the version comes from the build");
  }

  @Test
  void onlyTheInterpreterMetersFuelAndOnlyTheCompilerClaimsTheDeadline() {
    var interp = new ChicoryInterpreterProvider().descriptor();
    var comp = new ChicoryCompilerProvider().descriptor();
    assertTrue(interp.enforces(Limit.FUEL) && !interp.enforces(Limit.WALL_TIME));
    assertTrue(comp.enforces(Limit.WALL_TIME) && !comp.enforces(Limit.FUEL));
    assertTrue(interp.enforces(Limit.MEMORY) && comp.enforces(Limit.MEMORY));
  }

  @Test
  void hostileBytesAreRejectedAsMalformedNeverThrownRaw() {
    var engine = new ChicoryInterpreterProvider().create();
    byte[][] inputs = {
      new byte[0],
      "\0asm".getBytes(),
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
    };
    for (byte[] in : inputs) {
      var e = assertThrows(ModuleRejectedException.class, () -> engine.compile(in, SETTINGS));
      assertEquals(RejectionKind.MALFORMED, e.kind());
    }
    assertEquals(
        RejectionKind.INVALID,
        assertThrows(
                ModuleRejectedException.class,
                () -> engine.compile(Fixtures.bytes("invalid"), SETTINGS))
            .kind());
  }

  @Test
  void aCompiledModuleRunsManyTimesWithFreshInstances() {
    for (WasmEngineProvider p :
        List.of(new ChicoryInterpreterProvider(), new ChicoryCompilerProvider())) {
      var module = p.create().compile(Fixtures.bytes("memory-grow-bomb"), SETTINGS);
      for (int i = 0; i < 3; i++) {
        var out = new ByteArrayOutputStream();
        var wasi =
            new WasiConfig(
                List.of("bomb"),
                Map.of(),
                new ByteArrayInputStream(new byte[0]),
                out,
                out,
                List.of());
        var limits = ResourceLimits.DEFAULTS.withMaxMemoryBytes(2L << 20);
        var o = module.run(new ExecutionRequest(wasi, limits));
        // Each run starts from the declared one page, not from the last run's memory.
        assertEquals(
            32,
            assertInstanceOf(ExecutionOutcome.Completed.class, o).exitCode(),
            p.descriptor().id());
      }
    }
  }
}
