package dev.plasm.daemon.internal.store;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.JobState;
import dev.plasm.job.JobJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * How a worker's job ended: the outcome with its usage, the times, and why there is no receipt if
 * there is none. Workers send it in their reply; workers before the job journal wrote it to the
 * job's directory as {@code result.json} (read on recovery of such a state directory).
 *
 * @param receiptError why no receipt was written, or null
 */
public record WorkerResult(
    ExecutionOutcome outcome, Instant startedAt, Instant finishedAt, String receiptError) {
  public WorkerResult {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(finishedAt, "finishedAt");
  }

  public byte[] toJson() {
    return Json.LINE.writeValueAsBytes(tree());
  }

  /** The JSON form: {@code {outcome, usage, startedAt, finishedAt, receiptError?}}. */
  public ObjectNode tree() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.set("outcome", JobJson.outcome(outcome));
    o.set("usage", JobJson.usage(outcome.usage()));
    o.put("startedAt", startedAt.toString());
    o.put("finishedAt", finishedAt.toString());
    if (receiptError != null) {
      o.put("receiptError", receiptError);
    }
    return o;
  }

  public static WorkerResult parse(byte[] bytes) {
    return of(Json.MAPPER.readTree(bytes));
  }

  /** The result in its JSON form. */
  public static WorkerResult of(JsonNode o) {
    return new WorkerResult(
        JobJson.outcome(o.get("outcome"), JobJson.usage(o.get("usage"), "usage"), "outcome"),
        Instant.parse(o.get("startedAt").asString()),
        Instant.parse(o.get("finishedAt").asString()),
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
