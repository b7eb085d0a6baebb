package dev.plasm.host;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Durations;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitExceededException;
import dev.plasm.api.ModuleRejectedException;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.Usage;
import dev.plasm.engine.spi.CompileSettings;
import dev.plasm.engine.spi.CompiledModule;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.engine.spi.ExecutionRequest;
import dev.plasm.engine.spi.Preopen;
import dev.plasm.engine.spi.WasiConfig;
import dev.plasm.engine.spi.WasmEngine;
import dev.plasm.job.JobPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs jobs on engines under hard limits.
 *
 * <p>The engine enforces what its descriptor claims; the sandbox always enforces the module size
 * (before parsing), the output caps (on the streams), and the wall-clock deadline (around compile
 * and run together, by interrupting the guest thread and, if that does not stop it, handing over to
 * the {@link RunawayPolicy}). For engines that cannot cap memory or tables, it caps the maximums
 * declared in the module binary before compiling ({@code ModuleLimits}). Jobs that need a limit
 * nobody can enforce (fuel on an engine without a meter) are refused before they start.
 */
public final class Sandbox {

  /** How long a guest has to stop after it is interrupted at its deadline. */
  public static final Duration STOP_GRACE = Duration.ofMillis(500);

  /** Stack size of guest threads: Chicory's call depth is bounded by the Java stack. */
  public static final long GUEST_STACK_BYTES = 8L << 20;

  /** Share of the JVM's maximum heap that guest memory may use. */
  private static final double HEAP_SHARE = 0.75;

  /**
   * The most linear memory a guest may have in this JVM (engines such as Chicory keep it on the
   * heap), or {@link Long#MAX_VALUE} when the heap is unbounded. Admission caps the memory limit here.
   */
  public static long guestMemoryCap() {
    long heap = Runtime.getRuntime().maxMemory();
    return heap == Long.MAX_VALUE
        ? Long.MAX_VALUE
        : (long) (heap * HEAP_SHARE) / ResourceLimits.PAGE_SIZE * ResourceLimits.PAGE_SIZE;
  }

  /**
   * Modules already capped, in this process (a worker makes a sandbox per job), so that a module run
   * again is not rewritten and hashed again.
   */
  private static final ModuleLimits.Memo CAPPED = new ModuleLimits.Memo(32, 32L << 20);

  private final EngineRegistry registry;
  private final RunawayPolicy runaway;
  private final CompiledModuleCache cache;

  public Sandbox(EngineRegistry registry, RunawayPolicy runaway) {
    this(registry, runaway, null);
  }

  /**
   * A sandbox that reuses compiled modules from {@code cache} (null: compile every time).
   */
  public Sandbox(EngineRegistry registry, RunawayPolicy runaway, CompiledModuleCache cache) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.runaway = Objects.requireNonNull(runaway, "runaway");
    this.cache = cache;
  }

  public EngineRegistry registry() {
    return registry;
  }

  /**
   * Runs a job to its end and returns how it ended. Bad settings throw {@link
   * ConfigurationException}; everything the module or the guest does is an outcome.
   */
  public ExecutionOutcome run(Job job) {
    return execute(job).outcome();
  }

  /**
   * Runs a job on the engine its plan names and returns its outcome with the digests and times a
   * receipt needs. Nothing is chosen here: the plan was made at admission ({@link Admission}).
   */
  public JobResult execute(Job job) {
    JobPlan plan = job.plan();
    EngineInfo info = registry.require(plan.engine().id());
    EngineDescriptor d = info.descriptor();
    List<Preopen> preopens = preopens(job.dirs());
    ResourceLimits limits = plan.limits();
    Instant startedAt = Instant.now();
    StreamDigest moduleDigest = StreamDigest.of(job.module());
    DigestingInputStream in =
        new DigestingInputStream(job.stdin(), limits.get(Limit.STDIN).orElse(Long.MAX_VALUE));
    CappedOutputStream out =
        new CappedOutputStream(job.stdout(), limits.maxOutputBytes(), "stdout");
    CappedOutputStream err =
        new CappedOutputStream(job.stderr(), limits.maxOutputBytes(), "stderr");
    // Every way out of a job reports the same digests and times.
    java.util.function.Function<ExecutionOutcome, JobResult> ended =
        o ->
            new JobResult(
                o,
                d,
                moduleDigest,
                in.result(),
                out.result(),
                err.result(),
                startedAt,
                Instant.now());
    if (!d.version().equals(plan.engine().version())) {
      ExecutionOutcome changed =
          new ExecutionOutcome.Failed(
              "engine '"
                  + d.id()
                  + "' is version "
                  + d.version()
                  + " here, not "
                  + plan.engine().version()
                  + " as when the job was admitted",
              Usage.NONE);
      return ended.apply(changed);
    }
    if (job.module().length > limits.maxModuleBytes()) {
      ExecutionOutcome tooBig =
          new ExecutionOutcome.LimitExceeded(
              Limit.MODULE_SIZE,
              Limit.MODULE_SIZE.over(job.moduleName(), job.module().length, limits.maxModuleBytes())
                  + " ("
                  + Limit.MODULE_SIZE.flag()
                  + ")",
              Usage.NONE);
      return ended.apply(tooBig);
    }
    byte[] module = job.module();
    String moduleSha = moduleDigest.sha256();
    if (!d.enforces(Limit.MEMORY) || !d.enforces(Limit.TABLE)) {
      // The engine cannot cap at run time: cap the module's own declared maximums instead.
      switch (CAPPED.apply(
          job.moduleName(),
          module,
          moduleSha,
          limits,
          !d.enforces(Limit.MEMORY),
          !d.enforces(Limit.TABLE))) {
        case ModuleLimits.Result.Capped c -> {
          module = c.module();
          moduleSha = c.sha256();
        }
        case ModuleLimits.Result.Refused r -> {
          return ended.apply(r.outcome());
        }
      }
    }
    byte[] toCompile = module;
    WasmEngine engine = registry.engine(d.id());
    CompiledModuleCache.Key cacheKey =
        cache == null
            ? null
            : new CompiledModuleCache.Key(
                d.id() + "@" + d.version(), moduleSha, limits.fuel().isPresent());

    List<String> argv = new ArrayList<>();
    argv.add(job.moduleName());
    argv.addAll(plan.args());
    WasiConfig wasi;
    try {
      wasi = new WasiConfig(argv, plan.env(), in, out, err, preopens, job.determinism());
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("env", e.getMessage());
    }
    ExecutionRequest request = new ExecutionRequest(wasi, limits);
    CompileSettings settings = new CompileSettings(limits, limits.fuel().isPresent());

    long start = System.nanoTime();
    GuestThreads.Run<ExecutionOutcome> guest =
        GuestThreads.start(
            () -> compileAndRun(engine, job, toCompile, settings, request, cache, cacheKey));
    CompletableFuture<ExecutionOutcome> result = guest.result;

    ExecutionOutcome outcome;
    try {
      outcome = result.get(limits.timeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      guest.interrupt();
      ExecutionOutcome late = awaitQuietly(result, STOP_GRACE);
      Usage usage = (late == null ? Usage.NONE : late.usage()).withWallTime(elapsed(start));
      usage = usage.withOutput(out.attempted(), err.attempted());
      String message =
          "the job ran past its "
              + Durations.format(limits.timeout())
              + " wall-clock limit ("
              + Limit.WALL_TIME.flag()
              + ")";
      ExecutionOutcome timeout =
          new ExecutionOutcome.LimitExceeded(Limit.WALL_TIME, message, usage);
      flushQuietly(out, err);
      JobResult r = ended.apply(timeout);
      if (late == null) {
        runaway.onRunaway(r, guest.thread());
      }
      return r;
    } catch (InterruptedException e) {
      guest.interrupt();
      Thread.currentThread().interrupt();
      outcome = new ExecutionOutcome.Failed("interrupted while waiting for the job", Usage.NONE);
    } catch (ExecutionException e) {
      outcome =
          new ExecutionOutcome.Failed(
              "engine '" + d.id() + "' failed: " + e.getCause(), Usage.NONE);
    }
    flushQuietly(out, err);
    Usage usage =
        outcome.usage().withWallTime(elapsed(start)).withOutput(out.attempted(), err.attempted());
    if (out.tripped() || err.tripped()) {
      LimitExceededException ex = out.tripped() ? out.exceeded() : err.exceeded();
      outcome = new ExecutionOutcome.LimitExceeded(Limit.OUTPUT, ex.getMessage(), usage);
    } else if (in.tripped()) { // whatever the engine made of the failed read
      outcome = new ExecutionOutcome.LimitExceeded(Limit.STDIN, in.exceeded().getMessage(), usage);
    } else if (!(outcome instanceof ExecutionOutcome.Rejected)) {
      outcome = outcome.withUsage(usage);
    }
    return ended.apply(outcome);
  }

  private static ExecutionOutcome compileAndRun(
      WasmEngine engine,
      Job job,
      byte[] module,
      CompileSettings settings,
      ExecutionRequest request,
      CompiledModuleCache cache,
      CompiledModuleCache.Key cacheKey) {
    CompiledModule compiled;
    try {
      compiled =
          cache == null
              ? engine.compile(module, settings)
              : cache.get(cacheKey, module.length, () -> engine.compile(module, settings));
    } catch (ModuleRejectedException e) {
      return new ExecutionOutcome.Rejected(e.kind(), job.moduleName() + ": " + e.getMessage());
    } catch (OutOfMemoryError e) {
      return new ExecutionOutcome.LimitExceeded(
          Limit.MEMORY, "the host ran out of memory compiling " + job.moduleName(), Usage.NONE);
    } catch (RuntimeException | StackOverflowError e) {
      return new ExecutionOutcome.Failed(
          "engine '"
              + engine.descriptor().id()
              + "' failed compiling "
              + job.moduleName()
              + ": "
              + e,
          Usage.NONE);
    }
    try {
      ExecutionOutcome outcome = compiled.run(request);
      if (outcome instanceof ExecutionOutcome.Rejected r
          && !r.message().startsWith(job.moduleName())) {
        return new ExecutionOutcome.Rejected(r.kind(), job.moduleName() + ": " + r.message());
      }
      return outcome;
    } catch (OutOfMemoryError e) {
      return new ExecutionOutcome.LimitExceeded(
          Limit.MEMORY, "the host ran out of memory running the job", Usage.NONE);
    } catch (RuntimeException | StackOverflowError e) {
      return new ExecutionOutcome.Failed(
          "engine '" + engine.descriptor().id() + "' broke its contract and threw: " + e,
          Usage.NONE);
    }
  }

  private static ExecutionOutcome awaitQuietly(CompletableFuture<ExecutionOutcome> f, Duration d) {
    try {
      return f.get(d.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static void flushQuietly(CappedOutputStream... streams) {
    for (CappedOutputStream s : streams) {
      try {
        s.flush();
      } catch (IOException e) {
        // The reader went away (a closed pipe); the outcome still stands.
      }
    }
  }

  private static Duration elapsed(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  private static List<Preopen> preopens(List<DirMapping> dirs) {
    List<Preopen> result = new ArrayList<>();
    for (DirMapping m : dirs) {
      Path real;
      try {
        real = m.host().toRealPath();
      } catch (NoSuchFileException e) {
        throw new ConfigurationException(
            "--dir", "--dir: " + m.host() + " does not exist; create it or fix the path");
      } catch (IOException e) {
        throw new ConfigurationException(
            "--dir", "--dir: cannot open " + m.host() + ": " + e.getMessage());
      }
      if (!Files.isDirectory(real)) {
        throw new ConfigurationException("--dir", "--dir: " + m.host() + " is not a directory");
      }
      result.add(new Preopen(real, m.guest(), m.readOnly()));
    }
    return result;
  }
}
