package dev.plasm.daemon.internal.worker;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Usage;
import dev.plasm.daemon.internal.store.AtomicFiles;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.WorkerResult;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.host.EngineRegistry;
import dev.plasm.host.Job;
import dev.plasm.host.JobResult;
import dev.plasm.host.ReceiptIssuer;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.host.Sandbox;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.receipt.spi.Receipt;
import dev.plasm.receipt.spi.ReceiptCodec;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;

/**
 * The worker process: runs one job from {@code spec.json} in the sandbox, writes its output,
 * receipt and {@code result.json} into the job's directory, and exits. A guest its engine cannot
 * stop at the deadline is reported and the process halts (exit code {@value #EXIT_RUNAWAY}); the
 * daemon kills a worker that outlives the deadline by its grace, whatever the reason.
 */
public final class WorkerMain {
  public static final int EXIT_OK = 0;
  public static final int EXIT_BAD_SPEC = 2;
  public static final int EXIT_RUNAWAY = 4;
  public static final int EXIT_ORPHANED = 5;

  private WorkerMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: WorkerMain SPEC.json");
      System.exit(EXIT_BAD_SPEC);
    }
    WorkerSpec spec;
    try {
      spec = Json.MAPPER.readValue(Files.readAllBytes(Path.of(args[0])), WorkerSpec.class);
    } catch (IOException | RuntimeException e) {
      System.err.println("plasm worker: cannot read " + args[0] + ": " + e);
      System.exit(EXIT_BAD_SPEC);
      return;
    }
    // A worker never outlives its daemon (kill -9 included): the daemon holds this process's stdin
    // open and never writes to it, so end-of-file means the daemon is gone. The restarted daemon
    // marks the job interrupted.
    Thread.ofPlatform().daemon(true).name("plasm-worker-parent-watch").start(() -> {
      try {
        while (System.in.read() >= 0) {
          // Nothing is ever sent; keep waiting for end-of-file.
        }
      } catch (IOException e) {
        // Treated as end-of-file.
      }
      Runtime.getRuntime().halt(EXIT_ORPHANED);
    });
    System.exit(run(spec));
  }

  static int run(WorkerSpec spec) throws IOException {
    Path dir = Path.of(spec.jobDir());
    byte[] module = Files.readAllBytes(Path.of(spec.modulePath()));
    EngineRegistry registry =
        spec.pluginDirs().isEmpty() ? EngineRegistry.discover(defaultPluginDirs(spec)) : EngineRegistry.discover(
            spec.pluginDirs().stream().map(Path::of).toList());
    Determinism det = spec.deterministic() ? newDeterminism() : null;
    try (InputStream in = Files.newInputStream(dir.resolve(JobStore.STDIN));
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(JobStore.STDOUT)));
        OutputStream err = new BufferedOutputStream(Files.newOutputStream(dir.resolve(JobStore.STDERR)))) {
      Job job = new Job(spec.programName(), module, spec.engine(), spec.args(), spec.env(), in, out, err, List.of(),
          spec.limits().toResourceLimits(), det);
      Sandbox sandbox = new Sandbox(registry, (result, guest) -> {
        // The engine did not stop at the deadline: report it, then end this process (the hard stop).
        try {
          out.flush();
          err.flush();
          finish(spec, dir, job, result);
        } catch (IOException e) {
          System.err.println("plasm worker: " + e);
        }
        Runtime.getRuntime().halt(EXIT_RUNAWAY);
      });
      JobResult result;
      try {
        result = sandbox.execute(job);
      } catch (ConfigurationException e) {
        Instant now = Instant.now();
        writeResult(dir, new WorkerResult(JobRecord.Outcome.of(new ExecutionOutcome.Failed(e.getMessage(), Usage.NONE)),
            JobRecord.UsageRecord.of(Usage.NONE), null, now.toString(), now.toString(), "the job was refused: " + e.getMessage()));
        return EXIT_OK;
      }
      out.flush();
      err.flush();
      finish(spec, dir, job, result);
    }
    return EXIT_OK;
  }

  private static List<Path> defaultPluginDirs(WorkerSpec spec) {
    List<Path> dirs = new java.util.ArrayList<>();
    String image = System.getProperty("plasm.image");
    if (image != null && !image.isBlank()) {
      dirs.add(Path.of(image, "plugins"));
    }
    dirs.add(Path.of(spec.identityDir(), "plugins"));
    return dirs;
  }

  private static void finish(WorkerSpec spec, Path dir, Job job, JobResult result) throws IOException {
    String receiptError = null;
    try {
      NodeIdentity identity = NodeIdentity.loadOrCreate(Path.of(spec.identityDir()));
      Receipt receipt = ReceiptIssuer.issue(job, result, spec.jobId(), spec.nonce(), identity,
          ReceiptSchemes.discover().require(ReceiptSchemes.DEFAULT));
      AtomicFiles.write(dir.resolve(JobStore.RECEIPT), ReceiptCodec.toJson(receipt).getBytes(StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      receiptError = "no receipt: " + e.getMessage();
    }
    writeResult(dir, new WorkerResult(
        JobRecord.Outcome.of(result.outcome()),
        JobRecord.UsageRecord.of(result.outcome().usage()),
        new JobRecord.EngineRef(result.engine().id(), result.engine().version()),
        result.startedAt().toString(), result.finishedAt().toString(), receiptError));
  }

  private static void writeResult(Path dir, WorkerResult r) throws IOException {
    AtomicFiles.write(dir.resolve(JobStore.RESULT), Json.MAPPER.writeValueAsBytes(r));
  }

  private static Determinism newDeterminism() {
    byte[] seed = new byte[32];
    new SecureRandom().nextBytes(seed);
    Instant now = Instant.now();
    return new Determinism(now.getEpochSecond() * 1_000_000L + now.getNano() / 1000, seed);
  }
}
