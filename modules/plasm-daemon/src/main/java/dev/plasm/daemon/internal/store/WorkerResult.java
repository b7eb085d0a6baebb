package dev.plasm.daemon.internal.store;

/**
 * What a worker process writes ({@code result.json}, atomically) when its job ends.
 *
 * @param receiptError why no receipt was written, or null
 */
public record WorkerResult(
    JobRecord.Outcome outcome,
    JobRecord.UsageRecord usage,
    JobRecord.EngineRef engine,
    String startedAt,
    String finishedAt,
    String receiptError) {}
