package dev.plasm.daemon.internal.exec;

import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.store.AtomicFiles;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.ModuleStore;
import dev.plasm.daemon.internal.store.WorkerResult;
import dev.plasm.daemon.internal.worker.WorkerMain;
import dev.plasm.daemon.internal.worker.WorkerSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded queue and the executors. Each executor takes a job, marks it running (durably, before
 * anything runs), and runs it in a new worker process (a JVM started from the same runtime and
 * module path) that it kills at the job's deadline plus {@code workers.kill-grace}, on cancel, and
 * at shutdown. A worker that dies leaves a failed job; the executor goes on to the next one.
 */
public final class JobRunner {
  private final JobStore store;
  private final ModuleStore modules;
  private final DaemonConfig config;
  private final Path stateDir;
  private final Log log;
  private final Metrics metrics;
  private final Semaphore slots;
  private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
  private final Map<String, Process> workers = new ConcurrentHashMap<>();
  private final Map<String, String> cancelled = new ConcurrentHashMap<>();
  private final AtomicInteger running = new AtomicInteger();
  private final List<Thread> executors = new ArrayList<>();
  private volatile boolean stopping;

  public JobRunner(JobStore store, ModuleStore modules, DaemonConfig config, Path stateDir, Log log, Metrics metrics) {
    this.store = store;
    this.modules = modules;
    this.config = config;
    this.stateDir = stateDir;
    this.log = log;
    this.metrics = metrics;
    this.slots = new Semaphore(config.queueCapacity());
    metrics.gauges(queue::size, running::get);
  }

  public void start() {
    for (int i = 0; i < config.concurrency(); i++) {
      Thread t = Thread.ofPlatform().name("plasm-executor-" + i).daemon(true).start(this::loop);
      executors.add(t);
    }
  }

  /** Reserves a place in the queue; false when it is full. */
  public boolean reserve() {
    return slots.tryAcquire();
  }

  /** Gives back a place reserved for a job that was not accepted after all. */
  public void unreserve() {
    slots.release();
  }

  /** Queues an accepted job (its record is on disk) in the place reserved for it. */
  public void enqueue(String id) {
    queue.add(id);
  }

  public int queueDepth() {
    return queue.size();
  }

  public int running() {
    return running.get();
  }

  /** What {@link #cancel} did. */
  public enum CancelResult { CANCELLED, ALREADY_ENDED, UNKNOWN }

  /** Cancels a queued job at once, or kills a running job's worker. */
  public CancelResult cancel(String id) throws IOException {
    synchronized (lock(id)) {
      JobRecord r = store.get(id);
      if (r == null) {
        return CancelResult.UNKNOWN;
      }
      if (r.terminal()) {
        return CancelResult.ALREADY_ENDED;
      }
      cancelled.put(id, "cancelled by a client");
      if (r.state().equals(JobRecord.QUEUED)) {
        end(r.ended(JobRecord.CANCELLED, Instant.now().toString(), "cancelled by a client before it started"));
        return CancelResult.CANCELLED;
      }
    }
    Process p = workers.get(id);
    if (p != null) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      metrics.workerKilled();
    }
    store.whenDone(id).join();
    return CancelResult.CANCELLED;
  }

  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  private Object lock(String id) {
    return locks.computeIfAbsent(id, k -> new Object());
  }

  private void loop() {
    while (!stopping) {
      String id;
      try {
        id = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      slots.release();
      try {
        runOne(id);
      } catch (Throwable t) {
        if (!stopping) {
          log.error("job failed in the daemon", "job", id, "error", t.toString());
        }
        try {
          JobRecord r = store.get(id);
          if (r != null && !r.terminal()) {
            end(r.ended(JobRecord.INTERRUPTED, Instant.now().toString(), stopping
                ? "the daemon shut down while the job was running" : "the daemon could not run the job: " + t));
          }
        } catch (IOException e) {
          log.error("cannot record the job's end", "job", id, "error", e.toString());
        }
      } finally {
        locks.remove(id);
      }
    }
  }

  private void runOne(String id) throws IOException, InterruptedException {
    JobRecord r;
    synchronized (lock(id)) {
      r = store.get(id);
      if (r == null || !r.state().equals(JobRecord.QUEUED) || stopping) {
        return;
      }
      r = r.running(Instant.now().toString());
      store.update(r);
    }
    running.incrementAndGet();
    try {
      runWorker(r);
    } finally {
      running.decrementAndGet();
      workers.remove(id);
    }
  }

  private void runWorker(JobRecord r) throws IOException, InterruptedException {
    Path dir = store.dir(r.id());
    WorkerSpec spec = new WorkerSpec(r.id(), modules.path(r.moduleSha256()).toString(), r.programName(), r.args(), r.env(),
        r.limits(), r.engine(), r.nonce(), r.deterministic(),
        config.pluginDirs().stream().map(Path::toString).toList(), stateDir.toString(), dir.toString());
    Path specFile = dir.resolve(JobStore.SPEC);
    AtomicFiles.write(specFile, Json.MAPPER.writeValueAsBytes(spec));
    ProcessBuilder pb = new ProcessBuilder(workerCommand(r.limits().maxMemoryBytes(), specFile));
    // The worker's stdin stays open, unused, for as long as this process lives: its end-of-file
    // tells an orphaned worker to end (see WorkerMain).
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    pb.redirectErrorStream(true);
    pb.redirectOutput(dir.resolve("worker.log").toFile());
    long start = System.nanoTime();
    Process p = pb.start();
    workers.put(r.id(), p);
    if (stopping || cancelled.containsKey(r.id())) { // cancelled or stopped while it was starting
      p.destroyForcibly();
    }
    Duration deadline = Duration.ofMillis(r.limits().timeoutMillis()).plus(config.killGrace());
    boolean ended = p.waitFor(deadline.toNanos(), TimeUnit.NANOSECONDS);
    String killedWhy = null;
    if (!ended) {
      killedWhy = "the worker was still running " + config.killGrace().toSeconds() + "s after the job's deadline and was killed";
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      metrics.workerKilled();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    try {
      p.getOutputStream().close();
    } catch (IOException e) {
      // Already gone.
    }
    long micros = (System.nanoTime() - start) / 1000;
    String now = Instant.now().toString();
    Path resultFile = dir.resolve(JobStore.RESULT);
    WorkerResult wr = null;
    if (Files.isRegularFile(resultFile)) {
      try {
        wr = Json.MAPPER.readValue(Files.readAllBytes(resultFile), WorkerResult.class);
      } catch (RuntimeException e) {
        wr = null;
      }
    }
    synchronized (lock(r.id())) {
      String why = cancelled.remove(r.id());
      if (why != null) {
        end(store.get(r.id()).ended(JobRecord.CANCELLED, now, why + " while it was running; its worker was killed"), micros);
        return;
      }
      if (stopping && wr == null) {
        end(store.get(r.id()).ended(JobRecord.INTERRUPTED, now, "the daemon shut down while the job was running"), micros);
        return;
      }
      if (wr != null) {
        end(r.finished(wr.finishedAt(), wr.outcome(), wr.usage(), wr.engine(), wr.receiptError(),
            Files.isRegularFile(dir.resolve(JobStore.RECEIPT))), micros);
        return;
      }
      int code = ended ? p.exitValue() : -1;
      JobRecord.Outcome o;
      if (killedWhy != null) {
        o = new JobRecord.Outcome("limit-exceeded", null, "wall-time", "the job ran past its "
            + r.limits().timeoutMillis() + "ms wall-clock limit; " + killedWhy);
      } else if (code == 3) {
        o = new JobRecord.Outcome("limit-exceeded", null, "memory", "the worker process ran out of memory");
      } else {
        o = new JobRecord.Outcome("failed", null, null,
            "the worker process ended with exit code " + code + " without a result (its log: worker.log in the job directory)");
      }
      long out = size(dir.resolve(JobStore.STDOUT));
      long err = size(dir.resolve(JobStore.STDERR));
      end(r.finished(now, o, new JobRecord.UsageRecord(micros, 0, null, out, err), null, o.message(), false), micros);
    }
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return 0;
    }
  }

  private void end(JobRecord r) throws IOException {
    end(r, -1);
  }

  private void end(JobRecord r, long micros) throws IOException {
    store.update(r);
    String kind = r.state().equals(JobRecord.FINISHED) && r.outcome() != null ? r.outcome().kind() : r.state();
    metrics.ended(kind, micros);
    log.info("job ended", "job", r.id(), "state", r.state(), "outcome", kind,
        "millis", micros < 0 ? 0 : micros / 1000);
  }

  /** The command that starts a worker: this runtime's java, with this process's module or class path. */
  List<String> workerCommand(long maxMemoryBytes, Path specFile) {
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    // Enough heap for the guest's memory (the sandbox allows guests 3/4 of the heap) plus the engine.
    long heapMiB = (maxMemoryBytes * 4 / 3 >> 20) + 192;
    cmd.add("-Xmx" + heapMiB + "m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:+ExitOnOutOfMemoryError");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Xshare:auto");
    cmd.add("-XX:-DontCompileHugeMethods");
    String image = System.getProperty("plasm.image");
    if (image != null) {
      cmd.add("-Dplasm.image=" + image);
    }
    cmd.addAll(config.workerJavaOptions());
    String modulePath = System.getProperty("jdk.module.path");
    String classPath = System.getProperty("java.class.path");
    String main = WorkerMain.class.getName();
    if (WorkerMain.class.getModule().isNamed()) {
      if (modulePath != null && !modulePath.isBlank()) {
        cmd.add("--module-path");
        cmd.add(modulePath);
      }
      if (classPath != null && !classPath.isBlank()) {
        cmd.add("-cp");
        cmd.add(classPath);
      }
      // Engines and receipt schemes are found by service binding from the root module (in a
      // runtime image they are system modules); ALL-MODULE-PATH keeps plugins given on the path.
      if (modulePath != null && !modulePath.isBlank()) {
        cmd.add("--add-modules");
        cmd.add("ALL-MODULE-PATH");
      }
      cmd.add("-m");
      cmd.add(WorkerMain.class.getModule().getName() + "/" + main);
    } else {
      cmd.add("-cp");
      cmd.add(classPath + (modulePath == null || modulePath.isBlank() ? "" : File.pathSeparator + modulePath));
      cmd.add(main);
    }
    cmd.add(specFile.toString());
    return cmd;
  }

  /** Stops taking jobs, kills running workers, and marks their jobs interrupted. */
  public void shutdown(Duration wait) {
    stopping = true;
    for (Thread t : executors) {
      t.interrupt();
    }
    for (Process p : workers.values()) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      metrics.workerKilled();
    }
    long until = System.nanoTime() + wait.toNanos();
    for (Thread t : executors) {
      try {
        t.join(Math.max(1, (until - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    String now = Instant.now().toString();
    for (JobRecord r : store.all()) {
      if (!r.terminal()) {
        try {
          store.update(r.ended(JobRecord.INTERRUPTED, now, r.state().equals(JobRecord.QUEUED)
              ? "the daemon shut down before the job started; it never ran, submit it again"
              : "the daemon shut down while the job was running"));
        } catch (IOException e) {
          log.error("cannot record the job's end", "job", r.id(), "error", e.toString());
        }
      }
    }
  }
}
