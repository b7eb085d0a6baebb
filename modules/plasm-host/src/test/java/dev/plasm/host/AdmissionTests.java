package dev.plasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.api.Limit;
import dev.plasm.api.LimitValueException;
import dev.plasm.api.ResourceLimits;
import dev.plasm.job.JobJson;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobPlan;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** One admission step, for a job run here and for one sent to other nodes alike. */
class AdmissionTests {
  private static final Admission.ModuleInfo MODULE = new Admission.ModuleInfo("a".repeat(64), 1000);
  private static final Admission ADMISSION =
      new Admission(
          EngineRegistry.discover(),
          Admission.Policy.node(ResourceLimits.DEFAULTS.withMaxMemoryBytes(128L << 20)));

  private static JobManifest manifest() {
    return JobManifest.of(new JobManifest.ModuleSource.ByHash(MODULE.sha256()));
  }

  @Test
  void aJobRunHereGetsAnEngineChosenWithItsVersion() {
    JobPlan p = ADMISSION.admit(manifest(), MODULE, "x.wasm", 0);
    assertTrue(p.engine().chosen(), p::toString);
    assertTrue(p.engine().id().startsWith("chicory-"), p::toString);
    assertEquals("x.wasm", p.programName());
  }

  @Test
  void aJobSentElsewhereKeepsTheEngineAsAskedWithTheSameLimitsAsHere() {
    JobPlan here = ADMISSION.admit(manifest(), MODULE, "x.wasm", 7);
    JobPlan elsewhere = ADMISSION.forElsewhere(manifest(), MODULE, "x.wasm", 7);
    assertEquals(JobPlan.Engine.asked("auto"), elsewhere.engine());
    assertFalse(elsewhere.engine().chosen());
    // The same plan but for the engine: one shape, made the same way.
    assertEquals(here.ranWith(elsewhere.engine(), here.limits()), elsewhere);
    assertEquals(
        "wasmtime",
        ADMISSION
            .forElsewhere(manifest().withEngine("wasmtime"), MODULE, "x.wasm", 0)
            .engine()
            .id(),
        "an engine this node lacks may be asked of another");
  }

  @Test
  void aJobSentElsewhereIsHeldToTheSameCaps() {
    JobManifest tooBig =
        JobJson.manifest(
            ("{\"module\": \""
                    + MODULE.sha256()
                    + "\", \"limits\": {\"maxMemoryBytes\": "
                    + (256L << 20)
                    + "}}")
                .getBytes(StandardCharsets.UTF_8),
            JobJson.Source.HTTP);
    LimitValueException e =
        assertThrows(
            LimitValueException.class, () -> ADMISSION.forElsewhere(tooBig, MODULE, "x.wasm", 0));
    assertEquals(Limit.MEMORY, e.limit());
  }
}
