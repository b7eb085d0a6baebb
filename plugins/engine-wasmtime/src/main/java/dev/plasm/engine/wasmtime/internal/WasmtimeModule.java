package dev.plasm.engine.wasmtime.internal;

import dev.plasm.api.ByteSize;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitExceededException;
import dev.plasm.api.RejectionKind;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.TrapKind;
import dev.plasm.api.Usage;
import dev.plasm.engine.spi.CompiledModule;
import dev.plasm.engine.spi.ExecutionRequest;
import dev.plasm.engine.spi.Preopen;
import dev.plasm.engine.spi.WasiConfig;
import io.github.kawamuray.wasmtime.Disposable;
import io.github.kawamuray.wasmtime.Extern;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.Instance;
import io.github.kawamuray.wasmtime.Linker;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.MemoryType;
import io.github.kawamuray.wasmtime.Module;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.Trap;
import io.github.kawamuray.wasmtime.WasmFunctionError;
import io.github.kawamuray.wasmtime.wasi.DirCaps;
import io.github.kawamuray.wasmtime.wasi.FileCaps;
import io.github.kawamuray.wasmtime.wasi.WasiCtx;
import io.github.kawamuray.wasmtime.wasi.WasiCtxBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A module compiled by wasmtime; each run gets a fresh store, WASI context, linker, memory and
 * instance, all freed when the run ends.
 *
 * <p>The guest's imports are resolved here, not by the linker: WASI functions come from a linker
 * with wasmtime's WASI, except {@code fd_read}/{@code fd_write} (the stdio shim), {@code proc_exit}
 * and, in a deterministic run, {@code clock_time_get}/{@code random_get} (Java, {@link
 * HostFunctions}); the memory is the one this run created.
 */
final class WasmtimeModule implements CompiledModule {
  static final String WASI = "wasi_snapshot_preview1";

  /** What a read-only preopen may do: look, read, list; never create, write, rename or remove. */
  private static final Set<DirCaps> READ_ONLY_DIR =
      EnumSet.of(DirCaps.OPEN, DirCaps.READDIR, DirCaps.READLINK, DirCaps.PATH_FILESTAT_GET, DirCaps.FILESTAT_GET);

  private static final Set<FileCaps> READ_ONLY_FILE =
      EnumSet.of(FileCaps.READ, FileCaps.SEEK, FileCaps.TELL, FileCaps.FILESTAT_GET, FileCaps.ADVISE,
          FileCaps.POLL_READWRITE, FileCaps.FDSTAT_SET_FLAGS);

  private final WasmtimeEngine engine;
  private final Module module;
  private final WasmBinary.Parsed parsed;
  private final boolean needsStdioShim;

  WasmtimeModule(WasmtimeEngine engine, Module module, WasmBinary.Parsed parsed) {
    this.engine = engine;
    this.module = module;
    this.parsed = parsed;
    this.needsStdioShim = parsed.imports().stream()
        .anyMatch(i -> i.module().equals(WASI) && (i.name().equals("fd_read") || i.name().equals("fd_write")));
  }

  @Override
  public String engineId() {
    return engine.engineDescriptor().id();
  }

  @Override
  public ExecutionOutcome run(ExecutionRequest request) {
    WasmBinary.StartExport start = parsed.start();
    if (!start.present()) {
      return new ExecutionOutcome.Rejected(
          RejectionKind.NO_ENTRY_POINT,
          "the module exports no '_start' function; build it as a WASI command (e.g. clang --target=wasm32-wasi)");
    }
    if (!start.isCommandEntry()) {
      return new ExecutionOutcome.Rejected(
          RejectionKind.NO_ENTRY_POINT,
          "'_start' must take no parameters and return nothing, but takes " + start.params() + " and returns "
              + start.results());
    }
    ResourceLimits limits = request.limits();
    WasmBinary.MemoryLimits declared = parsed.memory();
    int cap = limits.maxMemoryPages();
    if (declared != null && declared.minPages() > cap) {
      return new ExecutionOutcome.LimitExceeded(
          Limit.MEMORY,
          "the module asks for " + declared.minPages() + " pages (" + pagesToSize(declared.minPages())
              + ") of initial memory, over the " + cap + "-page (" + pagesToSize(cap) + ") cap ("
              + Limit.MEMORY.flag() + "); nothing was allocated",
          Usage.NONE);
    }
    if (Thread.currentThread().isInterrupted()) {
      return new ExecutionOutcome.LimitExceeded(Limit.WALL_TIME, "the job was stopped at its deadline", Usage.NONE);
    }
    try (Run run = new Run()) {
      return run.execute(request, declared, cap);
    } catch (Throwable t) {
      // Only a bug of this engine or the binding gets here; the guest's doings are outcomes above.
      return new ExecutionOutcome.Failed("wasmtime engine error: " + t, Usage.NONE);
    }
  }

  /** The native objects of one run, freed in reverse order of creation, the store last. */
  private final class Run implements AutoCloseable {
    private final Deque<Disposable> owned = new ArrayDeque<>();
    private Store<Void> store;
    private EpochWatchdog.Run watched;
    private Memory memory;
    private HostFunctions host;

    private <T extends Disposable> T own(T d) {
      owned.push(d);
      return d;
    }

    ExecutionOutcome execute(ExecutionRequest request, WasmBinary.MemoryLimits declared, int cap) {
      WasiConfig wasi = request.wasi();
      WasiCtx ctx;
      try {
        ctx = wasiContext(wasi);
      } catch (RuntimeException e) {
        return new ExecutionOutcome.Failed("cannot set up WASI: " + WasmtimeEngine.describe(e), Usage.NONE);
      }
      try {
        addPreopens(ctx, wasi.preopens());
      } catch (RuntimeException e) {
        ctx.dispose();
        return new ExecutionOutcome.Failed("cannot preopen a directory: " + WasmtimeEngine.describe(e), Usage.NONE);
      }
      // The store takes the WASI context over and frees it.
      store = new Store<>(null, engine.runEngine(), ctx);
      watched = engine.watchdog().register(store);

      if (declared != null) {
        long max = declared.maxPages() < 0 ? cap : Math.min(declared.maxPages(), cap);
        memory = own(new Memory(store, new MemoryType(declared.minPages(), max, false)));
      }
      host = new HostFunctions(store, memory != null ? memory : emptyMemory(), request.wasi());

      Linker linker = own(new Linker(engine.runEngine()));
      WasiCtx.addToLinker(linker);

      Instance shim = null;
      if (needsStdioShim) {
        List<Extern> shimImports = List.of(
            Extern.fromMemory(memory != null ? memory : emptyMemory()),
            wasiExtern(linker, "fd_read"),
            wasiExtern(linker, "fd_write"),
            Extern.fromFunc(own(host.stdinRead())),
            Extern.fromFunc(own(host.stdioWrite())));
        shim = own(new Instance(store, engine.stdioShim(), shimImports));
      }

      List<Extern> imports = new ArrayList<>();
      for (WasmBinary.Import i : parsed.imports()) {
        Extern e = resolve(i, linker, shim, wasi);
        if (e == null) {
          return new ExecutionOutcome.Rejected(
              RejectionKind.UNLINKABLE,
              "unlinkable module: unknown import " + i.module() + "::" + i.name()
                  + "; the wasmtime engine provides only WASI preview 1 (" + WASI + ")");
        }
        imports.add(e);
      }

      Instance instance;
      try {
        instance = own(new Instance(store, module, imports));
      } catch (Throwable t) {
        return instantiationFailure(t);
      }
      Func entry = instance.getFunc(store, "_start").map(this::own).orElse(null);
      if (entry == null) {
        return new ExecutionOutcome.Rejected(RejectionKind.NO_ENTRY_POINT, "the module exports no '_start' function");
      }
      try {
        entry.call(store);
        return stopped(new ExecutionOutcome.Completed(0, usage()));
      } catch (WasmFunctionError.I32ExitError e) {
        return stopped(new ExecutionOutcome.Completed(e.exitCode(), usage()));
      } catch (WasmFunctionError.TrapError e) {
        return stopped(trapped(e.trap()));
      } catch (RuntimeException e) {
        // A host function failed (a stream, or WASI itself): not a wasm trap.
        return stopped(new ExecutionOutcome.Trapped(TrapKind.HOST_FUNCTION, "a WASI call failed: " + WasmtimeEngine.describe(e), usage()));
      }
    }

    /** The outcome, unless the run was stopped from outside: a stream limit or the deadline wins. */
    private ExecutionOutcome stopped(ExecutionOutcome natural) {
      RuntimeException failure = host.streamFailure();
      if (failure instanceof LimitExceededException le) {
        return new ExecutionOutcome.LimitExceeded(le.limit(), le.getMessage(), usage());
      }
      if (failure != null) {
        return new ExecutionOutcome.Failed("a stream of the job failed: " + failure, usage());
      }
      if (natural instanceof ExecutionOutcome.Trapped t && t.message().startsWith(INTERRUPT_MESSAGE)) {
        if (watched.stopRequested()) {
          return new ExecutionOutcome.LimitExceeded(Limit.WALL_TIME, "the job was stopped at its deadline", usage());
        }
        return new ExecutionOutcome.Failed(
            "wasmtime stopped this run because another run on the same engine was interrupted (wasmtime-java"
                + " has one epoch per engine); the guest did nothing wrong, run it again",
            usage());
      }
      return natural;
    }

    private ExecutionOutcome instantiationFailure(Throwable t) {
      if (t instanceof WasmFunctionError.I32ExitError e) {
        return stopped(new ExecutionOutcome.Completed(e.exitCode(), usage()));
      }
      if (t instanceof WasmFunctionError.TrapError e) {
        ExecutionOutcome o = stopped(trapped(e.trap()));
        if (o instanceof ExecutionOutcome.Trapped tr) {
          return new ExecutionOutcome.Rejected(
              RejectionKind.UNINSTANTIABLE, "module cannot be instantiated: its start function trapped: " + tr.message());
        }
        return o;
      }
      // wasmtime-java reports other failures of instantiation, traps of the start function
      // included, as a message only.
      RuntimeException failure = host.streamFailure();
      if (failure instanceof LimitExceededException le) {
        return new ExecutionOutcome.LimitExceeded(le.limit(), le.getMessage(), usage());
      }
      if (watched.stopRequested()) {
        return new ExecutionOutcome.LimitExceeded(Limit.WALL_TIME, "the job was stopped at its deadline", usage());
      }
      String m = WasmtimeEngine.describe(t);
      String lower = m.toLowerCase(Locale.ROOT);
      if (lower.contains("incompatible import type") || lower.contains("unknown import") || lower.contains("import")
          && lower.contains("type")) {
        return new ExecutionOutcome.Rejected(RejectionKind.UNLINKABLE, "unlinkable module: " + m);
      }
      return new ExecutionOutcome.Rejected(RejectionKind.UNINSTANTIABLE, "module cannot be instantiated: " + m);
    }

    private ExecutionOutcome trapped(Trap trap) {
      TrapKind kind = trapKind(trap);
      return new ExecutionOutcome.Trapped(kind, trap == Trap.INTERRUPT ? INTERRUPT_MESSAGE : trapMessage(trap, kind), usage());
    }

    private Extern resolve(WasmBinary.Import i, Linker linker, Instance shim, WasiConfig wasi) {
      if (i.module().equals(WasmBinary.MEMORY_MODULE) && i.name().equals(WasmBinary.MEMORY_NAME)) {
        return Extern.fromMemory(memory);
      }
      if (!i.module().equals(WASI)) {
        return null;
      }
      switch (i.name()) {
        case "fd_read", "fd_write" -> {
          return Extern.fromFunc(own(shim.getFunc(store, i.name()).orElseThrow()));
        }
        case "proc_exit" -> {
          return Extern.fromFunc(own(host.procExit()));
        }
        case "clock_time_get" -> {
          if (wasi.determinism() != null) {
            return Extern.fromFunc(own(host.deterministicClock()));
          }
        }
        case "random_get" -> {
          if (wasi.determinism() != null) {
            return Extern.fromFunc(own(host.deterministicRandom()));
          }
        }
        default -> {
          // wasmtime's own WASI below.
        }
      }
      return linker.get(store, i.module(), i.name()).map(this::ownExtern).orElse(null);
    }

    private Extern wasiExtern(Linker linker, String name) {
      return linker.get(store, WASI, name).map(this::ownExtern)
          .orElseThrow(() -> new IllegalStateException("wasmtime's WASI has no " + name));
    }

    private Extern ownExtern(Extern e) {
      switch (e.type()) {
        case FUNC -> own(e.func());
        case MEMORY -> own(e.memory());
        default -> {
          // Tables and globals hold no native handle the binding frees; WASI exports none.
        }
      }
      return e;
    }

    private Memory emptyMemory() {
      if (memory == null) {
        // The shim needs some memory to import; a guest without memory cannot do stdio anyway.
        memory = own(new Memory(store, new MemoryType(0, 0, false)));
      }
      return memory;
    }

    private Usage usage() {
      int pages = 0;
      if (memory != null) {
        try {
          pages = memory.size(store);
        } catch (RuntimeException e) {
          pages = 0;
        }
      }
      return new Usage(Duration.ZERO, pages, OptionalLong.empty(), 0, 0);
    }

    @Override
    public void close() {
      // Stop watching first: the watchdog must never touch a store that is being freed.
      if (watched != null) {
        engine.watchdog().unregister(watched);
      }
      while (!owned.isEmpty()) {
        owned.pop().dispose();
      }
      if (store != null) {
        store.dispose();
      }
    }

    private WasiCtx wasiContext(WasiConfig wasi) {
      WasiCtxBuilder b = new WasiCtxBuilder().args(wasi.args());
      for (var e : wasi.env().entrySet()) {
        b.env(e.getKey(), e.getValue());
      }
      // No stdio paths: wasmtime's defaults (empty stdin, discarded output) stand behind the shim,
      // which serves fds 0-2 from the request's streams.
      return b.build();
    }

    private void addPreopens(WasiCtx ctx, List<Preopen> preopens) {
      int fd = 3;
      for (Preopen p : preopens) {
        Path host = p.hostPath();
        if (p.readOnly()) {
          ctx.insertDir(fd, host, READ_ONLY_DIR, READ_ONLY_FILE, Path.of(p.guestPath()));
        } else {
          ctx.insertDir(fd, host, EnumSet.allOf(DirCaps.class), EnumSet.allOf(FileCaps.class), Path.of(p.guestPath()));
        }
        fd++;
      }
    }
  }

  private static final String INTERRUPT_MESSAGE = "interrupt";

  static TrapKind trapKind(Trap trap) {
    return switch (trap) {
      case UNREACHABLE_CODE_REACHED -> TrapKind.UNREACHABLE;
      case INTEGER_DIVISION_BY_ZERO -> TrapKind.INTEGER_DIVIDE_BY_ZERO;
      case INTEGER_OVERFLOW -> TrapKind.INTEGER_OVERFLOW;
      case BAD_CONVERSION_TO_INTEGER -> TrapKind.INVALID_CONVERSION;
      case MEMORY_OUT_OF_BOUNDS -> TrapKind.OUT_OF_BOUNDS_MEMORY;
      // wasmtime 7 has one code for call_indirect past the table's end and for table.get/set/fill/
      // copy out of bounds; call_indirect is by far the common case.
      case TABLE_OUT_OF_BOUNDS -> TrapKind.UNDEFINED_ELEMENT;
      case INDIRECT_CALL_TO_NULL -> TrapKind.UNINITIALIZED_ELEMENT;
      case BAD_SIGNATURE -> TrapKind.INDIRECT_CALL_TYPE_MISMATCH;
      case STACK_OVERFLOW -> TrapKind.STACK_OVERFLOW;
      default -> TrapKind.OTHER;
    };
  }

  private static String trapMessage(Trap trap, TrapKind kind) {
    return switch (trap) {
      case TABLE_OUT_OF_BOUNDS -> "undefined element: out of bounds table access";
      case HEAP_MISALIGNED -> "misaligned memory access";
      case UNKNOWN, ALWAYS_TRAP_ADAPTER, OUF_OF_FUEL, INTERRUPT -> "wasm trap: " + trap.name().toLowerCase(Locale.ROOT);
      default -> kind.id().replace('-', ' ');
    };
  }

  private static String pagesToSize(long pages) {
    return ByteSize.format(pages * ResourceLimits.PAGE_SIZE);
  }
}
