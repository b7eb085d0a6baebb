package dev.plasm.daemon.internal.exec;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/** The counters behind {@code /metrics}, in the Prometheus text format (version 0.0.4). */
public final class Metrics {
  private static final double[] BUCKETS = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300
  };

  private final Map<String, AtomicLong> jobsByOutcome = new TreeMap<>();
  private final AtomicLong submitted = new AtomicLong();
  private final AtomicLong rejectedFull = new AtomicLong();
  private final AtomicLongArray bucketCounts = new AtomicLongArray(BUCKETS.length);
  private final AtomicLong latencyCount = new AtomicLong();
  private final AtomicLong latencySumMicros = new AtomicLong();
  private final AtomicLong workersKilled = new AtomicLong();
  private final AtomicLong workersStarted = new AtomicLong();
  private IntSupplier queueDepth = () -> 0;
  private IntSupplier running = () -> 0;
  private IntSupplier workersAlive = () -> 0;
  private java.util.function.Supplier<String> extra = () -> "";
  private IntSupplier httpOpen = () -> 0;
  private LongSupplier httpRefused = () -> 0;
  private LongSupplier httpTimedOut = () -> 0;
  private LongSupplier journalSyncs = () -> 0;
  private LongSupplier journalEntries = () -> 0;

  public void gauges(IntSupplier queueDepth, IntSupplier running, IntSupplier workersAlive) {
    this.queueDepth = queueDepth;
    this.running = running;
    this.workersAlive = workersAlive;
  }

  /** More metrics, rendered after these (the remote node's). */
  public void extra(java.util.function.Supplier<String> more) {
    this.extra = more;
  }

  /** The job journal's counters: forced writes, and entries written (several share one force under load). */
  public void journal(LongSupplier syncs, LongSupplier entries) {
    this.journalSyncs = syncs;
    this.journalEntries = entries;
  }

  private final AtomicLong jobsForgotten = new AtomicLong();
  private final AtomicLong journalBytesFreed = new AtomicLong();
  private IntSupplier jobsHeld = () -> 0;

  /** Jobs the store holds (ended ones within retention, and those not ended). */
  public void held(IntSupplier jobs) {
    this.jobsHeld = jobs;
  }

  /** A retention pass forgot {@code jobs} and freed {@code bytes} of journal. */
  public void forgotten(int jobs, long bytes) {
    jobsForgotten.addAndGet(jobs);
    journalBytesFreed.addAndGet(bytes);
  }

  /** The HTTP server's connection counts. */
  public void http(IntSupplier open, LongSupplier refused, LongSupplier timedOut) {
    this.httpOpen = open;
    this.httpRefused = refused;
    this.httpTimedOut = timedOut;
  }

  private final AtomicLong cacheHits = new AtomicLong();
  private final AtomicLong cacheMisses = new AtomicLong();

  /** What a worker's compiled-module cache did for one job. */
  public void moduleCache(long hits, long misses) {
    cacheHits.addAndGet(hits);
    cacheMisses.addAndGet(misses);
  }

  public void workerStarted() {
    workersStarted.incrementAndGet();
  }

  public void submitted() {
    submitted.incrementAndGet();
  }

  public void queueFull() {
    rejectedFull.incrementAndGet();
  }

  public void workerKilled() {
    workersKilled.incrementAndGet();
  }

  /** A job ended: {@code outcome} is its outcome kind, or its state when it did not finish. */
  public void ended(String outcome, long latencyMicros) {
    synchronized (jobsByOutcome) {
      jobsByOutcome.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
    }
    if (latencyMicros >= 0) {
      double s = latencyMicros / 1e6;
      for (int i = 0; i < BUCKETS.length; i++) {
        if (s <= BUCKETS[i]) {
          bucketCounts.incrementAndGet(i);
        }
      }
      latencyCount.incrementAndGet();
      latencySumMicros.addAndGet(latencyMicros);
    }
  }

  public String render() {
    StringBuilder b = new StringBuilder();
    b.append(
        "# HELP plasm_jobs_total Jobs that ended, by outcome (completed, trapped, limit-exceeded, rejected, failed, cancelled, interrupted).\n");
    b.append("# TYPE plasm_jobs_total counter\n");
    synchronized (jobsByOutcome) {
      for (String k :
          new String[] {
            "completed",
            "trapped",
            "limit-exceeded",
            "rejected",
            "failed",
            "cancelled",
            "interrupted"
          }) {
        jobsByOutcome.computeIfAbsent(k, x -> new AtomicLong());
      }
      jobsByOutcome.forEach(
          (k, v) ->
              b.append("plasm_jobs_total{outcome=\"")
                  .append(k)
                  .append("\"} ")
                  .append(v.get())
                  .append('\n'));
    }
    metric(b, "plasm_jobs_submitted_total", "counter", "Jobs accepted.", submitted.get());
    metric(
        b,
        "plasm_jobs_rejected_queue_full_total",
        "counter",
        "Submissions refused with 429 because the queue was full.",
        rejectedFull.get());
    metric(
        b,
        "plasm_workers_killed_total",
        "counter",
        "Worker processes killed (deadline, memory, cancel or shutdown).",
        workersKilled.get());
    metric(
        b,
        "plasm_workers_started_total",
        "counter",
        "Worker processes started (warm pool fills and replacements).",
        workersStarted.get());
    metric(
        b,
        "plasm_workers_alive",
        "gauge",
        "Worker processes alive now, idle warm ones included.",
        workersAlive.getAsInt());
    metric(
        b,
        "plasm_module_cache_hits_total",
        "counter",
        "Jobs whose compiled module came from their worker's cache.",
        cacheHits.get());
    metric(
        b,
        "plasm_module_cache_misses_total",
        "counter",
        "Jobs whose module their worker had to compile.",
        cacheMisses.get());
    metric(b, "plasm_queue_depth", "gauge", "Jobs waiting to run.", queueDepth.getAsInt());
    metric(b, "plasm_jobs_running", "gauge", "Jobs running now.", running.getAsInt());
    metric(
        b,
        "plasm_http_connections_open",
        "gauge",
        "HTTP connections open now.",
        httpOpen.getAsInt());
    metric(
        b,
        "plasm_http_connections_refused_total",
        "counter",
        "HTTP connections answered 503 because api.max-connections were open.",
        httpRefused.getAsLong());
    metric(
        b,
        "plasm_http_connections_timed_out_total",
        "counter",
        "HTTP connections closed because a request or an exchange ran out of time.",
        httpTimedOut.getAsLong());
    metric(
        b,
        "plasm_journal_syncs_total",
        "counter",
        "Times the job journal was forced to disk (each covers every entry appended meanwhile).",
        journalSyncs.getAsLong());
    metric(
        b,
        "plasm_journal_entries_total",
        "counter",
        "Entries written to the job journal.",
        journalEntries.getAsLong());
    metric(
        b,
        "plasm_jobs_held",
        "gauge",
        "Jobs this node holds: those not ended, and ended ones within jobs.retention and jobs.max-retained.",
        jobsHeld.getAsInt());
    metric(
        b,
        "plasm_jobs_forgotten_total",
        "counter",
        "Ended jobs forgotten by retention (record, output and receipt deleted).",
        jobsForgotten.get());
    metric(
        b,
        "plasm_journal_bytes_freed_total",
        "counter",
        "Bytes of job journal deleted once no job held needed them.",
        journalBytesFreed.get());
    b.append(
        "# HELP plasm_job_duration_seconds Time from a job's start to its end (worker start-up included when no warm worker was ready).\n");
    b.append("# TYPE plasm_job_duration_seconds histogram\n");
    for (int i = 0; i < BUCKETS.length; i++) {
      b.append("plasm_job_duration_seconds_bucket{le=\"")
          .append(BUCKETS[i])
          .append("\"} ")
          .append(bucketCounts.get(i))
          .append('\n');
    }
    b.append("plasm_job_duration_seconds_bucket{le=\"+Inf\"} ")
        .append(latencyCount.get())
        .append('\n');
    b.append("plasm_job_duration_seconds_sum ").append(latencySumMicros.get() / 1e6).append('\n');
    b.append("plasm_job_duration_seconds_count ").append(latencyCount.get()).append('\n');
    b.append(extra.get());
    return b.toString();
  }

  /** One metric without labels: its HELP and TYPE lines and its value. */
  private static void metric(StringBuilder b, String name, String type, String help, long value) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    b.append(name).append(' ').append(value).append('\n');
  }
}
