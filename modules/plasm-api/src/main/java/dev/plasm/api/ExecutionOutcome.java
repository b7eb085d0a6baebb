package dev.plasm.api;

import java.util.Objects;

/**
 * How a job ended. Exactly one of: completed with an exit code, trapped, stopped at a limit,
 * rejected before it ran, failed inside the engine, cancelled by a client, or interrupted by its
 * node. Engines return the first five; the last two are decided around them.
 */
public sealed interface ExecutionOutcome {

  /** What the job consumed; {@link Usage#NONE} for a job that never started. */
  Usage usage();

  /** A copy of this outcome carrying other usage figures (the host adds what it measured). */
  ExecutionOutcome withUsage(Usage usage);

  /** The stable lower-case name of this outcome, used in JSON output. */
  String id();

  /** The guest returned from {@code _start} (exit code 0) or called {@code proc_exit}. */
  record Completed(int exitCode, Usage usage) implements ExecutionOutcome {
    public Completed {
      Objects.requireNonNull(usage, "usage");
    }

    @Override
    public Completed withUsage(Usage u) {
      return new Completed(exitCode, u);
    }

    @Override
    public String id() {
      return "completed";
    }
  }

  /** The guest trapped. */
  record Trapped(TrapKind kind, String message, Usage usage) implements ExecutionOutcome {
    public Trapped {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(usage, "usage");
    }

    @Override
    public Trapped withUsage(Usage u) {
      return new Trapped(kind, message, u);
    }

    @Override
    public String id() {
      return "trapped";
    }
  }

  /** The job was stopped because it went past a limit; output written before that is kept. */
  record LimitExceeded(Limit limit, String message, Usage usage) implements ExecutionOutcome {
    public LimitExceeded {
      Objects.requireNonNull(limit, "limit");
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(usage, "usage");
    }

    @Override
    public LimitExceeded withUsage(Usage u) {
      return new LimitExceeded(limit, message, u);
    }

    @Override
    public String id() {
      return "limit-exceeded";
    }
  }

  /** The module or the job's settings were refused before the guest ran. */
  record Rejected(RejectionKind kind, String message) implements ExecutionOutcome {
    public Rejected {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(message, "message");
    }

    @Override
    public Usage usage() {
      return Usage.NONE;
    }

    @Override
    public Rejected withUsage(Usage u) {
      return this;
    }

    @Override
    public String id() {
      return "rejected";
    }
  }

  /** The engine failed for a reason that is not the guest's fault (a bug, a broken plugin). */
  record Failed(String message, Usage usage) implements ExecutionOutcome {
    public Failed {
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(usage, "usage");
    }

    @Override
    public Failed withUsage(Usage u) {
      return new Failed(message, u);
    }

    @Override
    public String id() {
      return "failed";
    }
  }

  /** A client cancelled the job while it ran; output written before that is kept. */
  record Cancelled(String message, Usage usage) implements ExecutionOutcome {
    public Cancelled {
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(usage, "usage");
    }

    @Override
    public Cancelled withUsage(Usage u) {
      return new Cancelled(message, u);
    }

    @Override
    public String id() {
      return "cancelled";
    }
  }

  /**
   * The node stopped the job for its own reasons (it shut down, its worker process died): not the
   * guest's doing, and not a result; running it again may well succeed.
   */
  record Interrupted(String message, Usage usage) implements ExecutionOutcome {
    public Interrupted {
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(usage, "usage");
    }

    @Override
    public Interrupted withUsage(Usage u) {
      return new Interrupted(message, u);
    }

    @Override
    public String id() {
      return "interrupted";
    }
  }
}
