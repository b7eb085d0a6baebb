package dev.plasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.ResourceLimits;
import dev.plasm.fixtures.Fixtures;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobPlan;
import dev.plasm.job.Placement;
import dev.plasm.job.Verify;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The sandbox on the real Chicory engines. */
class SandboxTests {
  private static final EngineRegistry REGISTRY = EngineRegistry.discover();

  private static Job job(String fixture, String engine, ResourceLimits limits, List<String> args) {
    return job(fixture, engine, limits, args, new ByteArrayOutputStream());
  }

  /** Admits the job as plasm run does (these limits as the defaults), then gives it its streams. */
  static Job job(
      String fixture,
      String engine,
      ResourceLimits limits,
      List<String> args,
      ByteArrayOutputStream out) {
    byte[] module = Fixtures.bytes(fixture);
    JobManifest m =
        new JobManifest(
            new JobManifest.ModuleSource.Inline(module),
            fixture + ".wasm",
            args,
            Map.of(),
            new JobManifest.StdinSource.None(),
            Map.of(),
            engine,
            false,
            null,
            Placement.ANY,
            1,
            Verify.RECEIPT,
            null);
    JobPlan plan =
        new Admission(REGISTRY, Admission.Policy.local(limits))
            .admit(
                m,
                new Admission.ModuleInfo(StreamDigest.of(module).sha256(), module.length),
                fixture + ".wasm",
                0);
    return new Job(
        plan,
        module,
        new ByteArrayInputStream(new byte[0]),
        out,
        new ByteArrayOutputStream(),
        List.of(),
        null);
  }

  @Test
  void discoversBothChicoryEnginesWithValidDescriptors() {
    var ids = REGISTRY.engines().stream().map(e -> e.descriptor().id()).toList();
    assertEquals(List.of("chicory-compiler", "chicory-interpreter"), ids);
    assertEquals(
        "chicory-interpreter", REGISTRY.choose("auto", false, false, 30_000).descriptor().id());
    assertTrue(REGISTRY.problems().isEmpty(), REGISTRY.problems()::toString);
  }

  @Test
  void aRunawayGuestIsHandedToThePolicyAndTheSandboxReturns() {
    AtomicReference<ExecutionOutcome> seen = new AtomicReference<>();
    Sandbox sandbox = new Sandbox(REGISTRY, (result, guest) -> seen.set(result.outcome()));
    // Long enough for the compile to end before the deadline on a busy machine: an interrupt during
    // the compile stops it, and that guest would not be a runaway.
    var limits = ResourceLimits.DEFAULTS.withTimeout(Duration.ofMillis(1500));
    ExecutionOutcome o = sandbox.run(job("loop-br-if", "chicory-interpreter", limits, List.of()));
    var le = assertInstanceOf(ExecutionOutcome.LimitExceeded.class, o);
    assertEquals(Limit.WALL_TIME, le.limit());
    assertEquals(le, seen.get(), "the policy saw the same outcome");
    assertTrue(le.usage().wallTime().compareTo(Duration.ofMillis(1500)) >= 0);
  }

  @Test
  void anInterruptibleGuestNeverReachesThePolicy() {
    Sandbox sandbox =
        new Sandbox(
            REGISTRY,
            (o, g) -> {
              throw new AssertionError("not a runaway: " + o);
            });
    var limits = ResourceLimits.DEFAULTS.withTimeout(Duration.ofMillis(1500));
    var o = sandbox.run(job("loop-br-if", "chicory-compiler", limits, List.of()));
    assertEquals(
        Limit.WALL_TIME, assertInstanceOf(ExecutionOutcome.LimitExceeded.class, o).limit());
  }

  @Test
  void jobsNeedingALimitTheEngineCannotEnforceAreRefusedBeforeRunning() {
    Sandbox sandbox = new Sandbox(REGISTRY, RunawayPolicy.ABANDON_THREAD);
    var limits = ResourceLimits.DEFAULTS.withFuel(OptionalLong.of(10));
    var e =
        assertThrows(
            ConfigurationException.class,
            () -> sandbox.run(job("exit-code", "chicory-compiler", limits, List.of())));
    assertEquals("limits.fuel", e.field());
  }

  @Test
  void parallelJobsDoNotSeeEachOther() throws Exception {
    Sandbox sandbox = new Sandbox(REGISTRY, RunawayPolicy.ABANDON_THREAD);
    try (var exec = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      var futures = new java.util.ArrayList<java.util.concurrent.Future<String>>();
      for (int i = 0; i < 8; i++) {
        String arg = "job-" + i;
        futures.add(
            exec.submit(
                () -> {
                  var out = new ByteArrayOutputStream();
                  var j =
                      job(
                          "probe",
                          i(arg) % 2 == 0 ? "chicory-interpreter" : "chicory-compiler",
                          ResourceLimits.DEFAULTS,
                          List.of("args", arg),
                          out);
                  var o = sandbox.run(j);
                  assertEquals(0, assertInstanceOf(ExecutionOutcome.Completed.class, o).exitCode());
                  return out.toString();
                }));
      }
      for (int i = 0; i < 8; i++) {
        assertEquals("probe.wasm\nargs\njob-" + i + "\n", futures.get(i).get());
      }
    }
  }

  private static int i(String arg) {
    return Integer.parseInt(arg.substring(4));
  }

  @Test
  void aGuestReadingPastItsStdinCapIsStoppedAndOneReadingExactlyTheCapIsNot() {
    for (String engine : List.of("chicory-interpreter", "chicory-compiler")) {
      var limits = ResourceLimits.DEFAULTS.with(Limit.STDIN, 10);
      Job exact = withStdin(job("probe", engine, limits, List.of("cat")), "0123456789");
      ExecutionOutcome ok = new Sandbox(REGISTRY, RunawayPolicy.ABANDON_THREAD).run(exact);
      assertInstanceOf(ExecutionOutcome.Completed.class, ok, engine + ": " + ok);
      Job over = withStdin(job("probe", engine, limits, List.of("cat")), "0123456789A");
      ExecutionOutcome o = new Sandbox(REGISTRY, RunawayPolicy.ABANDON_THREAD).run(over);
      var le = assertInstanceOf(ExecutionOutcome.LimitExceeded.class, o, engine + ": " + o);
      assertEquals(Limit.STDIN, le.limit());
      assertTrue(le.message().contains("10B cap (--max-stdin)"), le.message());
    }
  }

  private static Job withStdin(Job j, String stdin) {
    return new Job(
        j.plan(),
        j.module(),
        new ByteArrayInputStream(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        j.stdout(),
        j.stderr(),
        j.dirs(),
        j.determinism());
  }

  @Test
  void autoChoosesByWhatTheJobNeedsAndTheModuleSize() {
    assertEquals(
        "chicory-interpreter",
        REGISTRY.choose(null, false, false, 1_000).descriptor().id(),
        "small: interpret");
    assertEquals(
        "chicory-compiler",
        REGISTRY.choose("auto", false, false, 1 << 20).descriptor().id(),
        "large: compile");
    assertEquals(
        "chicory-interpreter",
        REGISTRY.choose("auto", true, false, 1 << 20).descriptor().id(),
        "fuel needs a meter");
    assertEquals(
        "chicory-compiler",
        REGISTRY.choose("chicory-compiler", false, false, 10).descriptor().id(),
        "a named engine wins");
  }

  @Test
  void aProviderBuiltForAnotherSpiVersionIsRefusedWithTheReason() {
    var current = REGISTRY.find("chicory-compiler").orElseThrow().provider();
    var future =
        new dev.plasm.engine.spi.WasmEngineProvider() {
          @Override
          public dev.plasm.engine.spi.EngineDescriptor descriptor() {
            return current.descriptor();
          }

          @Override
          public int spiVersion() {
            return dev.plasm.engine.spi.WasmEngineProvider.SPI_VERSION + 1;
          }

          @Override
          public dev.plasm.engine.spi.WasmEngine create() {
            throw new AssertionError("a refused provider is never created");
          }
        };
    assertEquals(null, EngineRegistry.spiVersionProblem(current, current.descriptor(), "m"));
    String problem =
        EngineRegistry.spiVersionProblem(future, future.descriptor(), "com.example.future");
    assertTrue(
        problem.contains("engine SPI version 2")
            && problem.contains("supports version 1")
            && problem.contains("rebuild"),
        problem);
  }

  @Test
  void unknownEnginesAreRefusedWithTheKnownIds() {
    var e = assertThrows(ConfigurationException.class, () -> REGISTRY.require("wasm3"));
    assertTrue(e.getMessage().contains("chicory-compiler, chicory-interpreter"), e.getMessage());
  }
}
