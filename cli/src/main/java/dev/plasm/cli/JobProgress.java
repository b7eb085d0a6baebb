package dev.plasm.cli;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.JobState;
import dev.plasm.cli.term.Progress;
import dev.plasm.cli.term.Style;
import dev.plasm.cli.term.Units;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;

/**
 * The status line of a job while it runs here ({@code plasm run}) or on a daemon ({@code submit
 * --wait}, {@code job wait}): state, elapsed time, engine, the peer running it, output so far, or
 * the upload of its module as a bar. Nothing at all unless a person watches a terminal.
 */
final class JobProgress implements AutoCloseable {
  /** A job that ends sooner shows no status line (and loads no jline). */
  static final Duration DELAY = Duration.ofMillis(400);

  private static final String SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

  private final String name;
  private final Style style;
  private final long start = System.nanoTime();
  private final AtomicLong out = new AtomicLong();
  private final AtomicLong err = new AtomicLong();
  private final Progress progress;

  /** Null until the job is known to be queued or running ("starting"). */
  private volatile JobState state;

  private volatile String engine;
  private volatile String peer;
  private volatile String jobId;
  private volatile String upload;
  private volatile long uploaded;
  private volatile long uploadSize;

  private JobProgress(Printer printer, Streams streams, boolean enabled, String name) {
    this.name = name;
    this.style = printer.err;
    this.progress = Progress.start(enabled, streams.tty(), streams.env(), DELAY, this::line);
  }

  /** A status line for the job {@code name} when {@code enabled} (a person watches; see {@link Printer#interactive}). */
  static JobProgress start(Printer printer, Streams streams, boolean enabled, String name) {
    return new JobProgress(printer, streams, enabled, name);
  }

  /** Whether a status line may be drawn (a terminal is there and it was asked for). */
  boolean live() {
    return progress != Progress.NONE;
  }

  /** {@code target} counted into "out" and guarded against tearing the status line. */
  OutputStream stdout(OutputStream target) {
    return counted(target, out);
  }

  /** {@code target} counted into "err" and guarded against tearing the status line. */
  OutputStream stderr(OutputStream target) {
    return counted(target, err);
  }

  void state(JobState s) {
    state = s;
  }

  void engine(String id) {
    engine = id;
  }

  /** The module's upload, shown as a bar until the job is submitted. */
  void upload(String what, long done, long total) {
    upload = what;
    uploaded = done;
    uploadSize = total;
  }

  /** What a daemon says about the job: its state, engine, the peer running it, its output so far. */
  void job(DaemonJob job) {
    JsonNode j = job.json();
    upload = null;
    state = job.state();
    JsonNode used = j.path("engineUsed");
    engine = used.has("id") ? used.get("id").asString() : j.path("engine").asString(null);
    peer = ranOn(j);
    jobId = j.path("id").asString(null);
  }

  Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /** The status line as it is now. */
  String line() {
    Duration e = elapsed();
    char spin = SPINNER.charAt((int) (e.toMillis() / 100 % SPINNER.length()));
    List<String> parts = new ArrayList<>();
    if (upload != null) {
      parts.add(style.cyan(spin + " uploading"));
      parts.add(upload);
      parts.add(Progress.bar(uploaded, uploadSize, 20));
      parts.add(Units.bytes(uploaded) + " of " + Units.bytes(uploadSize));
      return String.join("  ", parts);
    }
    JobState s = state;
    parts.add(style.cyan(String.valueOf(spin)) + " " + (s == null ? "starting" : style.state(s)));
    parts.add(style.bold(name));
    parts.add(Units.time(e));
    if (engine != null) {
      parts.add(engine);
    }
    if (peer != null) {
      parts.add("on " + abbreviate(peer));
    }
    parts.add("out " + Units.bytes(out.get()) + ", err " + Units.bytes(err.get()));
    return String.join("  ", parts);
  }

  /** Removes the status line. */
  @Override
  public void close() {
    progress.close();
  }

  /**
   * The line that ends a job on a terminal: {@code plasm: NAME: OUTCOME (TIME on ENGINE, ran by
   * PEER; receipt written to FILE)}.
   *
   * @param outcome what happened, e.g. "completed, exit code 0", or the text of the error line
   * @param good whether that is a success (green) or not (red)
   * @param time the job's own wall time, or null for the time waited here
   * @param receipt the receipt file written, or null
   */
  String summary(String outcome, boolean good, Duration time, String receipt) {
    List<String> details = new ArrayList<>();
    String where =
        Units.time(time == null ? elapsed() : time) + (engine == null ? "" : " on " + engine);
    details.add(where + (peer == null ? "" : ", ran by " + abbreviate(peer)));
    if (jobId != null) {
      details.add("job " + jobId);
    }
    if (receipt != null) {
      details.add("receipt written to " + receipt);
    }
    return "plasm: "
        + name
        + ": "
        + (good ? style.green(outcome) : style.red(outcome))
        + " "
        + style.dim("(" + String.join("; ", details) + ")");
  }

  /** The summary of a daemon job as {@link #job} last saw it, from its JSON. */
  String summary(DaemonJob job, String receipt) {
    ExecutionOutcome o = job.outcome();
    String d = job.describe();
    boolean good = o instanceof ExecutionOutcome.Completed c && c.exitCode() == 0;
    return summary(
        d != null ? d : "completed, exit code " + job.exitCode(),
        good,
        o == null ? null : o.usage().wallTime(),
        receipt);
  }

  /**
   * Where a job runs or ran, for people: the executors whose result was accepted ({@code executedBy},
   * a list), or while it is out, the peer of its running attempt; null for a job of this node.
   */
  static String ranOn(JsonNode j) {
    List<String> ids = new ArrayList<>();
    j.path("executedBy").forEach(x -> ids.add(abbreviate(x.asString())));
    if (ids.isEmpty()) {
      for (JsonNode a : j.path("attempts")) {
        if (a.path("result").asString("").equals("running")) {
          ids.add(abbreviate(a.path("peerId").asString("")));
        }
      }
    }
    return ids.isEmpty() ? null : String.join(", ", ids);
  }

  /** A peer id cut to its start and end ({@code 12D3KooWAbCd…wxyz}); others unchanged. */
  static String abbreviate(String id) {
    return id.length() > 20 ? id.substring(0, 12) + "…" + id.substring(id.length() - 6) : id;
  }

  private OutputStream counted(OutputStream target, AtomicLong count) {
    if (!live()) {
      return target;
    }
    OutputStream guarded = progress.guard(target);
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        guarded.write(b);
        count.incrementAndGet();
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        guarded.write(b, off, len);
        count.addAndGet(len);
      }

      @Override
      public void flush() throws IOException {
        guarded.flush();
      }
    };
  }
}
