package dev.plasm.daemon.internal.store;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.job.JobPlan;
import java.time.Instant;
import java.util.Objects;

/**
 * A job as the daemon keeps it ({@code jobs/ID/job.json}) and shows it: the plan it was admitted as,
 * where it is, and how it ended. Immutable; each change of state is a new record, written durably
 * by the store. Its JSON form is {@link JobRecordJson}'s.
 *
 * @param plan the job as admitted; what the worker runs and the receipt states
 * @param determinism the recorded clocks and random of a deterministic job (chosen at admission, so
 *     that whoever signs its receipt states the same world), else null
 * @param requestSha256 the hash of the request, to tell an idempotent resubmission from a conflict
 * @param outcome how it ended, for a job that started and ended; null otherwise
 * @param reason why a job was cancelled or interrupted, or failed outside the guest; or null
 * @param receipt whether a signed receipt is stored with it
 */
public record JobRecord(
    String id,
    JobState state,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    JobPlan plan,
    Determinism determinism,
    String idempotencyKey,
    String requestSha256,
    ExecutionOutcome outcome,
    String reason,
    boolean receipt) {

  public JobRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(plan, "plan");
    if (plan.deterministic() != (determinism != null)) {
      throw new IllegalArgumentException("a deterministic job has a recorded world, and only it");
    }
  }

  /** A new job, queued. */
  public static JobRecord queued(String id, Instant at, JobPlan plan, Determinism determinism,
      String idempotencyKey, String requestSha256) {
    return new JobRecord(id, JobState.QUEUED, at, null, null, plan, determinism, idempotencyKey,
        requestSha256, null, null, false);
  }

  public boolean terminal() {
    return state.terminal();
  }

  public JobRecord running(Instant at) {
    return new JobRecord(id, JobState.RUNNING, createdAt, at, null, plan, determinism, idempotencyKey,
        requestSha256, null, null, false);
  }

  /** The job ran to an outcome; {@code state} is FINISHED, or CANCELLED/INTERRUPTED for those outcomes. */
  public JobRecord ended(JobState newState, Instant at, ExecutionOutcome o, String why, boolean hasReceipt) {
    return new JobRecord(id, newState, createdAt, startedAt, at, plan, determinism, idempotencyKey,
        requestSha256, o, why, hasReceipt);
  }

  /** The job ended without running (cancelled or interrupted while queued). */
  public JobRecord endedUnrun(JobState newState, Instant at, String why) {
    return new JobRecord(id, newState, createdAt, null, at, plan, determinism, idempotencyKey,
        requestSha256, null, why, false);
  }
}
