package dev.plasm.engine.wasmtime.internal;

import dev.plasm.api.ModuleRejectedException;
import dev.plasm.api.RejectionKind;
import dev.plasm.engine.spi.CompileSettings;
import dev.plasm.engine.spi.CompiledModule;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.engine.spi.WasiConfig;
import dev.plasm.engine.spi.WasmEngine;
import dev.plasm.engine.spi.support.wasi.WasiFunction;
import dev.plasm.engine.spi.support.wasi.WasiPreview1;
import io.github.kawamuray.wasmtime.Config;
import io.github.kawamuray.wasmtime.Engine;
import io.github.kawamuray.wasmtime.Linker;
import io.github.kawamuray.wasmtime.Module;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.wasi.WasiCtx;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One wasmtime {@link Engine} (the default 512 KiB wasm stack) shared by all modules it compiles and
 * all their runs.
 *
 * <p>An interruptible engine compiles epoch checks into every function entry and loop back-edge, so
 * that a watchdog can stop a run when its thread is interrupted; they cost 20-40 % of run time
 * (docs/performance.md). Without them (the default) an interrupt stops the guest only at its next
 * WASI call, and the host's deadline ends the process or worker otherwise.
 *
 * <p>wasmtime-java guards every native object with a lock held for the whole of a call, so one Java
 * handle on the engine would make a run's start wait for another thread's compilation, and the
 * watchdog's epoch bump wait too. The engine therefore uses separate handles on the same native
 * engine (wasmtime shares the engine behind them): one to compile, one to create stores, one to bump
 * the epoch.
 */
public final class WasmtimeEngine implements WasmEngine {
  private static final Properties VERSIONS = loadVersions();

  /** The wasmtime version the binding bundles. */
  public static final String WASMTIME_VERSION = VERSIONS.getProperty("wasmtime.version", "unknown");

  /** The wasmtime-java version. */
  public static final String BINDING_VERSION =
      VERSIONS.getProperty("wasmtime-java.version", "unknown");

  private final EngineDescriptor descriptor;
  private final Engine compileEngine;
  private final Engine runEngine;

  /** The epoch watchdog of an interruptible engine; null otherwise. */
  private final EpochWatchdog watchdog;

  private final List<WasiFunction> wasiFunctions;
  private final Linker wasiLinker;

  /** Most stores kept ready for the next runs. */
  private static final int MAX_READY = 2;

  /**
   * Stores for the next runs (guarded by itself): those completed runs gave back first (they are
   * paid for), then one prepared ahead once the engine has run twice.
   */
  private final Deque<PreparedStore> ready = new ArrayDeque<>();

  private final AtomicLong runs = new AtomicLong();
  private final AtomicLong storesMade = new AtomicLong();
  private final ExecutorService preparer =
      Executors.newSingleThreadExecutor(
          r -> Thread.ofPlatform().daemon(true).name("plasm-wasmtime-prepare").unstarted(r));
  private volatile boolean closed;

  public WasmtimeEngine(EngineDescriptor descriptor, boolean interruptible) {
    this(descriptor, interruptible, null);
  }

  /**
   * @param cacheDirectory where wasmtime keeps compiled modules between processes (its own cache,
   *     keyed by the module's bytes and the compiler's settings), or null for none
   */
  public WasmtimeEngine(EngineDescriptor descriptor, boolean interruptible, Path cacheDirectory) {
    this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
    try (Config config = new Config()) {
      config.epochInterruption(interruptible);
      if (cacheDirectory != null) {
        try {
          config.cacheConfigLoad(cacheConfig(cacheDirectory));
        } catch (IOException | RuntimeException e) {
          // A cache that cannot be set up costs a compile per process, nothing else.
        }
      }
      // maxWasmStack stays at wasmtime's 512 KiB: a larger one overflowed the Java thread's own
      // stack on a default-size thread and killed the JVM instead of trapping.
      compileEngine = new Engine(config);
    }
    runEngine = cloneHandle(compileEngine);
    watchdog = interruptible ? new EpochWatchdog(cloneHandle(compileEngine)) : null;
    wasiFunctions = wasiFunctions();
    // wasmtime's own WASI, for its clock only; a Linker is per engine, and gives each store its own
    // functions.
    wasiLinker = new Linker(runEngine);
    WasiCtx.addToLinker(wasiLinker);
  }

  /**
   * Writes wasmtime's cache configuration into {@code dir} and returns its path. wasmtime reads the
   * cache's place from a TOML file only; the file is rewritten when it differs, through a temporary
   * file, so that processes starting together never read half of it. A damaged entry in the cache is
   * compiled again by wasmtime (checked: random bytes, an empty file).
   */
  static Path cacheConfig(Path dir) throws IOException {
    String text =
        "# Written by Plasm's wasmtime engine at every start: edits are lost.\n"
            + "[cache]\n"
            + "enabled = true\n"
            + "directory = "
            // Not dir itself: wasmtime's clean-up deletes files in its directory it did not write.
            + tomlString(dir.resolve("wasmtime").toString())
            + "\n";
    byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Path file = dir.resolve("wasmtime-cache.toml");
    if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
        && Files.size(file) == bytes.length
        && java.util.Arrays.equals(Files.readAllBytes(file), bytes)) {
      return file;
    }
    Path tmp = Files.createTempFile(dir, "wasmtime-cache", ".tmp");
    try {
      Files.write(tmp, bytes);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return file;
  }

  /** A TOML basic string. */
  public static String tomlString(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04X", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  /** The functions of Plasm's WASI, in the order every run's {@link WasiPreview1} has them. */
  private static List<WasiFunction> wasiFunctions() {
    InputStream none = InputStream.nullInputStream();
    OutputStream discard = OutputStream.nullOutputStream();
    try (WasiPreview1 wasi =
        new WasiPreview1(new WasiConfig(List.of(), Map.of(), none, discard, discard, List.of()))) {
      return wasi.functions();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // no preopens: nothing to fail
    }
  }

  @Override
  public EngineDescriptor descriptor() {
    return descriptor;
  }

  @Override
  public CompiledModule compile(byte[] wasm, CompileSettings settings) {
    if (closed) {
      throw new IllegalStateException("the wasmtime engine is closed");
    }
    WasmBinary.Parsed parsed;
    try {
      parsed = WasmBinary.parse(wasm);
    } catch (WasmBinary.Malformed e) {
      throw new ModuleRejectedException(
          RejectionKind.MALFORMED, "malformed module: " + e.getMessage(), e);
    }
    Module module;
    try {
      module = new Module(compileEngine, parsed.bytes());
    } catch (RuntimeException | StackOverflowError e) {
      // The section structure decoded, so wasmtime refused the contents: validation, or a
      // malformed function body. wasmtime-java passes on only wasmtime's outermost message.
      throw new ModuleRejectedException(RejectionKind.INVALID, "invalid module: " + describe(e), e);
    }
    return new WasmtimeModule(this, module, parsed);
  }

  EngineDescriptor engineDescriptor() {
    return descriptor;
  }

  Engine runEngine() {
    return runEngine;
  }

  /**
   * A store for a run, with its WASI host function made: the one a completed run gave back, or one
   * made ahead by a background thread, or (the engine's first run, as in {@code plasm run}, which
   * runs once and exits) a new one. The background thread makes the next store when the one taken
   * will not come back, so that no run waits for wasmtime to compile a host function's trampoline.
   */
  PreparedStore takeStore() {
    PreparedStore taken;
    synchronized (ready) {
      taken = ready.pollFirst();
    }
    PreparedStore store = taken != null ? taken : PreparedStore.create(this);
    if (runs.incrementAndGet() >= 2 && store.lastRun()) {
      prepareNext();
    }
    return store;
  }

  /**
   * Takes back the store of a run that has ended: kept for the next run if the run completed
   * ({@code reusable}) and the store is under its caps ({@link PreparedStore#recordRun}),
   * otherwise disposed (by the background thread, once the engine has run twice). The run has disposed its own handles (instances, memory, functions) first.
   */
  void releaseStore(PreparedStore store, boolean reusable, long pages) {
    store.bind(null);
    if (reusable && store.recordRun(pages)) {
      synchronized (ready) {
        if (!closed && ready.size() < MAX_READY) {
          ready.addFirst(store);
          return;
        }
      }
    }
    if (runs.get() < 2 || closed) {
      store.dispose();
      return;
    }
    // Freeing a store unmaps the memories of all its runs (TLB shootdowns on every core): done on
    // the background thread, off the run's way back to its caller, before the next store is made.
    try {
      preparer.execute(
          () -> {
            store.dispose();
            prepare();
          });
    } catch (RejectedExecutionException e) {
      store.dispose(); // the engine closed meanwhile
    }
  }

  private void prepareNext() {
    if (closed) {
      return;
    }
    try {
      preparer.execute(this::prepare);
    } catch (RejectedExecutionException e) {
      // The engine closed meanwhile: nothing to prepare for.
    }
  }

  /** Counts a store made (for tests: how often a store was not reused). */
  void storeMade() {
    storesMade.incrementAndGet();
  }

  /** Stores made since the engine started, prepared ahead or not. */
  long storesMade() {
    return storesMade.get();
  }

  private void prepare() {
    synchronized (ready) {
      if (closed || !ready.isEmpty()) {
        return;
      }
    }
    PreparedStore s = PreparedStore.create(this);
    synchronized (ready) {
      if (!closed && ready.size() < MAX_READY) {
        ready.addLast(s);
        return;
      }
    }
    s.dispose();
  }

  /** The WASI shim ({@link WasiShim}) of the functions named, with or without wasmtime's native clock. */
  Module shim(Set<String> names, boolean nativeClock) {
    return new Module(compileEngine, WasiShim.build(wasiFunctions, names, nativeClock));
  }

  /** A linker holding wasmtime's own WASI (only its clock is used). */
  Linker wasiLinker() {
    return wasiLinker;
  }

  /** The watchdog, or null when the engine is not interruptible. */
  EpochWatchdog watchdog() {
    return watchdog;
  }

  /**
   * Stops the watchdog. Native engine memory is left to the process: modules compiled by this
   * engine may still be referenced, and freeing the engine under them would crash the JVM.
   */
  @Override
  public void close() {
    closed = true;
    if (watchdog != null) {
      watchdog.close();
    }
    preparer.shutdown();
    try {
      preparer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (ready) {
      for (PreparedStore unused; (unused = ready.pollFirst()) != null; ) {
        unused.dispose();
      }
    }
  }

  static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  /** A second Java handle on the same native engine, with its own lock. */
  private static Engine cloneHandle(Engine engine) {
    try (Store<Void> store = new Store<>(null, engine)) {
      return store.engine();
    }
  }

  private static Properties loadVersions() {
    Properties p = new Properties();
    try (InputStream in = WasmtimeEngine.class.getResourceAsStream("engine.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }
}
