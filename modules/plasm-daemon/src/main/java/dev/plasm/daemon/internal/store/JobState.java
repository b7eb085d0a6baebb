package dev.plasm.daemon.internal.store;

import java.util.Locale;

/** Where a job is in its life. Only {@link #QUEUED} and {@link #RUNNING} are not final. */
public enum JobState {
  /** Accepted and durable, waiting for an executor. */
  QUEUED,
  /** Handed to a worker process. */
  RUNNING,
  /** Ran to an outcome (the guest's, or a limit the node enforced). */
  FINISHED,
  /** Cancelled by a client: before it started (no outcome), or while it ran (outcome {@code cancelled}). */
  CANCELLED,
  /** Stopped by its node (shutdown, crash): before it started (no outcome), or while it ran (outcome {@code interrupted}). */
  INTERRUPTED;

  /** The JSON text: {@code queued}, {@code running}, ... */
  public String text() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean terminal() {
    return this != QUEUED && this != RUNNING;
  }

  /** The state with this JSON text, or null. */
  public static JobState parse(String text) {
    for (JobState s : values()) {
      if (s.text().equals(text)) {
        return s;
      }
    }
    return null;
  }
}
