package dev.plasm.daemon.internal.exec;

import dev.plasm.api.ByteSize;
import dev.plasm.api.Durations;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.JobState;
import dev.plasm.api.Limit;
import dev.plasm.api.Usage;
import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.store.AtomicFiles;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.Journal;
import dev.plasm.daemon.internal.store.ModuleStore;
import dev.plasm.daemon.internal.store.WorkerResult;
import dev.plasm.daemon.internal.worker.WorkerReply;
import dev.plasm.daemon.internal.worker.WorkerSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded queue and the executors. Each executor owns one worker process ({@link
 * WorkerProcess}, started by {@link WorkerLauncher}), kept warm between jobs unless {@code
 * workers.warm} is false. An executor takes a job, marks it running (durably, before anything runs),
 * hands its plan to the worker and reads the reply, which carries the job's outcome, output and
 * receipt; the job's end is recorded (with them) while the executor goes on to the next job. The
 * {@link Watchdog} kills a worker at its job's deadline plus {@code workers.kill-grace}, above
 * {@code workers.max-rss}, and when a graceful stop runs out of time; a cancel kills it too; the
 * executor then starts a fresh one.
 *
 * <p>Every job that started ends with a signed receipt: the worker's, or when the worker could not
 * report (killed, crashed), one the daemon signs itself stating the outcome it decided
 * ({@link NodeReceipts}).
 */
public final class JobRunner {
  /** Stdin up to this size travels to the worker in the job's frame; larger, the worker reads it from the journal. */
  private static final int STDIN_INLINE = 64 * 1024;

  /** Exit code of a JVM that ran out of heap with {@code -XX:+ExitOnOutOfMemoryError}. */
  private static final int JVM_OUT_OF_MEMORY = 3;

  private final JobStore store;
  private final ModuleStore modules;
  private final DaemonConfig config;
  private final Path stateDir;
  private final Log log;
  private final Metrics metrics;
  private final NodeReceipts receipts;
  private final WorkerLauncher launcher;
  private final Semaphore slots;
  private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
  private final Map<String, WorkerProcess> workers = new ConcurrentHashMap<>();
  private final Map<String, String> cancelled = new ConcurrentHashMap<>();
  private final AtomicInteger running = new AtomicInteger();
  private final List<Executor> executors = new ArrayList<>();
  private final long maxRss;
  private final Watchdog watchdog;

  /** Jobs whose end is being recorded: decided, not yet on disk (a cancel then finds them ended). */
  private final Set<String> ending = ConcurrentHashMap.newKeySet();

  private final Set<CompletableFuture<Void>> endings = ConcurrentHashMap.newKeySet();
  private volatile boolean stopping;
  private volatile long stopDeadline;

  public JobRunner(
      JobStore store,
      ModuleStore modules,
      DaemonConfig config,
      Path stateDir,
      Log log,
      Metrics metrics,
      NodeReceipts receipts) {
    this.store = store;
    this.modules = modules;
    this.config = config;
    this.stateDir = stateDir;
    this.log = log;
    this.metrics = metrics;
    this.receipts = receipts;
    this.launcher = new WorkerLauncher(config, stateDir);
    this.slots = new Semaphore(config.jobs().queueCapacity());
    this.maxRss = config.effectiveMaxRss();
    this.watchdog = new Watchdog(this::check, System::nanoTime);
    metrics.gauges(queue::size, running::get, this::workersAlive);
  }

  /** Why a watched worker must be killed now: its deadline, the end of a graceful stop, its memory. */
  private Watchdog.Kill check(Watchdog.Watch x, long now) {
    if (now - x.until > 0) {
      return new Watchdog.Kill(
          "the worker was still running "
              + Durations.format(config.workers().killGrace())
              + " after the job's deadline and was killed",
          Limit.WALL_TIME);
    }
    if (stopping && now - stopDeadline > 0) {
      return new Watchdog.Kill(
          "the daemon shut down and the job did not finish within workers.shutdown-grace", null);
    }
    long rss = x.worker.rss();
    if (rss > maxRss) {
      return new Watchdog.Kill(
          "the worker's resident memory reached "
              + ByteSize.format(rss)
              + ", over workers.max-rss "
              + ByteSize.format(maxRss)
              + "; it was killed",
          Limit.MEMORY);
    }
    return null;
  }

  public void start() throws IOException {
    AtomicFiles.privateDir(stateDir.resolve("logs"));
    for (int i = 0; i < config.jobs().concurrency(); i++) {
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
  public enum CancelResult {
    CANCELLED,
    ALREADY_ENDED,
    UNKNOWN
  }

  /** Where jobs out on other nodes are cancelled (set when p2p is on). */
  public interface RemoteCancel {
    /** Cancels a job this node sent out and returns once its record has ended. */
    void cancel(String id) throws IOException;
  }

  private volatile RemoteCancel remoteCancel;

  public void remoteCancel(RemoteCancel c) {
    this.remoteCancel = c;
  }

  /** Cancels a queued job at once, kills a running job's worker, or has a job out on other nodes cancelled there. */
  public CancelResult cancel(String id) throws IOException {
    JobRecord out = store.get(id);
    RemoteCancel rc = remoteCancel;
    if (out != null && out.dispatch() != null && !out.terminal() && rc != null) {
      rc.cancel(id);
      return CancelResult.CANCELLED;
    }
    synchronized (lock(id)) {
      JobRecord r = store.get(id);
      if (r == null) {
        return CancelResult.UNKNOWN;
      }
      if (r.terminal()) {
        return CancelResult.ALREADY_ENDED;
      }
      if (ending.contains(id)) {
        // Its end was decided before this cancel and is being recorded.
        store.whenDone(id).join();
        return CancelResult.ALREADY_ENDED;
      }
      cancelled.put(id, "cancelled by a client");
      if (r.state() == JobState.QUEUED) {
        end(
            r.endedUnrun(
                JobState.CANCELLED, Instant.now(), "cancelled by a client before it started"),
            -1);
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

  /** How long the node is idle (no job taken) before it gives back the heap a load grew. */
  private static final Duration IDLE_TRIM = Duration.ofSeconds(5);

  private final java.util.concurrent.atomic.AtomicLong started =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong trimmedAt =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * After jobs, once nothing has run for {@link #IDLE_TRIM}: one full collection, after which the
   * heap shrinks to what is live (as far as {@code MaxHeapFreeRatio} allows), so that an idle node
   * does not keep the memory its last load grew. Once per idle spell, by whichever executor sees it.
   */
  private void trimIfIdle() {
    long n = started.get();
    long last = trimmedAt.get();
    if (n != last && running.get() == 0 && queue.isEmpty() && trimmedAt.compareAndSet(last, n)) {
      System.gc();
    }
  }

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
        if (config.workers().warm()) {
          warm();
        }
        String id;
        try {
          id = queue.poll(IDLE_TRIM.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          break;
        }
        if (id == null) {
          trimIfIdle();
          continue;
        }
        started.incrementAndGet();
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
              endStarted(
                  r,
                  new ExecutionOutcome.Interrupted(
                      stopping
                          ? "the daemon shut down while the job was running"
                          : "the daemon could not run the job: " + t,
                      Usage.NONE),
                  r.startedAt(),
                  -1);
            }
          } catch (IOException | RuntimeException e) {
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
      boolean spent = !config.workers().warm() || w.jobs() >= config.workers().maxJobs();
      if (dead || spent || !w.alive()) {
        worker = null;
        if (dead) {
          w.kill(); // e.g. one that said it halts itself: never given another job
        } else if (w.alive()) {
          Thread.ofVirtual().start(() -> w.retire(Duration.ofSeconds(5)));
        }
      }
    }
  }

  private WorkerProcess startWorker(int index) throws IOException {
    WorkerProcess w = launcher.start(index);
    metrics.workerStarted();
    log.info("worker started", "executor", index, "pid", w.pid());
    return w;
  }

  private void runOne(String id, Executor ex) throws IOException, InterruptedException {
    JobRecord r;
    synchronized (lock(id)) {
      r = store.get(id);
      if (r == null || r.state() != JobState.QUEUED || stopping) {
        return;
      }
      r = r.running(Instant.now());
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

  /** What the worker is given: the plan, the module, the stdin inline or where it is, where to spill output. */
  private WorkerSpec spec(JobRecord r) throws IOException {
    WorkerSpec.Stdin stdin = WorkerSpec.Stdin.NONE;
    if (r.plan().stdinBytes() > 0) {
      Journal.Region region = store.part(r.id(), JobStore.Part.STDIN);
      stdin =
          region == null
              ? WorkerSpec.Stdin.NONE
              : region.length() <= STDIN_INLINE
                  ? WorkerSpec.Stdin.of(store.read(r.id(), JobStore.Part.STDIN))
                  : WorkerSpec.Stdin.region(
                      region.file().toString(), region.offset(), region.length());
    }
    return new WorkerSpec(
        r.id(),
        modules.path(r.plan().moduleSha256()).toString(),
        r.plan(),
        r.determinism(),
        stdin,
        store.spillFile(r.id(), JobStore.Part.STDOUT).toString(),
        store.spillFile(r.id(), JobStore.Part.STDERR).toString());
  }

  private void runWorker(JobRecord r, Executor ex) throws IOException, InterruptedException {
    long start = System.nanoTime();
    WorkerSpec spec = spec(r);
    WorkerProcess w;
    try {
      w = ex.take();
    } catch (IOException e) {
      endStarted(
          r,
          new ExecutionOutcome.Failed(
              "the daemon could not start a worker process: " + e.getMessage(), Usage.NONE),
          r.startedAt(),
          -1);
      return;
    }
    workers.put(r.id(), w);
    long until =
        start
            + Duration.ofMillis(r.plan().limits().timeout().toMillis())
                .plus(config.workers().killGrace())
                .toNanos();
    Watchdog.Watch watch = watchdog.watch(w, until);
    if (stopping
        || cancelled.containsKey(r.id())
        || !w.send(spec)) { // cancelled or stopped while it was starting
      w.kill();
    }
    WorkerProcess.Event event = w.read();
    Watchdog.Kill kill = watchdog.unwatch(watch);
    if (kill != null) {
      metrics.workerKilled();
      log.warn("worker killed", "job", r.id(), "pid", w.pid(), "why", kill.why());
    }
    WorkerReply reply = event instanceof WorkerProcess.Replied rep ? rep.reply() : null;
    if (reply != null && !reply.jobId().equals(r.id())) {
      w.kill(); // a reply for another job: the worker broke the protocol
      reply = null;
    } else if (reply != null) {
      metrics.moduleCache(reply.cacheHits(), reply.cacheMisses());
    }
    boolean dead = reply == null || reply.halting() || kill != null;
    ex.release(w, dead);

    long micros = (System.nanoTime() - start) / 1000;
    synchronized (lock(r.id())) {
      String why = cancelled.remove(r.id());
      if (why != null) {
        endStarted(
            r,
            new ExecutionOutcome.Cancelled(
                why + " while it was running; its worker was killed", usage(r.id(), micros)),
            r.startedAt(),
            micros);
        return;
      }
      if (reply
          != null) { // the worker finished the job (also when it halted a runaway guest itself)
        JobRecord ended = reply.result().applyTo(r, reply.receipt() != null);
        JobStore.Parts parts =
            new JobStore.Parts(
                reply.stdout(),
                reply.stderr(),
                reply.receipt(),
                reply.stdout() == null,
                reply.stderr() == null);
        endAsync(ended, parts, micros);
        return;
      }
      int code = event instanceof WorkerProcess.Died d ? d.exitCode() : -1;
      ExecutionOutcome o;
      if (kill != null && kill.limit() == Limit.WALL_TIME) {
        o =
            new ExecutionOutcome.LimitExceeded(
                Limit.WALL_TIME,
                "the job ran past its "
                    + Durations.format(r.plan().limits().timeout())
                    + " wall-clock limit; "
                    + kill.why(),
                usage(r.id(), micros));
      } else if (kill != null && kill.limit() == Limit.MEMORY) {
        o = new ExecutionOutcome.LimitExceeded(Limit.MEMORY, kill.why(), usage(r.id(), micros));
      } else if (stopping) {
        o =
            new ExecutionOutcome.Interrupted(
                kill != null ? kill.why() : "the daemon shut down while the job was running",
                usage(r.id(), micros));
      } else if (code == JVM_OUT_OF_MEMORY) {
        o =
            new ExecutionOutcome.LimitExceeded(
                Limit.MEMORY, "the worker process ran out of memory", usage(r.id(), micros));
      } else {
        o =
            new ExecutionOutcome.Failed(
                "the worker process ended with exit code "
                    + code
                    + " without a result (its log: "
                    + stateDir.relativize(w.log())
                    + " in the state directory)",
                usage(r.id(), micros));
      }
      endStarted(r, o, r.startedAt(), micros);
    }
  }

  /**
   * Records a job's end with what its worker sent, without waiting for the disk: the executor goes on
   * to its next job while the journal forces this one (with others); the job is seen ended, and its
   * waiters woken, once it is on disk. Until then a cancel finds it ending.
   */
  private void endAsync(JobRecord ended, JobStore.Parts parts, long micros) {
    String id = ended.id();
    ending.add(id);
    CompletableFuture<Void> f = store.endAsync(ended, parts);
    endings.add(f);
    f.whenComplete(
        (v, e) -> {
          ending.remove(id);
          endings.remove(f);
          if (e != null) {
            log.error("cannot record the job's end", "job", id, "error", e.toString());
          } else {
            ended(ended, micros);
          }
        });
  }

  /** What the daemon measured of a job whose worker could not report: the time, and the output it spilled. */
  private Usage usage(String id, long micros) {
    return new Usage(
        Duration.ofNanos(Math.max(0, micros) * 1000),
        0,
        OptionalLong.empty(),
        size(store.spillFile(id, JobStore.Part.STDOUT)),
        size(store.spillFile(id, JobStore.Part.STDERR)));
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Ends a job that started with an outcome the daemon decided, and signs its receipt: a job that
   * ran, even partly, always ends with a signed statement of how.
   */
  private void endStarted(JobRecord r, ExecutionOutcome o, Instant startedAt, long micros)
      throws IOException {
    Instant now = Instant.now();
    byte[] receipt;
    String reason = o instanceof ExecutionOutcome.Completed ? null : message(o);
    try {
      receipt = receipts.issue(r, store, o, startedAt == null ? now : startedAt, now);
    } catch (IOException | RuntimeException e) {
      log.error(
          "cannot sign the receipt of a job the daemon ended",
          "job",
          r.id(),
          "error",
          e.toString());
      receipt = null;
    }
    JobRecord ended = r.ended(WorkerResult.stateOf(o), now, o, reason, receipt != null);
    store.end(ended, store.spilledParts(r.id()).withReceipt(receipt));
    ended(ended, micros);
  }

  private static String message(ExecutionOutcome o) {
    return switch (o) {
      case ExecutionOutcome.Completed c -> null;
      case ExecutionOutcome.Trapped t -> t.message();
      case ExecutionOutcome.LimitExceeded l -> l.message();
      case ExecutionOutcome.Rejected rj -> rj.message();
      case ExecutionOutcome.Failed f -> f.message();
      case ExecutionOutcome.Cancelled c -> c.message();
      case ExecutionOutcome.Interrupted i -> i.message();
    };
  }

  private void end(JobRecord r, long micros) throws IOException {
    store.update(r);
    ended(r, micros);
  }

  private void ended(JobRecord r, long micros) {
    String kind = r.outcome() != null ? r.outcome().id() : r.state().id();
    metrics.ended(kind, micros);
    log.info(
        "job ended",
        "job",
        r.id(),
        "state",
        r.state().id(),
        "outcome",
        kind,
        "millis",
        micros < 0 ? 0 : micros / 1000);
  }

  /** What a replayed job did: its outcome and its output. */
  public record Replay(ExecutionOutcome outcome, byte[] stdout, byte[] stderr) {}

  /**
   * Runs a plan once more in a worker process of its own (not one of the executors', which serve the
   * queue), for a requester that checks another node's result ({@code verify: reexecute}). The
   * worker is killed at the job's deadline plus {@code workers.kill-grace}; nothing of the run is
   * kept but what is returned.
   */
  public Replay replay(
      String jobId, dev.plasm.job.JobPlan plan, dev.plasm.engine.spi.Determinism det, byte[] stdin)
      throws IOException, InterruptedException {
    Path dir = AtomicFiles.privateDir(stateDir.resolve("replays")).resolve(jobId);
    AtomicFiles.newPrivateDir(dir);
    WorkerProcess w = null;
    try {
      w =
          WorkerProcess.start(
              launcher.command(DaemonConfig.workerHeapMiB(plan.limits().maxMemoryBytes())),
              stateDir.resolve("logs").resolve("replay.log"),
              plan.limits().maxOutputBytes());
      metrics.workerStarted();
      if (!w.send(
          new WorkerSpec(
              jobId + "-replay",
              modules.path(plan.moduleSha256()).toString(),
              plan,
              det,
              WorkerSpec.Stdin.of(stdin),
              dir.resolve(JobStore.STDOUT).toString(),
              dir.resolve(JobStore.STDERR).toString()))) {
        throw new IOException("the replay worker did not take the job");
      }
      Watchdog.Watch watch =
          watchdog.watch(
              w,
              System.nanoTime()
                  + plan.limits().timeout().plus(config.workers().killGrace()).toNanos());
      WorkerProcess.Event e = w.read();
      watchdog.unwatch(watch);
      if (!(e instanceof WorkerProcess.Replied rep)) {
        throw new IOException("the replay ended without a result");
      }
      WorkerReply reply = rep.reply();
      return new Replay(
          reply.result().outcome(),
          reply.stdout() != null ? reply.stdout() : readAll(dir.resolve(JobStore.STDOUT)),
          reply.stderr() != null ? reply.stderr() : readAll(dir.resolve(JobStore.STDERR)));
    } finally {
      if (w != null) {
        w.kill();
      }
      deleteTree(dir);
    }
  }

  private static byte[] readAll(Path p) throws IOException {
    return Files.isRegularFile(p) ? Files.readAllBytes(p) : new byte[0];
  }

  private static void deleteTree(Path dir) {
    try (var files = Files.walk(dir)) {
      files
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(
              f -> {
                try {
                  Files.deleteIfExists(f);
                } catch (IOException e) {
                  // Best effort: a replay's scratch directory.
                }
              });
    } catch (IOException e) {
      // Nothing there.
    }
  }

  /**
   * Ends a job found running when the daemon started again after a crash: interrupted, with a
   * receipt (the node cannot say how long it ran; the usage says 0).
   */
  public static JobStore.Ended recoverInterrupted(
      NodeReceipts receipts, JobRecord r, JobStore store) {
    Instant now = Instant.now();
    Usage usage;
    try {
      usage =
          new Usage(
              Duration.ZERO,
              0,
              OptionalLong.empty(),
              store.digest(r.id(), JobStore.Part.STDOUT).bytes(),
              store.digest(r.id(), JobStore.Part.STDERR).bytes());
    } catch (IOException e) {
      usage = Usage.NONE;
    }
    ExecutionOutcome.Interrupted o =
        new ExecutionOutcome.Interrupted(
            "the daemon stopped while the job was running; it may have partly run and was not run again",
            usage);
    byte[] receipt;
    try {
      receipt = receipts.issue(r, store, o, r.startedAt() == null ? now : r.startedAt(), now);
    } catch (IOException | RuntimeException e) {
      receipt = null; // the record says there is no receipt; nothing else is lost
    }
    return new JobStore.Ended(
        r.ended(JobState.INTERRUPTED, now, o, o.message(), receipt != null), receipt);
  }

  /**
   * Stops taking jobs, lets running jobs finish for up to {@code workers.shutdown-grace}, kills the
   * workers of those that have not (each ends interrupted, with a receipt), and marks every queued
   * job interrupted (it never ran).
   */
  public void shutdown() {
    stopDeadline = System.nanoTime() + config.workers().shutdownGrace().toNanos();
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
    // The ends the executors decided are on disk before anything still unfinished is ended here.
    for (CompletableFuture<Void> f : List.copyOf(endings)) {
      try {
        f.get(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        // Logged where it failed; the job is then ended below.
      }
    }
    Instant now = Instant.now();
    for (JobRecord r : store.unfinished()) {
      if (r.dispatch() != null && r.state() == JobState.RUNNING) {
        continue; // out on other nodes, which keep running it: asked for again after the restart
        // (RemoteNode.resume)
      }
      try {
        if (r.state() == JobState.QUEUED) {
          store.update(
              r.endedUnrun(
                  JobState.INTERRUPTED,
                  now,
                  "the daemon shut down before the job started; it never ran, submit it again"));
        } else {
          endStarted(
              r,
              new ExecutionOutcome.Interrupted(
                  "the daemon shut down while the job was running", usage(r.id(), -1)),
              r.startedAt(),
              -1);
        }
      } catch (IOException e) {
        log.error("cannot record the job's end", "job", r.id(), "error", e.toString());
      }
    }
  }
}
