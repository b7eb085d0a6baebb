package dev.plasm.api;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Where a job is in its life, with its one name on the wire ({@code state} in the HTTP API, job
 * records, the peer-to-peer job protocol). Only {@link #QUEUED} and {@link #RUNNING} are not final.
 *
 * <p>Adding a state is adding a constant here, documenting it (docs/http-api.md and the {@code
 * State} schema of docs/openapi.yaml, which a test compares with this list) and teaching the PHP
 * SDK's {@code Plasm\JobState} the same name.
 */
public enum JobState {
  /** Accepted and durable, waiting for an executor. */
  QUEUED("queued", false),
  /** Handed to a worker process, or out on another node. */
  RUNNING("running", false),
  /** Ran to an outcome (the guest's, or a limit the node enforced). */
  FINISHED("finished", true),
  /**
   * Cancelled by a client: before it started (no outcome), or while it ran (outcome {@code
   * cancelled}).
   */
  CANCELLED("cancelled", true),
  /**
   * Stopped by its node (shutdown, crash): before it started (no outcome), or while it ran (outcome
   * {@code interrupted}).
   */
  INTERRUPTED("interrupted", true);

  private final String id;
  private final boolean terminal;

  JobState(String id, boolean terminal) {
    this.id = id;
    this.terminal = terminal;
  }

  /** The stable lower-case name used in JSON and documentation: {@code queued}, {@code running}, ... */
  public String id() {
    return id;
  }

  /** Whether the job has ended: it will not change state again. */
  public boolean terminal() {
    return terminal;
  }

  /** The state with this JSON name, or null. */
  public static JobState byId(String id) {
    for (JobState s : values()) {
      if (s.id.equals(id)) {
        return s;
      }
    }
    return null;
  }

  /**
   * The state with this JSON name.
   *
   * @param field where the name was read (e.g. {@code state}), for the message
   * @throws ConfigurationException naming {@code field}, the text and the names there are
   */
  public static JobState parse(String field, String id) {
    JobState s = byId(id);
    if (s == null) {
      throw new ConfigurationException(
          field,
          (id == null ? "missing" : "'" + id + "' is not a job state")
              + "; expected one of "
              + names());
    }
    return s;
  }

  /** The JSON names, in order of a job's life: {@code queued, running, finished, ...}. */
  public static String names() {
    return Arrays.stream(values()).map(JobState::id).collect(Collectors.joining(", "));
  }
}
