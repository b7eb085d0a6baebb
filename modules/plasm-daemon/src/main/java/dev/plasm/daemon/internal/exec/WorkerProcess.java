package dev.plasm.daemon.internal.exec;

import dev.plasm.daemon.internal.worker.Rss;
import dev.plasm.daemon.internal.worker.WorkerReply;
import dev.plasm.daemon.internal.worker.WorkerSpec;
import dev.plasm.daemon.internal.worker.WorkerWire;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One worker JVM as the daemon sees it: jobs go in as {@link WorkerSpec} frames on its stdin, replies
 * come back as {@link WorkerReply} frames on its stdout, and its stderr is appended to a log file.
 * The executor that owns the worker reads its reply itself (a blocking read: the worker is killed by
 * the {@link Watchdog} when it must not be waited for any longer, which ends the read). The daemon
 * holds its stdin open for as long as the worker should live; closing it retires an idle worker.
 */
final class WorkerProcess {
  /** What {@link #read} saw. */
  sealed interface Event {}

  /** The worker finished a job. */
  record Replied(WorkerReply reply) implements Event {}

  /** The worker's protocol stream ended (or broke): the process is exiting or gone. */
  record Died(int exitCode) implements Event {}

  private final Process process;
  private final DataOutputStream stdin;
  private final DataInputStream stdout;
  private final Path log;
  private final long maxPart;
  private boolean ready;
  private int jobs;

  /**
   * @param maxPart the most bytes one part of a reply may have (the node's output cap; receipts are
   *     far smaller): a worker that announces more broke the protocol
   */
  private WorkerProcess(Process process, Path log, long maxPart) {
    this.process = process;
    this.stdin =
        new DataOutputStream(new BufferedOutputStream(process.getOutputStream(), 64 * 1024));
    this.stdout = new DataInputStream(new BufferedInputStream(process.getInputStream(), 64 * 1024));
    this.log = log;
    this.maxPart = maxPart;
  }

  static WorkerProcess start(List<String> command, Path log, long maxPart) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return new WorkerProcess(pb.start(), log, Math.max(maxPart, 1 << 20));
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  int jobs() {
    return jobs;
  }

  boolean alive() {
    return process.isAlive();
  }

  /** Hands the worker a job; false when the worker is gone. */
  boolean send(WorkerSpec spec) {
    try {
      spec.write(stdin);
      stdin.flush();
      jobs++;
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Waits for the worker's reply to the job it was given, or its end: a worker killed (at a deadline,
   * on cancel) ends here with {@link Died}. The first frame a worker sends, that it is ready, is
   * skipped.
   */
  Event read() throws InterruptedException {
    try {
      while (true) {
        WorkerWire.Frame f = WorkerWire.read(stdout, maxPart);
        String type = f.header().path("type").asString("");
        if (type.equals(WorkerReply.READY) && !ready) {
          ready = true;
          continue;
        }
        if (!type.equals("result")) {
          throw new IOException("a frame of type '" + type + "'");
        }
        return new Replied(WorkerReply.of(f));
      }
    } catch (IOException | RuntimeException e) {
      if (!(e instanceof java.io.EOFException)) {
        kill(); // a worker that breaks the protocol cannot be trusted with more jobs
      }
      return new Died(exitCode());
    }
  }

  private int exitCode() throws InterruptedException {
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      kill();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    return process.isAlive() ? -1 : process.exitValue();
  }

  /** How often the worker's descendants are looked for: finding them scans every process in /proc. */
  private static final long DESCENDANTS_EVERY_NANOS = 1_000_000_000L;

  private long[] descendants = new long[0];
  private long descendantsAt = System.nanoTime() - DESCENDANTS_EVERY_NANOS;

  /**
   * Resident memory of the worker and its descendants, or -1 when unknown. The worker's own is read
   * at every call (one small /proc file); the list of its descendants (a worker has none unless an
   * engine starts processes) is refreshed once a second, since finding them reads all of /proc.
   */
  synchronized long rss() {
    long total = Rss.of(process.pid());
    if (total < 0) {
      return -1;
    }
    long now = System.nanoTime();
    if (now - descendantsAt >= DESCENDANTS_EVERY_NANOS) {
      descendants = process.descendants().mapToLong(ProcessHandle::pid).toArray();
      descendantsAt = now;
    }
    for (long pid : descendants) {
      long r = Rss.of(pid);
      if (r > 0) {
        total += r;
      }
    }
    return total;
  }

  /** Ends the worker now. */
  void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** Asks an idle worker to end by closing its stdin, and kills it if it has not within {@code wait}. */
  void retire(Duration wait) {
    try {
      stdin.close();
    } catch (IOException e) {
      // Already gone.
    }
    try {
      if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      kill();
      Thread.currentThread().interrupt();
    }
  }
}
