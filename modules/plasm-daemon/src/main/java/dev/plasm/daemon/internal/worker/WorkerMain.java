package dev.plasm.daemon.internal.worker;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Usage;
import dev.plasm.daemon.internal.store.AtomicFiles;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.WorkerResult;
import dev.plasm.host.CompiledModuleCache;
import dev.plasm.host.EngineRegistry;
import dev.plasm.host.Plugins;
import dev.plasm.host.Job;
import dev.plasm.host.JobResult;
import dev.plasm.host.ReceiptIssuer;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.host.Sandbox;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.receipt.spi.Receipt;
import dev.plasm.receipt.spi.ReceiptCodec;
import dev.plasm.receipt.spi.ReceiptScheme;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A worker process: loads the engines, the node identity and the receipt scheme once, then runs
 * jobs one at a time, each given as one line of JSON ({@link WorkerSpec}) on stdin. For each it
 * writes the job's output, receipt and {@code result.json} into the job's directory and then one
 * {@link WorkerReply} line on stdout (the protocol stream; everything else the process prints goes
 * to stderr). Compiled modules are cached by hash across jobs.
 *
 * <p>End-of-file on stdin while idle ends the worker (the daemon retired it); while a job runs it
 * means the daemon died (even by {@code kill -9}), and the worker halts at once rather than finish
 * a job nobody will collect. A guest its engine cannot stop at the deadline is reported and the
 * process halts (exit code {@value #EXIT_RUNAWAY}); the daemon kills a worker that outlives a job's
 * deadline by its grace, whatever the reason, and starts another.
 *
 * <p>Usage: {@code WorkerMain --state DIR [--plugin-dir DIR]... [--module-cache N]}.
 */
public final class WorkerMain {
  public static final int EXIT_OK = 0;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_RUNAWAY = 4;
  public static final int EXIT_ORPHANED = 5;

  /** Cached compiled modules are bounded by their binaries' total size as well as by count. */
  private static final long MODULE_CACHE_BYTES = 256L << 20;

  private static final Object IDLE = new Object();

  private final EngineRegistry registry;
  private final NodeIdentity identity;
  private final ReceiptScheme scheme;
  private final CompiledModuleCache cache;
  private volatile Flushable current;
  private volatile boolean busy;

  private WorkerMain(EngineRegistry registry, NodeIdentity identity, ReceiptScheme scheme, CompiledModuleCache cache) {
    this.registry = registry;
    this.identity = identity;
    this.scheme = scheme;
    this.cache = cache;
  }

  public static void main(String[] args) throws Exception {
    // Only replies go to the real stdout; a stray print from an engine must not corrupt the protocol.
    PrintStream protocol = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    System.setOut(System.err);
    Path state = null;
    List<Path> pluginDirs = new ArrayList<>();
    int cacheEntries = 64;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--state" -> state = Path.of(args[++i]);
          case "--plugin-dir" -> pluginDirs.add(Path.of(args[++i]));
          case "--module-cache" -> cacheEntries = Integer.parseInt(args[++i]);
          default -> throw new IllegalArgumentException("unknown argument " + args[i]);
        }
      }
      if (state == null || cacheEntries < 0) {
        throw new IllegalArgumentException("--state is required and --module-cache must be >= 0");
      }
    } catch (RuntimeException e) {
      System.err.println("plasm worker: " + e.getMessage()
          + "\nusage: WorkerMain --state DIR [--plugin-dir DIR]... [--module-cache N]");
      System.exit(EXIT_USAGE);
      return;
    }
    if (pluginDirs.isEmpty()) {
      pluginDirs = Plugins.defaultDirectories(state);
    }
    Plugins plugins = Plugins.load(pluginDirs);
    WorkerMain worker = new WorkerMain(plugins.engines(), NodeIdentity.loadOrCreate(state),
        plugins.receiptSchemes().require(ReceiptSchemes.DEFAULT), new CompiledModuleCache(cacheEntries, MODULE_CACHE_BYTES));
    worker.serve(protocol);
  }

  private void serve(PrintStream protocol) throws InterruptedException {
    LinkedBlockingQueue<Object> jobs = new LinkedBlockingQueue<>();
    Thread.ofPlatform().daemon(true).name("plasm-worker-stdin").start(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          jobs.add(line);
        }
      } catch (IOException e) {
        // Treated as end-of-file.
      }
      if (busy) {
        Runtime.getRuntime().halt(EXIT_ORPHANED); // the daemon is gone mid-job
      }
      jobs.add(IDLE);
    });
    Thread.ofPlatform().daemon(true).name("plasm-worker-flush").start(this::flushLoop);
    protocol.println(WorkerReply.READY);
    protocol.flush();
    while (true) {
      Object next = jobs.take();
      if (next == IDLE) {
        System.exit(EXIT_OK);
      }
      busy = true;
      WorkerSpec spec;
      try {
        spec = WorkerSpec.parse((String) next);
      } catch (RuntimeException e) {
        System.err.println("plasm worker: a job line that is not a job: " + e.getMessage());
        System.exit(EXIT_USAGE);
        return;
      }
      CompiledModuleCache.Stats before = cache.stats();
      try {
        run(spec);
      } catch (IOException | RuntimeException e) {
        // The job's directory is unusable (e.g. the disk is full): report it for this job and go on.
        System.err.println("plasm worker: job " + spec.jobId() + ": " + e);
        try {
          writeFailure(Path.of(spec.jobDir()), "the worker could not run the job: " + e.getMessage());
        } catch (IOException | RuntimeException again) {
          System.err.println("plasm worker: job " + spec.jobId() + ": cannot write its result: " + again);
        }
      }
      CompiledModuleCache.Stats after = cache.stats();
      protocol.println(Json.LINE.writeValueAsString(new WorkerReply(spec.jobId(), residentBytes(),
          after.hits() - before.hits(), after.misses() - before.misses())));
      protocol.flush();
      busy = false;
    }
  }

  /** Makes a running job's output visible to {@code GET /v1/jobs/{id}/stdout} a few times a second. */
  private void flushLoop() {
    while (true) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
      Flushable f = current;
      if (f != null) {
        f.flushQuietly();
      }
    }
  }

  private record Flushable(OutputStream out, OutputStream err) {
    void flushQuietly() {
      try {
        out.flush();
        err.flush();
      } catch (IOException e) {
        // The job's end flushes again and reports real errors.
      }
    }
  }

  private void run(WorkerSpec spec) throws IOException {
    Path dir = Path.of(spec.jobDir());
    byte[] module = Files.readAllBytes(Path.of(spec.modulePath()));
    try (InputStream in = stdin(dir);
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(JobStore.STDOUT)));
        OutputStream err = new BufferedOutputStream(Files.newOutputStream(dir.resolve(JobStore.STDERR)))) {
      Job job = new Job(spec.plan(), module, in, out, err, List.of(), spec.determinism());
      Sandbox sandbox = new Sandbox(registry, (result, guest) -> {
        // The engine did not stop at the deadline: report it, then end this process (the hard stop).
        try {
          out.flush();
          err.flush();
          finish(spec, dir, result);
        } catch (IOException | RuntimeException e) {
          System.err.println("plasm worker: " + e);
        }
        Runtime.getRuntime().halt(EXIT_RUNAWAY);
      }, cache);
      current = new Flushable(out, err);
      JobResult result;
      try {
        result = sandbox.execute(job);
      } catch (ConfigurationException e) {
        writeFailure(dir, "the job was refused: " + e.getMessage());
        return;
      } finally {
        current = null;
      }
      out.flush();
      err.flush();
      finish(spec, dir, result);
    }
  }

  private static InputStream stdin(Path dir) throws IOException {
    try {
      return Files.newInputStream(dir.resolve(JobStore.STDIN));
    } catch (NoSuchFileException e) {
      return InputStream.nullInputStream(); // no stdin was given
    }
  }

  private static void writeFailure(Path dir, String message) throws IOException {
    Instant now = Instant.now();
    writeResult(dir, new WorkerResult(new ExecutionOutcome.Failed(message, Usage.NONE), now, now, message));
  }


  private void finish(WorkerSpec spec, Path dir, JobResult result) throws IOException {
    String receiptError = null;
    try {
      Receipt receipt = ReceiptIssuer.issue(spec.plan(), spec.determinism(), result, spec.jobId(), identity, scheme);
      // result.json's write, next in this directory, forces this rename too.
      AtomicFiles.write(dir.resolve(JobStore.RECEIPT), ReceiptCodec.toJson(receipt).getBytes(StandardCharsets.UTF_8), false);
    } catch (RuntimeException e) {
      receiptError = "no receipt: " + e.getMessage();
    }
    writeResult(dir, new WorkerResult(result.outcome(), result.startedAt(), result.finishedAt(), receiptError));
  }

  private static void writeResult(Path dir, WorkerResult r) throws IOException {
    AtomicFiles.write(dir.resolve(JobStore.RESULT), r.toJson());
  }

  /** This process's resident set size from /proc, or -1 where there is none. */
  static long residentBytes() {
    return Rss.of(ProcessHandle.current().pid());
  }
}
