package dev.plasm.host;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.engine.spi.EngineDescriptor;
import java.time.Instant;
import java.util.Objects;

/**
 * Everything a receipt states about a finished job.
 *
 * @param outcome how it ended
 * @param engine the engine that ran it
 * @param module digest of the module binary
 * @param stdin digest of the bytes the guest read
 * @param stdout digest of the guest's stdout as delivered (up to the cap)
 * @param stderr digest of the guest's stderr as delivered (up to the cap)
 * @param startedAt when the job started
 * @param finishedAt when it ended
 */
public record JobResult(
    ExecutionOutcome outcome,
    EngineDescriptor engine,
    StreamDigest module,
    StreamDigest stdin,
    StreamDigest stdout,
    StreamDigest stderr,
    Instant startedAt,
    Instant finishedAt) {
  public JobResult {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(stdin, "stdin");
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(finishedAt, "finishedAt");
  }
}
