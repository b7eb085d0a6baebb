package dev.plasm.daemon.internal.store;

import java.util.List;
import java.util.Map;

/**
 * A job as kept on disk ({@code jobs/ID/job.json}) and shown by the API. Immutable; the store
 * replaces the file atomically on every change of state.
 *
 * @param state {@code queued}, {@code running}, {@code finished}, {@code cancelled} or {@code interrupted}
 * @param outcome how the guest ended, once {@code finished}
 * @param reason why a job was cancelled or interrupted, or why it failed outside the guest
 */
public record JobRecord(
    String id,
    String state,
    String createdAt,
    String startedAt,
    String finishedAt,
    String moduleSha256,
    long moduleBytes,
    String programName,
    List<String> args,
    Map<String, String> env,
    long stdinBytes,
    Limits limits,
    String engine,
    String nonce,
    boolean deterministic,
    String idempotencyKey,
    String requestSha256,
    Outcome outcome,
    UsageRecord usage,
    EngineRef engineUsed,
    String reason,
    boolean receipt) {

  public static final String QUEUED = "queued";
  public static final String RUNNING = "running";
  public static final String FINISHED = "finished";
  public static final String CANCELLED = "cancelled";
  public static final String INTERRUPTED = "interrupted";

  public JobRecord {
    args = args == null ? List.of() : List.copyOf(args);
    env = env == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(env));
  }

  public boolean terminal() {
    return state.equals(FINISHED) || state.equals(CANCELLED) || state.equals(INTERRUPTED);
  }

  public JobRecord running(String at) {
    return new JobRecord(id, RUNNING, createdAt, at, null, moduleSha256, moduleBytes, programName, args, env, stdinBytes,
        limits, engine, nonce, deterministic, idempotencyKey, requestSha256, null, null, null, null, false);
  }

  public JobRecord finished(String at, Outcome o, UsageRecord u, EngineRef e, String why, boolean hasReceipt) {
    return new JobRecord(id, FINISHED, createdAt, startedAt, at, moduleSha256, moduleBytes, programName, args, env,
        stdinBytes, limits, engine, nonce, deterministic, idempotencyKey, requestSha256, o, u, e, why, hasReceipt);
  }

  public JobRecord ended(String newState, String at, String why) {
    return new JobRecord(id, newState, createdAt, startedAt, at, moduleSha256, moduleBytes, programName, args, env,
        stdinBytes, limits, engine, nonce, deterministic, idempotencyKey, requestSha256, outcome, usage, engineUsed, why,
        receipt);
  }

  /** Limits as numbers (the API's and the receipt's units). */
  public record Limits(
      long maxMemoryBytes, long maxTableElements, long timeoutMillis, Long fuel, long maxOutputBytes, long maxModuleBytes) {
    public dev.plasm.api.ResourceLimits toResourceLimits() {
      return new dev.plasm.api.ResourceLimits(
          maxMemoryBytes, maxTableElements, java.time.Duration.ofMillis(timeoutMillis),
          fuel == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(fuel), maxOutputBytes, maxModuleBytes);
    }

    public static Limits of(dev.plasm.api.ResourceLimits l) {
      return new Limits(l.maxMemoryBytes(), l.maxTableElements(), l.timeout().toMillis(),
          l.fuel().isPresent() ? l.fuel().getAsLong() : null, l.maxOutputBytes(), l.maxModuleBytes());
    }
  }

  /** How the guest ended: {@code kind} as in receipts, plus a message when it did not complete. */
  public record Outcome(String kind, Integer exitCode, String detail, String message) {
    public static Outcome of(dev.plasm.api.ExecutionOutcome o) {
      return switch (o) {
        case dev.plasm.api.ExecutionOutcome.Completed c -> new Outcome("completed", c.exitCode(), null, null);
        case dev.plasm.api.ExecutionOutcome.Trapped t -> new Outcome("trapped", null, t.kind().id(), t.message());
        case dev.plasm.api.ExecutionOutcome.LimitExceeded l -> new Outcome("limit-exceeded", null, l.limit().id(), l.message());
        case dev.plasm.api.ExecutionOutcome.Rejected r -> new Outcome("rejected", null, r.kind().id(), r.message());
        case dev.plasm.api.ExecutionOutcome.Failed f -> new Outcome("failed", null, null, f.message());
      };
    }
  }

  /** What the run consumed. */
  public record UsageRecord(long wallTimeMicros, int peakMemoryPages, Long fuelConsumed, long stdoutBytes, long stderrBytes) {
    public static UsageRecord of(dev.plasm.api.Usage u) {
      return new UsageRecord(u.wallTime().toNanos() / 1000, u.peakMemoryPages(),
          u.fuelConsumed().isPresent() ? u.fuelConsumed().getAsLong() : null, u.stdoutBytes(), u.stderrBytes());
    }
  }

  /** The engine that ran the job. */
  public record EngineRef(String id, String version) {}
}
