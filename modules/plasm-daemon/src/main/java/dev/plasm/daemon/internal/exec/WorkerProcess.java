package dev.plasm.daemon.internal.exec;

import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.worker.Rss;
import dev.plasm.daemon.internal.worker.WorkerReply;
import dev.plasm.daemon.internal.worker.WorkerSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One worker JVM as the daemon sees it: jobs go in as lines on its stdin, replies come back as
 * lines on its stdout (read by a platform thread into a queue, so waiting for one can time out), and
 * its stderr is appended to a log file. The daemon holds its stdin open for as long as the worker
 * should live; closing it retires an idle worker.
 */
final class WorkerProcess {
  /** What {@link #await} saw. */
  sealed interface Event {}

  /** The worker finished a job. */
  record Replied(WorkerReply reply) implements Event {}

  /** The worker's protocol stream ended: the process is exiting or gone. */
  record Died(int exitCode) implements Event {}

  /** Nothing within the wait. */
  record Quiet() implements Event {}

  private static final Object EOF = new Object();

  private final Process process;
  private final OutputStream stdin;
  private final LinkedBlockingQueue<Object> lines = new LinkedBlockingQueue<>();
  private final Path log;
  private volatile boolean ready;
  private int jobs;

  private WorkerProcess(Process process, Path log) {
    this.process = process;
    this.stdin = process.getOutputStream();
    this.log = log;
    // A platform thread, never a virtual one: a pipe read blocks its carrier for as long as the
    // worker is idle (minutes, hours), and with as many idle workers as CPUs every carrier of the
    // virtual-thread scheduler was held that way; once the scheduler's spare carriers had retired
    // (30 s idle) no HTTP request could be scheduled and the whole API went silent.
    Thread.ofPlatform().daemon(true).name("plasm-worker-reader-" + process.pid()).start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.equals(WorkerReply.READY)) {
            ready = true;
          } else {
            lines.add(line);
          }
        }
      } catch (IOException e) {
        // As end-of-file.
      }
      lines.add(EOF);
    });
  }

  static WorkerProcess start(List<String> command, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return new WorkerProcess(pb.start(), log);
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  boolean ready() {
    return ready;
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
      byte[] line = (spec.toLine() + "\n").getBytes(StandardCharsets.UTF_8);
      stdin.write(line);
      stdin.flush();
      jobs++;
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Waits up to {@code d} for the worker's next reply or its end. */
  Event await(Duration d) throws InterruptedException {
    Object o = lines.poll(d.toNanos(), TimeUnit.NANOSECONDS);
    if (o == null) {
      return new Quiet();
    }
    if (o == EOF) {
      lines.add(EOF); // later waits see the end too
      return new Died(exitCode());
    }
    try {
      return new Replied(Json.MAPPER.readValue((String) o, WorkerReply.class));
    } catch (RuntimeException e) {
      kill(); // a worker that breaks the protocol cannot be trusted with more jobs
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

  /** Resident memory of the worker and its descendants, or -1 when unknown. */
  long rss() {
    long total = Rss.of(process.pid());
    if (total < 0) {
      return -1;
    }
    for (ProcessHandle h : process.descendants().toList()) {
      long r = Rss.of(h.pid());
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
