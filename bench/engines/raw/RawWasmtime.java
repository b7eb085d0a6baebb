package dev.plasm.bench.raw;

import io.github.kawamuray.wasmtime.Engine;
import io.github.kawamuray.wasmtime.Extern;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.ImportType;
import io.github.kawamuray.wasmtime.Instance;
import io.github.kawamuray.wasmtime.Linker;
import io.github.kawamuray.wasmtime.Module;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.WasmFunctionError;
import io.github.kawamuray.wasmtime.wasi.WasiCtx;
import io.github.kawamuray.wasmtime.wasi.WasiCtxBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The engine benchmark's baseline for Plasm's {@code wasmtime} engine: the same wasmtime-java
 * (0.19.0, wasmtime 7.0.1) with its default settings, on a plain JVM with default flags, running a
 * WASI command the way the binding's own examples do (wasmtime's WASI, stdio inherited). No limits,
 * no deadline, no sandbox beyond WASI's. Not part of the product; bench/engines/run.sh compiles it
 * against the binding's jar.
 *
 * <pre>
 * RawWasmtime MODULE.wasm [ARGS...]                 one run: the guest's stdout and exit code
 * RawWasmtime --warm N --compiles C --expect LINE MODULE.wasm [ARGS...]
 *     compile once (cold), run 1 + N times on fresh stores, compile C more times (warm); prints
 *     "wasmtime-java COLD WARM_COMPILE FIRST WARM_MEDIAN W1,W2,... CPU1,CPU2,..." (ms) like the
 *     Plasm harness
 * </pre>
 *
 * <p>The only setting changed from the binding's defaults is where its native library comes from:
 * {@code -Djava.library.path} points at the one extracted in the image, as Plasm's launcher does,
 * because the binding would otherwise copy 18 MB to /tmp on every start (and never delete it).
 */
public final class RawWasmtime {
  private RawWasmtime() {}

  public static void main(String[] argv) throws Exception {
    List<String> args = new ArrayList<>(Arrays.asList(argv));
    int warm = -1;
    int compiles = 1;
    String expect = null;
    while (!args.isEmpty() && args.get(0).startsWith("--")) {
      String opt = args.remove(0);
      String value = args.remove(0);
      switch (opt) {
        case "--warm" -> warm = Integer.parseInt(value);
        case "--compiles" -> compiles = Integer.parseInt(value);
        case "--expect" -> expect = value;
        default -> throw new IllegalArgumentException("unknown option " + opt);
      }
    }
    Path modulePath = Path.of(args.get(0));
    List<String> guestArgs = new ArrayList<>(args);
    guestArgs.set(0, modulePath.getFileName().toString());
    byte[] wasm = Files.readAllBytes(modulePath);
    try (Engine engine = new Engine()) {
      if (warm < 0) {
        try (Module module = new Module(engine, wasm)) {
          System.exit(run(engine, module, guestArgs, null));
        }
      }
      long s = System.nanoTime();
      Module module = new Module(engine, wasm);
      double cold = millis(s);
      Path out = Files.createTempFile("wasmtime-java-stdout", ".txt");
      double[] times = new double[warm + 1];
      double[] cpu = new double[warm + 1];
      try {
        for (int i = 0; i <= warm; i++) {
          Files.write(out, new byte[0]);
          long c = cpuNanos();
          long t = System.nanoTime();
          int code = run(engine, module, guestArgs, out);
          times[i] = millis(t);
          cpu[i] = (cpuNanos() - c) / 1e6;
          String printed = Files.readString(out, StandardCharsets.UTF_8);
          if (code != 0 || !printed.equals(expect + "\n")) {
            System.out.println("wasmtime-java FAIL exit " + code + ", printed '" + printed.strip() + "'");
            System.exit(1);
          }
          System.gc(); // as the Plasm harness and wasi-run.mjs do: not timed
        }
      } finally {
        Files.deleteIfExists(out);
      }
      double[] compileTimes = new double[compiles];
      for (int c = 0; c < compiles; c++) {
        long t = System.nanoTime();
        new Module(engine, wasm).close();
        compileTimes[c] = millis(t);
      }
      double[] warmTimes = Arrays.copyOfRange(times, 1, times.length);
      System.out.println("wasmtime-java " + fmt(cold) + " " + fmt(median(compileTimes)) + " " + fmt(times[0]) + " "
          + fmt(median(warmTimes)) + " " + list(warmTimes) + " " + list(Arrays.copyOfRange(cpu, 1, cpu.length)));
      module.close();
    }
  }

  /** Instantiates with wasmtime's WASI and calls {@code _start}; stdout to {@code out} or inherited. */
  private static int run(Engine engine, Module module, List<String> args, Path out) {
    WasiCtxBuilder b = new WasiCtxBuilder().args(args).inheritStdin().inheritStderr();
    WasiCtx ctx = out == null ? b.inheritStdout().build() : b.stdout(out).build();
    try (Store<Void> store = new Store<>(null, engine, ctx); Linker linker = new Linker(engine)) {
      WasiCtx.addToLinker(linker);
      // Linker.module() would instantiate lazily on every call; resolve the imports instead.
      List<Extern> imports = new ArrayList<>();
      for (ImportType i : module.imports()) {
        imports.add(linker.get(store, i.module(), i.name())
            .orElseThrow(() -> new IllegalStateException("unknown import " + i.module() + "::" + i.name())));
      }
      try (Instance instance = new Instance(store, module, imports)) {
        Func start = instance.getFunc(store, "_start").orElseThrow();
        try {
          start.call(store);
          return 0;
        } catch (WasmFunctionError.I32ExitError e) {
          return e.exitCode();
        }
      }
    }
  }

  /** The CPU time this thread has run, in ns (Linux's schedstat), as the Plasm harness measures it. */
  private static long cpuNanos() {
    try {
      return Long.parseLong(Files.readString(Path.of("/proc/thread-self/schedstat")).split(" ")[0]);
    } catch (java.io.IOException | RuntimeException e) {
      return 0;
    }
  }

  private static String list(double[] values) {
    StringBuilder all = new StringBuilder();
    for (double t : values) {
      all.append(all.isEmpty() ? "" : ",").append(fmt(t));
    }
    return all.toString();
  }

  private static double millis(long start) {
    return (System.nanoTime() - start) / 1e6;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
  }

  private static String fmt(double ms) {
    return String.format(Locale.ROOT, "%.2f", ms);
  }
}
