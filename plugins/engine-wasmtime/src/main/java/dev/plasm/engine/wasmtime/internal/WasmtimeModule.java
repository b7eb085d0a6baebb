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
import dev.plasm.engine.spi.support.wasi.GuestInterruptedException;
import dev.plasm.engine.spi.support.wasi.WasiPreview1;
import io.github.kawamuray.wasmtime.Disposable;
import io.github.kawamuray.wasmtime.Extern;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.Instance;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.MemoryType;
import io.github.kawamuray.wasmtime.Module;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.Trap;
import io.github.kawamuray.wasmtime.WasmFunctionError;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A module compiled by wasmtime; each run gets its own memory, instances and WASI, in a store that
 * earlier completed runs may have used ({@link PreparedStore} says why and how far).
 *
 * <p>The guest's imports are resolved here: WASI is Plasm's own ({@link WasiFuncs}, the same as the
 * Chicory engines'), and the memory is the one this run created with its cap.
 */
final class WasmtimeModule implements CompiledModule {
  static final String WASI = "wasi_snapshot_preview1";

  private final WasmtimeEngine engine;
  private final Module module;
  private final WasmBinary.Parsed parsed;

  /** The module's WASI shims ({@link WasiShim}), compiled on first use: [plain, with native clock]. */
  private final Module[] shims = new Module[2];

  WasmtimeModule(WasmtimeEngine engine, Module module, WasmBinary.Parsed parsed) {
    this.engine = engine;
    this.module = module;
    this.parsed = parsed;
  }

  private synchronized Module shim(boolean nativeClock) {
    int i = nativeClock ? 1 : 0;
    if (shims[i] == null) {
      Set<String> names = new HashSet<>();
      for (WasmBinary.Import imp : parsed.imports()) {
        if (imp.module().equals(WASI) && imp.kind() == WasmBinary.KIND_FUNC) {
          names.add(imp.name());
        }
      }
      shims[i] = engine.shim(names, nativeClock);
    }
    return shims[i];
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
          "'_start' must take no parameters and return nothing, but takes "
              + start.params()
              + " and returns "
              + start.results());
    }
    ResourceLimits limits = request.limits();
    WasmBinary.MemoryLimits declared = parsed.memory();
    int cap = limits.maxMemoryPages();
    if (declared != null && declared.minPages() > cap) {
      return new ExecutionOutcome.LimitExceeded(
          Limit.MEMORY,
          "the module asks for "
              + declared.minPages()
              + " pages ("
              + pagesToSize(declared.minPages())
              + ") of initial memory, over the "
              + cap
              + "-page ("
              + pagesToSize(cap)
              + ") cap ("
              + Limit.MEMORY.flag()
              + "); nothing was allocated",
          Usage.NONE);
    }
    if (Thread.currentThread().isInterrupted()) {
      return new ExecutionOutcome.LimitExceeded(
          Limit.WALL_TIME, "the job was stopped at its deadline", Usage.NONE);
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
    private PreparedStore prepared;
    private Store<Void> store;

    /** Set when the run completed: only then may its store serve another run. */
    private boolean completed;

    private EpochWatchdog.Run watched;
    private Memory memory;
    private WasiPreview1 wasi;
    private WasiFuncs funcs;
    private Instance shim;

    private <T extends Disposable> T own(T d) {
      owned.push(d);
      return d;
    }

    ExecutionOutcome execute(ExecutionRequest request, WasmBinary.MemoryLimits declared, int cap) {
      // WASI is Plasm's own (the Chicory engines' too). wasmtime's WASI serves only the clocks of
      // a run that is not deterministic (WasiShim), from a context with nothing else in it.
      boolean nativeClock =
          declared != null
              && request.wasi().determinism() == null
              && parsed.imports().stream()
                  .anyMatch(i -> i.module().equals(WASI) && i.name().equals("clock_time_get"));
      prepared = engine.takeStore();
      store = prepared.store;
      try {
        // Plasm's monotonic clock counts from the store's WASI context, as wasmtime's does, so that
        // poll_oneoff's absolute deadlines (Plasm's) match what the guest reads (wasmtime's).
        wasi = new WasiPreview1(request.wasi(), prepared.monotonicOrigin);
      } catch (IOException e) {
        return new ExecutionOutcome.Failed(
            "cannot preopen a directory: " + WasmtimeEngine.describe(e), Usage.NONE);
      }
      if (engine.watchdog() != null) {
        watched = engine.watchdog().register(store);
      }

      if (declared != null) {
        long max = declared.maxPages() < 0 ? cap : Math.min(declared.maxPages(), cap);
        memory = own(new Memory(store, new MemoryType(declared.minPages(), max, false)));
      }
      funcs = new WasiFuncs(wasi, store, memory, engine.watchdog() == null);
      prepared.bind(funcs);
      List<Extern> shimImports = new ArrayList<>();
      shimImports.add(Extern.fromFunc(prepared.dispatch));
      if (nativeClock) {
        shimImports.add(Extern.fromMemory(memory));
        shimImports.add(
            engine
                .wasiLinker()
                .get(store, WASI, "clock_time_get")
                .map(this::ownFunc)
                .orElseThrow(
                    () -> new IllegalStateException("wasmtime's WASI has no clock_time_get")));
      }
      shim = own(new Instance(store, shim(nativeClock), shimImports));

      List<Extern> imports = new ArrayList<>();
      for (WasmBinary.Import i : parsed.imports()) {
        Extern e = resolve(i);
        if (e == null) {
          return new ExecutionOutcome.Rejected(
              RejectionKind.UNLINKABLE,
              "unlinkable module: unknown import "
                  + i.module()
                  + "::"
                  + i.name()
                  + "; the wasmtime engine provides only WASI preview 1 ("
                  + WASI
                  + ")");
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
        return new ExecutionOutcome.Rejected(
            RejectionKind.NO_ENTRY_POINT, "the module exports no '_start' function");
      }
      try {
        if (parsed.startFunction()) {
          // The module's start function, the last step of instantiation (WasmBinary.START_EXPORT).
          instance.getFunc(store, WasmBinary.START_EXPORT).map(this::own).orElseThrow().call(store);
        }
        entry.call(store);
        return stopped(new ExecutionOutcome.Completed(0, usage()));
      } catch (WasmFunctionError.I32ExitError e) {
        return stopped(new ExecutionOutcome.Completed(e.exitCode(), usage()));
      } catch (WasmFunctionError.TrapError e) {
        return stopped(trapped(e.trap()));
      } catch (RuntimeException e) {
        // A host function failed (a stream, or WASI itself): not a wasm trap.
        return stopped(
            new ExecutionOutcome.Trapped(
                TrapKind.HOST_FUNCTION,
                "a WASI call failed: " + WasmtimeEngine.describe(e),
                usage()));
      }
    }

    /** The outcome, unless the run was stopped from outside: a stream limit or the deadline wins. */
    private ExecutionOutcome stopped(ExecutionOutcome natural) {
      RuntimeException failure = funcs.stop();
      if (failure instanceof GuestInterruptedException) {
        return new ExecutionOutcome.LimitExceeded(
            Limit.WALL_TIME, "the job was stopped at its deadline", usage());
      }
      if (failure instanceof LimitExceededException le) {
        return new ExecutionOutcome.LimitExceeded(le.limit(), le.getMessage(), usage());
      }
      if (failure != null) {
        return new ExecutionOutcome.Failed("a stream of the job failed: " + failure, usage());
      }
      completed = natural instanceof ExecutionOutcome.Completed;
      if (natural instanceof ExecutionOutcome.Trapped t
          && t.message().startsWith(INTERRUPT_MESSAGE)) {
        if (watched != null && watched.stopRequested()) {
          return new ExecutionOutcome.LimitExceeded(
              Limit.WALL_TIME, "the job was stopped at its deadline", usage());
        }
        return new ExecutionOutcome.Failed(
            "wasmtime stopped this run because another run on the same engine was interrupted (wasmtime-java"
                + " has one epoch per engine); the guest did nothing wrong, run it again",
            usage());
      }
      return natural;
    }

    /**
     * Instantiation ran code (active segments, the start function) or failed to link. A trap there
     * is a trap (docs/plugin-authors.md), proc_exit ends the run with its code, and limits and the
     * deadline are what they are later.
     */
    private ExecutionOutcome instantiationFailure(Throwable t) {
      if (t instanceof WasmFunctionError.I32ExitError e) {
        return stopped(new ExecutionOutcome.Completed(e.exitCode(), usage()));
      }
      if (t instanceof WasmFunctionError.TrapError e) {
        return stopped(trapped(e.trap()));
      }
      // wasmtime-java reports other failures of instantiation, traps included, as a message only.
      RuntimeException failure = funcs.stop();
      if (failure != null) {
        return stopped(
            new ExecutionOutcome.Trapped(TrapKind.HOST_FUNCTION, "a WASI call failed", usage()));
      }
      if (watched != null && watched.stopRequested()) {
        return new ExecutionOutcome.LimitExceeded(
            Limit.WALL_TIME, "the job was stopped at its deadline", usage());
      }
      String m = WasmtimeEngine.describe(t);
      String lower = m.toLowerCase(Locale.ROOT);
      if (lower.contains("incompatible import type")
          || lower.contains("unknown import")
          || lower.contains("import") && lower.contains("type")) {
        return new ExecutionOutcome.Rejected(RejectionKind.UNLINKABLE, "unlinkable module: " + m);
      }
      TrapKind kind = trapKind(lower);
      if (kind != null) {
        return new ExecutionOutcome.Trapped(kind, m.lines().findFirst().orElse(m), usage());
      }
      return new ExecutionOutcome.Rejected(
          RejectionKind.UNINSTANTIABLE, "module cannot be instantiated: " + m);
    }

    private ExecutionOutcome trapped(Trap trap) {
      TrapKind kind = trapKind(trap);
      return new ExecutionOutcome.Trapped(
          kind, trap == Trap.INTERRUPT ? INTERRUPT_MESSAGE : trapMessage(trap, kind), usage());
    }

    private Extern resolve(WasmBinary.Import i) {
      if (i.module().equals(WasmBinary.MEMORY_MODULE) && i.name().equals(WasmBinary.MEMORY_NAME)) {
        return Extern.fromMemory(memory);
      }
      if (!i.module().equals(WASI)) {
        return null;
      }
      // Every WASI function is the shim's export of its name (those WASI does not have: none).
      return shim.getFunc(store, i.name()).map(f -> Extern.fromFunc(own(f))).orElse(null);
    }

    private Extern ownFunc(Extern e) {
      own(e.func());
      return e;
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
      long pages = completed ? usage().peakMemoryPages() : 0;
      while (!owned.isEmpty()) {
        owned.pop().dispose();
      }
      if (prepared != null) {
        engine.releaseStore(prepared, completed, pages);
      }
      if (wasi != null) {
        wasi.close(); // the files the guest left open
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

  /** The kind of a trap wasmtime-java reported as text only (during instantiation), or null. */
  static TrapKind trapKind(String lowerCaseMessage) {
    String m = lowerCaseMessage;
    if (m.contains("out of bounds memory access")) {
      return TrapKind.OUT_OF_BOUNDS_MEMORY;
    } else if (m.contains("out of bounds table access") || m.contains("table out of bounds")) {
      return TrapKind.OUT_OF_BOUNDS_TABLE;
    } else if (m.contains("unreachable")) {
      return TrapKind.UNREACHABLE;
    } else if (m.contains("integer divide by zero")) {
      return TrapKind.INTEGER_DIVIDE_BY_ZERO;
    } else if (m.contains("integer overflow")) {
      return TrapKind.INTEGER_OVERFLOW;
    } else if (m.contains("invalid conversion to integer")) {
      return TrapKind.INVALID_CONVERSION;
    } else if (m.contains("indirect call type mismatch")) {
      return TrapKind.INDIRECT_CALL_TYPE_MISMATCH;
    } else if (m.contains("uninitialized element")) {
      return TrapKind.UNINITIALIZED_ELEMENT;
    } else if (m.contains("call stack exhausted")) {
      return TrapKind.STACK_OVERFLOW;
    } else if (m.contains("wasm trap")) {
      return TrapKind.OTHER;
    }
    return null;
  }

  private static String trapMessage(Trap trap, TrapKind kind) {
    return switch (trap) {
      case TABLE_OUT_OF_BOUNDS -> "undefined element: out of bounds table access";
      case HEAP_MISALIGNED -> "misaligned memory access";
      case UNKNOWN, ALWAYS_TRAP_ADAPTER, OUF_OF_FUEL, INTERRUPT ->
          "wasm trap: " + trap.name().toLowerCase(Locale.ROOT);
      default -> kind.id().replace('-', ' ');
    };
  }

  private static String pagesToSize(long pages) {
    return ByteSize.format(pages * ResourceLimits.PAGE_SIZE);
  }
}
