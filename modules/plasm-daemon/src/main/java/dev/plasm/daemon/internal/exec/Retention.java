package dev.plasm.daemon.internal.exec;

import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.store.JobStore;
import java.time.Duration;
import java.time.Instant;

/**
 * Forgets ended jobs past {@code jobs.retention} or beyond {@code jobs.max-retained}, so that a node
 * that runs for months holds a bounded number of jobs in memory and a bounded journal on disk.
 *
 * <p>One platform thread (it deletes files, which would hold a virtual thread's carrier): a pass at
 * start, then one every tenth of the retention (between 1 s and 1 min), and sooner when the store
 * holds well over {@code max-retained} jobs, so that a burst of jobs does not outgrow the bound for
 * a whole interval.
 */
public final class Retention implements AutoCloseable {
  private static final Duration CHECK = Duration.ofSeconds(1);

  private final JobStore store;
  private final DaemonConfig.Jobs config;
  private final Log log;
  private final Metrics metrics;
  private final Duration interval;
  private final int highWater;
  private final Thread thread;
  private volatile boolean closed;

  public Retention(JobStore store, DaemonConfig.Jobs config, Log log, Metrics metrics) {
    this.store = store;
    this.config = config;
    this.log = log;
    this.metrics = metrics;
    Duration tenth = config.retention().dividedBy(10);
    this.interval =
        tenth.compareTo(CHECK) < 0
            ? CHECK
            : tenth.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : tenth;
    // Slack over the bound before a pass is due early: jobs not ended are held too.
    this.highWater =
        (int)
            Math.min(
                Integer.MAX_VALUE, config.maxRetained() + Math.max(64L, config.maxRetained() / 16));
    metrics.held(store::size);
    this.thread = Thread.ofPlatform().daemon(true).name("plasm-retention").unstarted(this::loop);
  }

  /** Runs the first pass now (what a restart finds past retention goes at once), then the thread. */
  public Retention start() {
    pass();
    thread.start();
    return this;
  }

  /** One pass; what it could not do is logged and tried again at the next. */
  void pass() {
    try {
      JobStore.Expired e = store.expire(Instant.now(), config.retention(), config.maxRetained());
      if (e.jobs() > 0 || e.bytesFreed() > 0) {
        metrics.forgotten(e.jobs(), e.bytesFreed());
        log.info(
            "forgot ended jobs past retention",
            "jobs",
            e.jobs(),
            "journalBytesFreed",
            e.bytesFreed(),
            "held",
            store.size());
      }
    } catch (Exception e) {
      log.warn("retention pass failed; jobs are kept until the next", "error", e.toString());
    }
  }

  private void loop() {
    long next = System.nanoTime() + interval.toNanos();
    while (!closed) {
      try {
        Thread.sleep(CHECK);
      } catch (InterruptedException e) {
        return;
      }
      if (closed) {
        return;
      }
      if (System.nanoTime() - next >= 0 || store.size() > highWater) {
        pass();
        next = System.nanoTime() + interval.toNanos();
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(5_000); // a pass under way finishes its journal entry before the store closes
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
