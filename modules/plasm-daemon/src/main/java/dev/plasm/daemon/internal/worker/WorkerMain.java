package dev.plasm.daemon.internal.worker;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Usage;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.WorkerResult;
import dev.plasm.host.CompiledModuleCache;
import dev.plasm.host.EngineRegistry;
import dev.plasm.host.Job;
import dev.plasm.host.JobResult;
import dev.plasm.host.Plugins;
import dev.plasm.host.ReceiptIssuer;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.host.Sandbox;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.receipt.spi.Receipt;
import dev.plasm.receipt.spi.ReceiptCodec;
import dev.plasm.receipt.spi.ReceiptScheme;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A worker process: loads the engines, the node identity and the receipt scheme once, then runs
 * jobs one at a time, each given as one {@link WorkerSpec} frame on stdin. For each it answers one
 * {@link WorkerReply} frame on stdout (the protocol stream; everything else the process prints goes
 * to stderr) with the outcome, the output and the signed receipt. It writes nothing to disk, except
 * the output of a job that is large or runs long enough to be followed, which goes to the files the
 * job names ({@link Spool}). Compiled modules are cached by hash across jobs.
 *
 * <p>End-of-file on stdin while idle ends the worker (the daemon retired it); while a job runs it
 * means the daemon died (even by {@code kill -9}), and the worker halts at once rather than finish
 * a job nobody will collect. A guest its engine cannot stop at the deadline is reported (the reply
 * says the worker is halting) and the process halts (exit code {@value #EXIT_RUNAWAY}); the daemon
 * kills a worker that outlives a job's deadline by its grace, whatever the reason, and starts
 * another.
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

  /** A running job's output is spilled to its file once it has run this long, so it can be followed. */
  private static final long SPILL_AFTER_NANOS = 200_000_000L;

  private static final Object IDLE = new Object();

  /** Seconds without a job after which a worker that ran jobs gives back the heap they grew. */
  private static final long IDLE_TRIM_SECONDS = 5;

  private final EngineRegistry registry;
  private final NodeIdentity identity;
  private final ReceiptScheme scheme;
  private final CompiledModuleCache cache;
  private final DataOutputStream protocol;
  private volatile Running current;
  private volatile boolean busy;

  private WorkerMain(
      EngineRegistry registry,
      NodeIdentity identity,
      ReceiptScheme scheme,
      CompiledModuleCache cache,
      DataOutputStream protocol) {
    this.registry = registry;
    this.identity = identity;
    this.scheme = scheme;
    this.cache = cache;
    this.protocol = protocol;
  }

  public static void main(String[] args) throws Exception {
    // Only replies go to the real stdout; a stray print from an engine must not corrupt the
    // protocol.
    DataOutputStream protocol =
        new DataOutputStream(
            new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024));
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
      System.err.println(
          "plasm worker: "
              + e.getMessage()
              + "\nusage: WorkerMain --state DIR [--plugin-dir DIR]... [--module-cache N]");
      System.exit(EXIT_USAGE);
      return;
    }
    Plugins plugins = Plugins.load(Plugins.directories(pluginDirs, state));
    WorkerMain worker =
        new WorkerMain(
            // Compiled modules are kept between workers and restarts (docs/config.md, "Files").
            plugins.engines().withEngineCache(state.resolve("cache").resolve("engines")),
            NodeIdentity.loadOrCreate(state),
            plugins.receiptSchemes().require(ReceiptSchemes.DEFAULT),
            new CompiledModuleCache(cacheEntries, MODULE_CACHE_BYTES),
            protocol);
    worker.serve();
  }

  private void serve() throws InterruptedException, IOException {
    LinkedBlockingQueue<Object> jobs = new LinkedBlockingQueue<>();
    Thread.ofPlatform()
        .daemon(true)
        .name("plasm-worker-stdin")
        .start(
            () -> {
              try (DataInputStream in =
                  new DataInputStream(new BufferedInputStream(System.in, 64 * 1024))) {
                while (true) {
                  jobs.add(WorkerWire.read(in, Integer.MAX_VALUE));
                }
              } catch (IOException e) {
                // End-of-file (or a broken frame, which is as bad).
              }
              if (busy) {
                Runtime.getRuntime().halt(EXIT_ORPHANED); // the daemon is gone mid-job
              }
              jobs.add(IDLE);
            });
    Thread.ofPlatform().daemon(true).name("plasm-worker-flush").start(this::flushLoop);
    synchronized (protocol) {
      WorkerWire.write(protocol, Json.MAPPER.createObjectNode().put("type", WorkerReply.READY));
      protocol.flush();
    }
    boolean ranSinceTrim = false;
    while (true) {
      Object next = jobs.poll(IDLE_TRIM_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
      if (next == null) {
        if (ranSinceTrim) {
          // Idle after work: a full collection, after which the heap shrinks to what is live
          // (-XX:MaxHeapFreeRatio), so that a warm worker waiting for jobs holds little memory.
          System.gc();
          ranSinceTrim = false;
        }
        continue;
      }
      ranSinceTrim = true;
      if (next == IDLE) {
        System.exit(EXIT_OK);
      }
      busy = true;
      WorkerSpec spec;
      try {
        spec = WorkerSpec.of((WorkerWire.Frame) next);
      } catch (RuntimeException e) {
        System.err.println("plasm worker: a frame that is not a job: " + e);
        System.exit(EXIT_USAGE);
        return;
      }
      CompiledModuleCache.Stats before = cache.stats();
      WorkerReply reply;
      try {
        reply = run(spec, before);
      } catch (IOException | RuntimeException e) {
        // The job could not be run here (e.g. its module is unreadable): report it for this job and
        // go on.
        System.err.println("plasm worker: job " + spec.jobId() + ": " + e);
        Instant now = Instant.now();
        String message = "the worker could not run the job: " + e.getMessage();
        reply =
            reply(
                spec,
                before,
                new WorkerResult(
                    new ExecutionOutcome.Failed(message, Usage.NONE), now, now, message),
                new byte[0],
                new byte[0],
                null,
                false);
      }
      send(reply);
      busy = false;
    }
  }

  private void send(WorkerReply reply) throws IOException {
    synchronized (protocol) {
      reply.write(protocol);
      protocol.flush();
    }
  }

  /** Spills and flushes a long-running job's output a few times a second, for {@code GET /v1/jobs/{id}/stdout}. */
  private void flushLoop() {
    while (true) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
      Running r = current;
      if (r != null && System.nanoTime() - r.startNanos() >= SPILL_AFTER_NANOS) {
        try {
          r.out().tick();
          r.err().tick();
        } catch (IOException e) {
          // The job's end reports what it can.
        }
      }
    }
  }

  private record Running(Spool out, Spool err, long startNanos) {}

  private WorkerReply run(WorkerSpec spec, CompiledModuleCache.Stats before) throws IOException {
    byte[] module = Files.readAllBytes(Path.of(spec.modulePath()));
    Spool out = new Spool(Path.of(spec.stdoutFile()));
    Spool err = new Spool(Path.of(spec.stderrFile()));
    try (InputStream in = stdin(spec.stdin())) {
      Job job = new Job(spec.plan(), module, in, out, err, List.of(), spec.determinism());
      Sandbox sandbox =
          new Sandbox(
              registry,
              (result, guest) -> {
                // The engine did not stop at the deadline: report it, then end this process (the
                // hard stop).
                try {
                  send(finish(spec, before, result, out, err, true));
                } catch (IOException | RuntimeException e) {
                  System.err.println("plasm worker: " + e);
                }
                Runtime.getRuntime().halt(EXIT_RUNAWAY);
              },
              cache);
      current = new Running(out, err, System.nanoTime());
      JobResult result;
      try {
        result = sandbox.execute(job);
      } catch (ConfigurationException e) {
        Instant now = Instant.now();
        String message = "the job was refused: " + e.getMessage();
        return reply(
            spec,
            before,
            new WorkerResult(new ExecutionOutcome.Failed(message, Usage.NONE), now, now, message),
            out.finish(),
            err.finish(),
            null,
            false);
      } finally {
        current = null;
      }
      return finish(spec, before, result, out, err, false);
    } catch (IOException | RuntimeException e) {
      out.abandon();
      err.abandon();
      throw e;
    }
  }

  private static InputStream stdin(WorkerSpec.Stdin s) throws IOException {
    if (s.bytes() != null) {
      return new ByteArrayInputStream(s.bytes());
    }
    FileChannel ch = FileChannel.open(Path.of(s.file()), StandardOpenOption.READ);
    ch.position(s.offset());
    return new BufferedInputStream(
        new BoundedInputStream(Channels.newInputStream(ch), s.length()), 64 * 1024);
  }

  /** A stream cut at {@code left} bytes (a region of a file). */
  private static final class BoundedInputStream extends FilterInputStream {
    private long left;

    BoundedInputStream(InputStream in, long length) {
      super(in);
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }

  /** Signs the receipt and ends the output streams: the reply for a job that ran. */
  private WorkerReply finish(
      WorkerSpec spec,
      CompiledModuleCache.Stats before,
      JobResult result,
      Spool out,
      Spool err,
      boolean halting)
      throws IOException {
    String receiptError = null;
    byte[] receipt = null;
    try {
      Receipt r =
          ReceiptIssuer.issue(
              spec.plan(), spec.determinism(), result, spec.jobId(), identity, scheme);
      receipt = ReceiptCodec.toJson(r).getBytes(StandardCharsets.UTF_8);
    } catch (RuntimeException e) {
      receiptError = "no receipt: " + e.getMessage();
    }
    return reply(
        spec,
        before,
        new WorkerResult(result.outcome(), result.startedAt(), result.finishedAt(), receiptError),
        out.finish(),
        err.finish(),
        receipt,
        halting);
  }

  private WorkerReply reply(
      WorkerSpec spec,
      CompiledModuleCache.Stats before,
      WorkerResult result,
      byte[] stdout,
      byte[] stderr,
      byte[] receipt,
      boolean halting) {
    CompiledModuleCache.Stats after = cache.stats();
    return new WorkerReply(
        spec.jobId(),
        result,
        residentBytes(),
        after.hits() - before.hits(),
        after.misses() - before.misses(),
        stdout,
        stderr,
        receipt,
        halting);
  }

  /** This process's resident set size from /proc, or -1 where there is none. */
  static long residentBytes() {
    return Rss.of(ProcessHandle.current().pid());
  }
}
