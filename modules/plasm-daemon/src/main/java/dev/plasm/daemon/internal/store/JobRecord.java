package dev.plasm.daemon.internal.store;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.JobState;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.job.JobPlan;
import dev.plasm.job.Placement;
import dev.plasm.job.Verify;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A job as the daemon keeps it ({@code jobs/ID/job.json}) and shows it: the plan it was admitted as,
 * where it is, and how it ended. Immutable; each change of state is a new record, written durably
 * by the store. Its JSON form is {@link JobRecordJson}'s.
 *
 * @param plan the job as admitted; what the worker runs and the receipt states (for a job sent to
 *     another node: as asked, until the executor's receipt says what it ran)
 * @param determinism the recorded clocks and random of a deterministic job (chosen at admission, so
 *     that whoever signs its receipt states the same world), else null
 * @param requestSha256 the hash of the request, to tell an idempotent resubmission from a conflict
 * @param outcome how it ended, for a job that started and ended; null otherwise
 * @param reason why a job was cancelled or interrupted, or failed outside the guest; or null
 * @param receipt whether a signed receipt is stored with it
 * @param dispatch for a job this node sends to other nodes: where to, and each attempt; else null
 * @param requester for a job another node sent here: who, and its id there; else null
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
    boolean receipt,
    Dispatch dispatch,
    Requester requester) {

  /**
   * How a job is sent to other nodes.
   *
   * @param placement where it may run ({@code remote}, {@code any} when this node could not, or a peer)
   * @param redundancy on how many distinct nodes it runs; their results must agree
   * @param verify how a result is checked beyond its receipt
   * @param attempts every executor tried, in order
   * @param executedBy the nodes whose (agreeing) result was accepted
   */
  public record Dispatch(
      Placement placement,
      int redundancy,
      Verify verify,
      List<Attempt> attempts,
      List<String> executedBy) {
    public Dispatch {
      Objects.requireNonNull(placement, "placement");
      Objects.requireNonNull(verify, "verify");
      attempts = List.copyOf(attempts);
      executedBy = List.copyOf(executedBy);
    }

    public Dispatch withAttempt(Attempt a) {
      List<Attempt> l = new ArrayList<>(attempts);
      l.removeIf(x -> x.peerId().equals(a.peerId()) && x.startedAt().equals(a.startedAt()));
      l.add(a);
      return new Dispatch(placement, redundancy, verify, l, executedBy);
    }

    public Dispatch withExecutedBy(List<String> peers) {
      return new Dispatch(placement, redundancy, verify, attempts, peers);
    }
  }

  /**
   * One try on one executor.
   *
   * @param result {@code running} while it runs; then {@code ok}, {@code refused}, {@code lost},
   *     {@code invalid} (the result failed a check), {@code disagreed} (outvoted), or {@code
   *     interrupted}
   * @param detail the refusal code, the check that failed, or what was lost; or null
   * @param executorJobId the job's id on the executor (it signs its receipt with it), once known
   */
  public record Attempt(
      String peerId,
      Instant startedAt,
      Instant endedAt,
      String result,
      String detail,
      String executorJobId) {
    public Attempt {
      Objects.requireNonNull(peerId, "peerId");
      Objects.requireNonNull(startedAt, "startedAt");
      Objects.requireNonNull(result, "result");
    }

    public Attempt ended(Instant at, String r, String d) {
      return new Attempt(peerId, startedAt, at, r, d, executorJobId);
    }

    public Attempt withExecutorJobId(String id) {
      return new Attempt(peerId, startedAt, endedAt, result, detail, id);
    }
  }

  /** The node that sent a job here, and the job's id there (resending it finds this job again). */
  public record Requester(String peerId, String jobId) {
    public Requester {
      Objects.requireNonNull(peerId, "peerId");
      Objects.requireNonNull(jobId, "jobId");
    }
  }

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
  public static JobRecord queued(
      String id,
      Instant at,
      JobPlan plan,
      Determinism determinism,
      String idempotencyKey,
      String requestSha256) {
    return new JobRecord(
        id,
        JobState.QUEUED,
        at,
        null,
        null,
        plan,
        determinism,
        idempotencyKey,
        requestSha256,
        null,
        null,
        false,
        null,
        null);
  }

  public boolean terminal() {
    return state.terminal();
  }

  public JobRecord running(Instant at) {
    return new JobRecord(
        id,
        JobState.RUNNING,
        createdAt,
        at,
        null,
        plan,
        determinism,
        idempotencyKey,
        requestSha256,
        null,
        null,
        false,
        dispatch,
        requester);
  }

  /** The job ran to an outcome; {@code state} is FINISHED, or CANCELLED/INTERRUPTED for those outcomes. */
  public JobRecord ended(
      JobState newState, Instant at, ExecutionOutcome o, String why, boolean hasReceipt) {
    return new JobRecord(
        id,
        newState,
        createdAt,
        startedAt,
        at,
        plan,
        determinism,
        idempotencyKey,
        requestSha256,
        o,
        why,
        hasReceipt,
        dispatch,
        requester);
  }

  /** The job ended without running (cancelled or interrupted while queued). */
  public JobRecord endedUnrun(JobState newState, Instant at, String why) {
    return new JobRecord(
        id,
        newState,
        createdAt,
        null,
        at,
        plan,
        determinism,
        idempotencyKey,
        requestSha256,
        null,
        why,
        false,
        dispatch,
        requester);
  }

  public JobRecord withDispatch(Dispatch d) {
    return new JobRecord(
        id,
        state,
        createdAt,
        startedAt,
        finishedAt,
        plan,
        determinism,
        idempotencyKey,
        requestSha256,
        outcome,
        reason,
        receipt,
        d,
        requester);
  }

  public JobRecord withRequester(Requester r) {
    return new JobRecord(
        id,
        state,
        createdAt,
        startedAt,
        finishedAt,
        plan,
        determinism,
        idempotencyKey,
        requestSha256,
        outcome,
        reason,
        receipt,
        dispatch,
        r);
  }

  /** The same job with the plan an executor stated it ran (engine, limits). */
  public JobRecord withPlan(JobPlan p) {
    return new JobRecord(
        id,
        state,
        createdAt,
        startedAt,
        finishedAt,
        p,
        determinism,
        idempotencyKey,
        requestSha256,
        outcome,
        reason,
        receipt,
        dispatch,
        requester);
  }
}
