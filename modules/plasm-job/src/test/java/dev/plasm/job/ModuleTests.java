package dev.plasm.job;

import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: a job's wire form (manifest, plan, outcome) on the job model and Jackson. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(JobManifest.class)
        // Manifests and plans carry the job model's limits, outcomes and exceptions.
        .requiresTransitive("dev.plasm.api")
        // JobJson reads and writes Jackson trees that callers embed in their own documents.
        .requiresTransitive("tools.jackson.databind")
        .exports("dev.plasm.job")
        .verify();
  }
}
