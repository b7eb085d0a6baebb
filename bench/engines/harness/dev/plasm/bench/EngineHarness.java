package dev.plasm.bench;

import dev.plasm.api.ByteSize;
import dev.plasm.api.Durations;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.ResourceLimits;
import dev.plasm.engine.spi.CompileSettings;
import dev.plasm.engine.spi.CompiledModule;
import dev.plasm.engine.spi.ExecutionRequest;
import dev.plasm.engine.spi.WasiConfig;
import dev.plasm.engine.spi.WasmEngine;
import dev.plasm.host.EngineRegistry;
import dev.plasm.host.Sandbox;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Warm, in-process runs of one module on several engines, interleaved.
 *
 * <pre>
 * EngineHarness --engines ID[,ID...] --expect LINE [--warm N] [--compiles N] [--timeout DURATION]
 *               [--max-memory SIZE] [--plugin-dir DIR]... MODULE.wasm [ARGS...]
 * </pre>
 *
 * <p>For each engine, in the order given: compile once (the cold compile: the first compile of
 * that engine in this JVM; engines listed earlier have already warmed the shared parser). Then
 * {@code 1 + N} rounds, each running the compiled module once on every engine in turn (a fresh
 * instance per run, as {@code CompiledModule.run} specifies); the first round is the cold run, the
 * median of the other {@code N} is the warm time; a full GC follows every run, outside the timed
 * region (wasi-run.mjs does the same for V8). Last, each engine compiles the module {@code
 * --compiles} more times (the warm compile, median). Every run must complete with exit code 0 and
 * print exactly LINE (one line); an engine that fails is dropped from later rounds.
 *
 * <p>Prints one line per engine on stdout, times in milliseconds:
 * {@code ENGINE COMPILE_COLD COMPILE_WARM FIRST_RUN WARM_MEDIAN WARM1,WARM2,... CPU1,CPU2,...} (the
 * CPU time of the guest's thread in each warm run), or
 * {@code ENGINE FAIL REASON}; exits with 1 if any engine failed.
 *
 * <p>Runs are on a platform thread with the stack size {@link Sandbox} gives guests. The harness
 * starts through the image's launcher (run.sh passes it in PLASM_JAVA_OPTS) so that the JVM has
 * exactly the flags of {@code plasm run}; a leading {@code -m dev.plasm.cli/...} is then the
 * launcher's own main class, which is skipped.
 */
public final class EngineHarness {

  private EngineHarness() {}

  public static void main(String[] argv) throws Exception {
    List<String> args = new ArrayList<>(Arrays.asList(argv));
    if (args.size() >= 2 && args.get(0).equals("-m") && args.get(1).startsWith("dev.plasm.cli/")) {
      args.subList(0, 2).clear();
    }
    List<String> engines = null;
    List<Path> pluginDirs = new ArrayList<>();
    String expect = null;
    int warm = 5;
    int compiles = 3;
    Duration timeout = Duration.ofMinutes(10);
    long maxMemory = 1L << 30;
    int i = 0;
    for (; i < args.size() && args.get(i).startsWith("--"); i++) {
      String opt = args.get(i);
      if (i + 1 >= args.size()) {
        usage(opt + " needs a value");
      }
      String value = args.get(++i);
      switch (opt) {
        case "--engines" -> engines = List.of(value.split(","));
        case "--expect" -> expect = value;
        case "--warm" -> warm = positive(opt, value);
        case "--compiles" -> compiles = positive(opt, value);
        case "--timeout" -> timeout = Durations.parse(opt, value);
        case "--max-memory" -> maxMemory = ByteSize.parse(opt, value);
        case "--plugin-dir" -> pluginDirs.add(Path.of(value));
        default -> usage("unknown option " + opt);
      }
    }
    if (engines == null || expect == null || i >= args.size()) {
      usage("--engines, --expect and MODULE.wasm are required");
    }
    Path modulePath = Path.of(args.get(i));
    List<String> guestArgs = args.subList(i + 1, args.size());
    byte[] wasm = Files.readAllBytes(modulePath);
    ResourceLimits limits = ResourceLimits.DEFAULTS.with(Limit.MEMORY, maxMemory)
        .with(Limit.WALL_TIME, timeout.toMillis()).without(Limit.FUEL);
    CompileSettings settings = new CompileSettings(limits, false);
    EngineRegistry registry = dev.plasm.host.Plugins.load(pluginDirs).engines();
    registry.problems().forEach(p -> System.err.println("harness: plugin problem: " + p));

    int n = engines.size();
    WasmEngine[] engine = new WasmEngine[n];
    CompiledModule[] compiled = new CompiledModule[n];
    String[] failure = new String[n];
    double[] compileCold = new double[n];
    double[] first = new double[n];
    double[][] warmTimes = new double[n][warm];
    double[][] warmCpu = new double[n][warm];
    double[][] compileWarm = new double[n][compiles];
    String name = modulePath.getFileName().toString();
    for (int e = 0; e < n; e++) {
      try {
        engine[e] = registry.engine(engines.get(e));
        long s = System.nanoTime();
        compiled[e] = engine[e].compile(wasm, settings);
        compileCold[e] = millis(s);
      } catch (RuntimeException ex) {
        failure[e] = "compiling " + name + " failed: " + ex;
      }
    }
    for (int round = 0; round <= warm; round++) {
      for (int e = 0; e < n; e++) {
        if (failure[e] != null) {
          continue;
        }
        try {
          double[] t = runOnce(compiled[e], name, guestArgs, limits, expect);
          System.gc(); // not timed: the garbage of one run is not charged to the next engine's run
          if (round == 0) {
            first[e] = t[0];
          } else {
            warmTimes[e][round - 1] = t[0];
            warmCpu[e][round - 1] = t[1];
          }
        } catch (BenchFailure ex) {
          failure[e] = ex.getMessage();
        }
      }
    }
    for (int c = 0; c < compiles; c++) {
      for (int e = 0; e < n; e++) {
        if (failure[e] != null) {
          continue;
        }
        long s = System.nanoTime();
        engine[e].compile(wasm, settings);
        compileWarm[e][c] = millis(s);
      }
    }
    int status = 0;
    for (int e = 0; e < n; e++) {
      if (failure[e] != null) {
        System.out.println(engines.get(e) + " FAIL " + failure[e].replace('\n', ' '));
        status = 1;
        continue;
      }
      System.out.println(engines.get(e) + " " + fmt(compileCold[e]) + " " + fmt(median(compileWarm[e])) + " "
          + fmt(first[e]) + " " + fmt(median(warmTimes[e])) + " " + list(warmTimes[e]) + " " + list(warmCpu[e]));
    }
    System.out.flush();
    // A guest thread that never stopped must not keep the JVM alive.
    System.exit(status);
  }

  /** A run that did not complete as expected. */
  private static final class BenchFailure extends Exception {
    private static final long serialVersionUID = 1L;

    BenchFailure(String message) {
      super(message);
    }
  }

  /** Runs one fresh instance on a guest-sized thread; returns its wall and CPU time in ms. */
  private static double[] runOnce(
      CompiledModule module, String name, List<String> guestArgs, ResourceLimits limits, String expect)
      throws InterruptedException, BenchFailure {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> argv = new ArrayList<>();
    argv.add(name);
    argv.addAll(guestArgs);
    WasiConfig wasi = new WasiConfig(argv, Map.of(), new ByteArrayInputStream(new byte[0]), out, err, List.of());
    ExecutionRequest request = new ExecutionRequest(wasi, limits);
    AtomicReference<ExecutionOutcome> outcome = new AtomicReference<>();
    long[] nanos = new long[2];
    Thread guest = Thread.ofPlatform().name("bench-guest").daemon(true).stackSize(Sandbox.GUEST_STACK_BYTES).unstarted(() -> {
      long c = cpuNanos();
      long s = System.nanoTime();
      outcome.set(module.run(request));
      nanos[0] = System.nanoTime() - s;
      nanos[1] = cpuNanos() - c;
    });
    guest.start();
    guest.join(limits.timeout().toMillis());
    if (guest.isAlive()) {
      guest.interrupt();
      throw new BenchFailure(name + " did not finish within " + Durations.format(limits.timeout()));
    }
    String stdout = out.toString(StandardCharsets.UTF_8);
    if (!(outcome.get() instanceof ExecutionOutcome.Completed c) || c.exitCode() != 0) {
      throw new BenchFailure(
          name + " ended with " + outcome.get() + "; stderr: " + err.toString(StandardCharsets.UTF_8).strip());
    } else if (!stdout.equals(expect + "\n")) {
      throw new BenchFailure(name + " printed '" + stdout.strip() + "', expected '" + expect + "'");
    }
    return new double[] {nanos[0] / 1e6, nanos[1] / 1e6};
  }

  /**
   * The CPU time this thread has run, in ns (Linux's schedstat): unlike wall time, it does not grow
   * when others' work takes the CPU, so engines compare on a shared machine too.
   */
  static long cpuNanos() {
    try {
      return Long.parseLong(Files.readString(Path.of("/proc/thread-self/schedstat")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return 0; // not Linux: the CPU column reads 0
    }
  }

  private static String list(double[] values) {
    StringBuilder all = new StringBuilder();
    for (double t : values) {
      all.append(all.isEmpty() ? "" : ",").append(fmt(t));
    }
    return all.toString();
  }

  private static double millis(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e6;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
  }

  private static String fmt(double ms) {
    return String.format(java.util.Locale.ROOT, "%.2f", ms);
  }

  private static int positive(String opt, String value) {
    try {
      int v = Integer.parseInt(value);
      if (v >= 1) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    usage(opt + " needs a positive whole number, not '" + value + "'");
    return 0;
  }

  private static void usage(String problem) {
    System.err.println("harness: " + problem);
    System.err.println("usage: EngineHarness --engines ID[,ID...] --expect LINE [--warm N] [--compiles N]"
        + " [--timeout DURATION] [--max-memory SIZE] [--plugin-dir DIR]... MODULE.wasm [ARGS...]");
    System.exit(64);
  }
}
