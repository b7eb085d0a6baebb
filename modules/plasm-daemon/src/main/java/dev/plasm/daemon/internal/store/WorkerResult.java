package dev.plasm.daemon.internal.store;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.job.JobJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a worker process writes ({@code result.json}, atomically and durably) when its job ends: the
 * outcome with its usage, the times, and why no receipt was written if none was.
 *
 * @param receiptError why no receipt was written, or null
 */
public record WorkerResult(ExecutionOutcome outcome, Instant startedAt, Instant finishedAt, String receiptError) {
  public WorkerResult {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(finishedAt, "finishedAt");
  }

  public byte[] toJson() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.set("outcome", JobJson.outcome(outcome));
    o.set("usage", JobJson.usage(outcome.usage()));
    o.put("startedAt", startedAt.toString());
    o.put("finishedAt", finishedAt.toString());
    if (receiptError != null) {
      o.put("receiptError", receiptError);
    }
    return Json.LINE.writeValueAsBytes(o);
  }

  public static WorkerResult parse(byte[] bytes) {
    JsonNode o = Json.MAPPER.readTree(bytes);
    return new WorkerResult(JobJson.outcome(o.get("outcome"), JobJson.usage(o.get("usage"), "usage"), "outcome"),
        Instant.parse(o.get("startedAt").asString()), Instant.parse(o.get("finishedAt").asString()),
        o.has("receiptError") ? o.get("receiptError").asString() : null);
  }

  /** The result in {@code file}, or null when there is none or it cannot be read (a worker killed mid-write). */
  public static WorkerResult readIfThere(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      return parse(Files.readAllBytes(file));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The job's record, ended with this result. */
  public JobRecord applyTo(JobRecord r, boolean hasReceipt) {
    return r.ended(stateOf(outcome), finishedAt, outcome, receiptError, hasReceipt);
  }

  /** The state a job ends in with this outcome. */
  public static JobState stateOf(ExecutionOutcome o) {
    return switch (o) {
      case ExecutionOutcome.Cancelled c -> JobState.CANCELLED;
      case ExecutionOutcome.Interrupted i -> JobState.INTERRUPTED;
      default -> JobState.FINISHED;
    };
  }
}
