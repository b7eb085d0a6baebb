package dev.plasm.daemon.internal.exec;

import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.store.AtomicFiles;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.ModuleStore;
import dev.plasm.daemon.internal.store.WorkerResult;
import dev.plasm.api.ByteSize;
import dev.plasm.api.Durations;
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
 * The bounded queue and the executors. Each executor owns one worker process (a JVM started from the
 * same runtime and module path, see {@link WorkerProcess}), kept warm between jobs unless {@code
 * workers.warm} is false. An executor takes a job, marks it running (durably, before anything runs),
 * hands it to its worker and waits for the reply, watching the clock and the worker's resident
 * memory. It kills the worker at the job's deadline plus {@code workers.kill-grace}, above {@code
 * workers.max-rss}, on cancel, and when a graceful stop runs out of time, and starts a fresh one; a
 * worker that dies leaves a failed job and the executor goes on to the next one.
 */
public final class JobRunner {
  /** How often a running job's worker is checked (memory, shutdown). */
  private static final Duration TICK = Duration.ofMillis(50);

  private final JobStore store;
  private final ModuleStore modules;
  private final DaemonConfig config;
  private final Path stateDir;
  private final Log log;
  private final Metrics metrics;
  private final Semaphore slots;
  private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
  private final Map<String, WorkerProcess> workers = new ConcurrentHashMap<>();
  private final Map<String, String> cancelled = new ConcurrentHashMap<>();
  private final AtomicInteger running = new AtomicInteger();
  private final List<Executor> executors = new ArrayList<>();
  private final long maxRss;
  private volatile boolean stopping;
  private volatile long stopDeadline;

  public JobRunner(JobStore store, ModuleStore modules, DaemonConfig config, Path stateDir, Log log, Metrics metrics) {
    this.store = store;
    this.modules = modules;
    this.config = config;
    this.stateDir = stateDir;
    this.log = log;
    this.metrics = metrics;
    this.slots = new Semaphore(config.queueCapacity());
    this.maxRss = config.effectiveMaxRss();
    metrics.gauges(queue::size, running::get, this::workersAlive);
  }

  public void start() throws IOException {
    AtomicFiles.privateDir(stateDir.resolve("logs"));
    for (int i = 0; i < config.concurrency(); i++) {
      Executor e = new Executor(i);
      executors.add(e);
      e.thread = Thread.ofPlatform().name("plasm-executor-" + i).daemon(true).start(e::loop);
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

  /** Worker processes alive now (warm ones included). */
  public int workersAlive() {
    int n = 0;
    for (Executor e : executors) {
      WorkerProcess w = e.worker;
      if (w != null && w.alive()) {
        n++;
      }
    }
    return n;
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
        if (queue.remove(id)) {
          slots.release(); // its place is free at once, not when an executor would have skipped it
        }
        return CancelResult.CANCELLED;
      }
    }
    WorkerProcess w = workers.get(id);
    if (w != null) {
      w.kill();
      metrics.workerKilled();
    }
    store.whenDone(id).join();
    return CancelResult.CANCELLED;
  }

  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  private Object lock(String id) {
    return locks.computeIfAbsent(id, k -> new Object());
  }

  /** One executor and the worker it owns. */
  private final class Executor {
    final int index;
    volatile Thread thread;
    volatile WorkerProcess worker;
    volatile boolean busy;

    Executor(int index) {
      this.index = index;
    }

    void loop() {
      while (!stopping) {
        if (config.pool().warm()) {
          warm();
        }
        String id;
        try {
          id = queue.take();
        } catch (InterruptedException e) {
          break;
        }
        busy = true;
        slots.release();
        try {
          runOne(id, this);
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
          busy = false;
        }
      }
      WorkerProcess w = worker;
      worker = null;
      if (w != null) {
        w.retire(Duration.ofSeconds(2));
      }
    }

    /** Starts this executor's worker if it has none, so the next job finds it warm. */
    void warm() {
      WorkerProcess w = worker;
      if (w != null && w.alive()) {
        return;
      }
      try {
        worker = startWorker(index);
      } catch (IOException e) {
        log.error("cannot start a worker process", "executor", index, "error", e.toString());
        worker = null;
      }
    }

    /** The worker for the next job (a live warm one, or a new one). */
    WorkerProcess take() throws IOException {
      WorkerProcess w = worker;
      if (w == null || !w.alive()) {
        w = startWorker(index);
        worker = w;
      }
      return w;
    }

    /** Drops the worker after a job: replaced at once when warm, retired in the background when spent. */
    void release(WorkerProcess w, boolean dead) {
      boolean spent = !config.pool().warm() || w.jobs() >= config.pool().maxJobs();
      if (dead || spent || !w.alive()) {
        worker = null;
        if (!dead && w.alive()) {
          Thread.ofVirtual().start(() -> w.retire(Duration.ofSeconds(5)));
        }
      }
    }
  }

  private WorkerProcess startWorker(int index) throws IOException {
    long heapMiB = DaemonConfig.workerHeapMiB(config.limits().maxMemoryBytes());
    WorkerProcess w = WorkerProcess.start(workerCommand(heapMiB), stateDir.resolve("logs").resolve("worker-" + index + ".log"));
    metrics.workerStarted();
    log.info("worker started", "executor", index, "pid", w.pid());
    return w;
  }

  private void runOne(String id, Executor ex) throws IOException, InterruptedException {
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
      runWorker(r, ex);
    } finally {
      running.decrementAndGet();
      workers.remove(id);
    }
  }

  private void runWorker(JobRecord r, Executor ex) throws IOException, InterruptedException {
    Path dir = store.dir(r.id());
    long start = System.nanoTime();
    WorkerSpec spec = new WorkerSpec(r.id(), modules.path(r.moduleSha256()).toString(), r.programName(), r.args(), r.env(),
        r.limits(), r.engine(), r.nonce(), r.deterministic(), dir.toString());
    WorkerProcess w;
    try {
      w = ex.take();
    } catch (IOException e) {
      end(r.finished(Instant.now().toString(), new JobRecord.Outcome("failed", null, null,
          "the daemon could not start a worker process: " + e.getMessage()),
          new JobRecord.UsageRecord(0, 0, null, 0, 0), null, "no worker process", false), -1);
      return;
    }
    workers.put(r.id(), w);
    String killedWhy = null;
    String limitWhy = null;
    boolean dead;
    if (stopping || cancelled.containsKey(r.id()) || !w.send(spec)) { // cancelled or stopped while it was starting
      w.kill();
    }
    long until = start + Duration.ofMillis(r.limits().timeoutMillis()).plus(config.killGrace()).toNanos();
    WorkerProcess.Event event = null;
    while (true) {
      long left = until - System.nanoTime();
      if (left <= 0) {
        killedWhy = "the worker was still running " + Durations.format(config.killGrace())
            + " after the job's deadline and was killed";
        limitWhy = "wall-time";
        break;
      }
      event = w.await(Duration.ofNanos(Math.min(left, TICK.toNanos())));
      if (!(event instanceof WorkerProcess.Quiet)) {
        break;
      }
      if (stopping && System.nanoTime() - stopDeadline > 0) {
        killedWhy = "the daemon shut down and the job did not finish within workers.shutdown-grace";
        break;
      }
      long rss = w.rss();
      if (rss > maxRss) {
        killedWhy = "the worker's resident memory reached " + ByteSize.format(rss) + ", over workers.max-rss "
            + ByteSize.format(maxRss) + "; it was killed";
        limitWhy = "memory";
        break;
      }
    }
    if (killedWhy != null) {
      w.kill();
      metrics.workerKilled();
      event = w.await(Duration.ofSeconds(10));
      log.warn("worker killed", "job", r.id(), "pid", w.pid(), "why", killedWhy);
    } else if (event instanceof WorkerProcess.Replied rep && !rep.reply().jobId().equals(r.id())) {
      w.kill(); // a reply for another job: the worker broke the protocol
      event = w.await(Duration.ofSeconds(10));
    } else if (event instanceof WorkerProcess.Replied rep) {
      metrics.moduleCache(rep.reply().cacheHits(), rep.reply().cacheMisses());
    }
    dead = event instanceof WorkerProcess.Died || killedWhy != null;
    ex.release(w, dead);

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
      if (wr != null) { // the worker finished the job (also when it halted a runaway guest itself)
        endFromResult(r.finished(wr.finishedAt(), wr.outcome(), wr.usage(), wr.engine(), wr.receiptError(),
            Files.isRegularFile(dir.resolve(JobStore.RECEIPT))), micros);
        return;
      }
      if (stopping && limitWhy == null) {
        end(store.get(r.id()).ended(JobRecord.INTERRUPTED, now, killedWhy != null ? killedWhy
            : "the daemon shut down while the job was running"), micros);
        return;
      }
      int code = event instanceof WorkerProcess.Died d ? d.exitCode() : -1;
      JobRecord.Outcome o;
      if (limitWhy != null && limitWhy.equals("wall-time")) {
        o = new JobRecord.Outcome("limit-exceeded", null, "wall-time", "the job ran past its "
            + r.limits().timeoutMillis() + "ms wall-clock limit; " + killedWhy);
      } else if (limitWhy != null) {
        o = new JobRecord.Outcome("limit-exceeded", null, "memory", killedWhy);
      } else if (code == 3) {
        o = new JobRecord.Outcome("limit-exceeded", null, "memory", "the worker process ran out of memory");
      } else {
        o = new JobRecord.Outcome("failed", null, null, "the worker process ended with exit code " + code
            + " without a result (its log: " + stateDir.relativize(w.log()) + " in the state directory)");
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

  private void endFromResult(JobRecord r, long micros) throws IOException {
    store.finish(r);
    ended(r, micros);
  }

  private void end(JobRecord r, long micros) throws IOException {
    store.update(r);
    ended(r, micros);
  }

  private void ended(JobRecord r, long micros) {
    String kind = r.state().equals(JobRecord.FINISHED) && r.outcome() != null ? r.outcome().kind() : r.state();
    metrics.ended(kind, micros);
    log.info("job ended", "job", r.id(), "state", r.state(), "outcome", kind,
        "millis", micros < 0 ? 0 : micros / 1000);
  }

  /** The command that starts a worker: this runtime's java, with this process's module or class path. */
  List<String> workerCommand(long heapMiB) {
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("-Xmx" + heapMiB + "m");
    cmd.add("-XX:+UseSerialGC");
    // Give memory back after a large job, so an idle warm worker stays small.
    cmd.add("-XX:MinHeapFreeRatio=10");
    cmd.add("-XX:MaxHeapFreeRatio=30");
    cmd.add("-XX:+ExitOnOutOfMemoryError");
    cmd.add("-Xshare:auto");
    cmd.add("-XX:-DontCompileHugeMethods");
    String image = System.getProperty("plasm.image");
    if (image != null) {
      cmd.add("-Dplasm.image=" + image);
      // The image's launcher gives these to the daemon; its workers need them as much (wasmtime).
      Path natives = Path.of(image, "lib", "wasmtime");
      if (Files.isRegularFile(natives.resolve("libwasmtime_jni.so"))) {
        cmd.add("-Djava.library.path=" + natives);
        cmd.add("--enable-native-access=wasmtime.java");
      }
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
    cmd.add("--state");
    cmd.add(stateDir.toString());
    for (Path d : config.pluginDirs()) {
      cmd.add("--plugin-dir");
      cmd.add(d.toString());
    }
    cmd.add("--module-cache");
    cmd.add(Integer.toString(config.pool().moduleCache()));
    return cmd;
  }

  /**
   * Stops taking jobs, lets running jobs finish for up to {@code workers.shutdown-grace}, kills the
   * workers of those that have not, and marks every unfinished job interrupted.
   */
  public void shutdown() {
    stopDeadline = System.nanoTime() + config.pool().shutdownGrace().toNanos();
    stopping = true;
    for (Executor e : executors) {
      if (!e.busy) {
        e.thread.interrupt(); // waiting for a job: stop now
      }
    }
    long until = stopDeadline + Duration.ofSeconds(15).toNanos();
    for (Executor e : executors) {
      try {
        e.thread.join(Math.max(1, (until - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (Executor e : executors) {
      WorkerProcess w = e.worker;
      if (w != null) {
        w.kill();
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
