package dev.plasm.cli;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.JobState;
import dev.plasm.api.Usage;
import dev.plasm.job.JobJson;
import tools.jackson.databind.JsonNode;

/**
 * A job as a daemon describes it (docs/http-api.md, {@code GET /v1/jobs/{id}}), read once where its
 * JSON arrives ({@link DaemonClient#job}): its state and, for a job that ran and ended, its outcome
 * are typed; the rest stays the daemon's JSON, printed as it is.
 *
 * @param json the daemon's JSON, for {@code --json} and the fields only printed
 * @param state where the job is
 * @param outcome how a job that ran ended; null for one that has not ended or never started
 */
record DaemonJob(JsonNode json, JobState state, ExecutionOutcome outcome) {

  /**
   * Reads a job's JSON.
   *
   * @throws ConfigurationException naming the field ({@code state}, {@code outcome}, ...) that is
   *     not as documented
   */
  static DaemonJob of(JsonNode j) {
    JobState state = JobState.parse("state", j.path("state").asString(null));
    ExecutionOutcome outcome = null;
    if (j.has("outcome")) {
      Usage usage = j.has("usage") ? JobJson.usage(j.get("usage"), "usage") : Usage.NONE;
      outcome = JobJson.outcome(j.get("outcome"), usage, "outcome");
    }
    return new DaemonJob(j, state, outcome);
  }

  String id() {
    return json.get("id").asString();
  }

  /** Whether the job has ended (it will not change again). */
  boolean terminal() {
    return state.terminal();
  }

  /** The exit code {@code plasm run} would give for this job, once it has ended. */
  int exitCode() {
    if (outcome != null) {
      return ExitCodes.of(outcome);
    }
    // Ended before it started.
    return state == JobState.CANCELLED ? ExitCodes.CANCELLED : ExitCodes.INTERRUPTED;
  }

  /** One line describing how the job ended, or null for a normal exit. */
  String describe() {
    if (outcome == null) {
      return "job "
          + id()
          + " "
          + state.id()
          + (json.has("reason") ? ": " + json.get("reason").asString() : "");
    }
    if (outcome instanceof ExecutionOutcome.Completed) {
      return null;
    }
    JsonNode n = json.get("outcome");
    return outcome.id()
        + (n.has("detail") ? " (" + n.get("detail").asString() + ")" : "")
        + (n.has("message") ? ": " + n.get("message").asString() : "");
  }
}
