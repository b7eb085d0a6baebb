package dev.plasm.engine.chicory;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.UnlinkableException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
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
import dev.plasm.engine.spi.support.wasi.WasiExitException;
import dev.plasm.engine.spi.support.wasi.WasiPreview1;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/** A parsed (and possibly compiled) module; each run builds a fresh, capped instance. */
final class ChicoryModule implements CompiledModule {
  /** Chicory's memory is one Java array, which holds at most 2 GiB - 64 KiB of pages. */
  static final int MAX_PAGES = 32_767;

  private final String engineId;
  private final WasmModule module;
  private final Function<Instance, Machine> compiledMachine;

  ChicoryModule(String engineId, WasmModule module, Function<Instance, Machine> compiledMachine) {
    this.engineId = engineId;
    this.module = module;
    this.compiledMachine = compiledMachine;
  }

  @Override
  public String engineId() {
    return engineId;
  }

  @Override
  public ExecutionOutcome run(ExecutionRequest request) {
    if (!hasExport("_start")) {
      return new ExecutionOutcome.Rejected(
          RejectionKind.NO_ENTRY_POINT,
          "the module exports no '_start' function; build it as a WASI command (e.g. clang --target=wasm32-wasi)");
    }
    ResourceLimits limits = request.limits();
    AtomicReference<Memory> memory = new AtomicReference<>();
    FuelMeter meter = limits.fuel().isPresent() ? new FuelMeter(limits.fuel().getAsLong()) : null;

    WasiPreview1 wasi;
    try {
      wasi = new WasiPreview1(request.wasi());
    } catch (IOException e) {
      return new ExecutionOutcome.Failed(
          "cannot preopen a directory: " + e.getMessage(), Usage.NONE);
    }
    try (wasi) {
      Instance.Builder builder =
          Instance.builder(module)
              .withStart(false)
              .withImportValues(
                  ImportValues.builder().addFunction(ChicoryWasi.hostFunctions(wasi)).build())
              .withMemoryFactory(l -> cappedMemory(l, limits, memory))
              .withTableFactory((table, init) -> cappedTable(table, init, limits));
      if (compiledMachine != null) {
        builder.withMachineFactory(compiledMachine);
      }
      if (meter != null) {
        builder.withUnsafeExecutionListener(meter);
      }
      Instance instance;
      try {
        instance = builder.build();
      } catch (Throwable t) {
        return instantiationFailure(t, memory, meter);
      }
      ExportFunction start = instance.export("_start");
      FunctionType type = instance.exportType("_start");
      if (!type.params().isEmpty() || !type.returns().isEmpty()) {
        return new ExecutionOutcome.Rejected(
            RejectionKind.NO_ENTRY_POINT,
            "'_start' must take no parameters and return nothing, but has type " + type);
      }
      try {
        start.apply();
        return new ExecutionOutcome.Completed(0, usage(memory, meter));
      } catch (Throwable t) {
        return runFailure(t, memory, meter);
      }
    }
  }

  private boolean hasExport(String name) {
    var exports = module.exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      var e = exports.getExport(i);
      if (e.name().equals(name) && e.exportType() == ExternalType.FUNCTION) {
        return true;
      }
    }
    return false;
  }

  private static Memory cappedMemory(
      MemoryLimits declared, ResourceLimits limits, AtomicReference<Memory> seen) {
    int cap = Math.min(limits.maxMemoryPages(), MAX_PAGES);
    if (declared.initialPages() > cap) {
      throw new LimitExceededException(
          Limit.MEMORY,
          "the module asks for "
              + declared.initialPages()
              + " pages ("
              + pagesToMiB(declared.initialPages())
              + ") of initial memory, over the "
              + cap
              + "-page ("
              + pagesToMiB(cap)
              + ") cap ("
              + Limit.MEMORY.flag()
              + "); nothing was allocated");
    }
    // withMemoryLimits would replace the declared maximum; intersect with the cap instead.
    int max = Math.min(declared.maximumPages(), cap);
    Memory m =
        new ByteArrayMemory(new MemoryLimits(declared.initialPages(), max, declared.shared()));
    seen.set(m);
    return m;
  }

  private static TableInstance cappedTable(Table table, int init, ResourceLimits limits) {
    long cap = limits.maxTableElements();
    TableLimits declared = table.limits();
    if (declared.min() > cap) {
      throw new LimitExceededException(
          Limit.TABLE,
          "the module asks for a table of "
              + declared.min()
              + " elements, over the "
              + cap
              + "-element cap ("
              + Limit.TABLE.flag()
              + ")");
    }
    // A fresh Table per instance: Chicory grows TableLimits in place, which would leak between
    // runs.
    TableLimits capped = new TableLimits(declared.min(), Math.min(declared.max(), cap));
    return new CappedTableInstance(
        new Table(table.elementType(), capped, table.initialize()), init);
  }

  private static String pagesToMiB(long pages) {
    return dev.plasm.api.ByteSize.format(pages * ResourceLimits.PAGE_SIZE);
  }

  private static Usage usage(AtomicReference<Memory> memory, FuelMeter meter) {
    Memory m = memory.get();
    int pages = m == null ? 0 : m.pages();
    OptionalLong fuel = meter == null ? OptionalLong.empty() : OptionalLong.of(meter.consumed());
    return new Usage(Duration.ZERO, pages, fuel, 0, 0);
  }

  private ExecutionOutcome instantiationFailure(
      Throwable t, AtomicReference<Memory> memory, FuelMeter meter) {
    if (find(t, UnlinkableException.class) != null) {
      return new ExecutionOutcome.Rejected(
          RejectionKind.UNLINKABLE, "unlinkable module: " + rootMessage(t));
    }
    if (find(t, InvalidException.class) != null) {
      return new ExecutionOutcome.Rejected(
          RejectionKind.INVALID, "invalid module: " + rootMessage(t));
    }
    // The rest happened while instantiation ran code: an active segment out of bounds or a trap in
    // the start function is a trap (docs/plugin-authors.md), proc_exit there ends the run with its
    // code, and limits and interrupts are what they are later.
    return runFailure(t, memory, meter);
  }

  private ExecutionOutcome runFailure(
      Throwable t, AtomicReference<Memory> memory, FuelMeter meter) {
    Usage usage = usage(memory, meter);
    WasiExitException exit = find(t, WasiExitException.class);
    if (exit != null) {
      return new ExecutionOutcome.Completed(exit.exitCode(), usage);
    }
    LimitExceededException limit = find(t, LimitExceededException.class);
    if (limit != null) {
      return new ExecutionOutcome.LimitExceeded(limit.limit(), limit.getMessage(), usage);
    }
    if (find(t, FuelMeter.Interrupted.class) != null
        || find(t, ChicoryInterruptedException.class) != null
        || find(t, GuestInterruptedException.class) != null
        || t instanceof InterruptedException) {
      return new ExecutionOutcome.LimitExceeded(
          Limit.WALL_TIME, "the job was stopped at its deadline", usage);
    }
    if (find(t, StackOverflowError.class) != null) {
      return new ExecutionOutcome.Trapped(TrapKind.STACK_OVERFLOW, "call stack exhausted", usage);
    }
    if (find(t, OutOfMemoryError.class) != null) {
      return new ExecutionOutcome.LimitExceeded(
          Limit.MEMORY, "the host ran out of memory running the job", usage);
    }
    ChicoryException ce = find(t, ChicoryException.class);
    String message = ce != null ? ChicoryEngine.describe(ce) : t.toString();
    return new ExecutionOutcome.Trapped(trapKind(message), message, usage);
  }

  static TrapKind trapKind(String message) {
    String m = message.toLowerCase(Locale.ROOT);
    if (m.contains("unreachable")) {
      return TrapKind.UNREACHABLE;
    } else if (m.contains("divide by zero")) {
      return TrapKind.INTEGER_DIVIDE_BY_ZERO;
    } else if (m.contains("integer overflow")) {
      return TrapKind.INTEGER_OVERFLOW;
    } else if (m.contains("invalid conversion")) {
      return TrapKind.INVALID_CONVERSION;
    } else if (m.contains("out of bounds memory")) {
      return TrapKind.OUT_OF_BOUNDS_MEMORY;
    } else if (m.contains("out of bounds table")) {
      return TrapKind.OUT_OF_BOUNDS_TABLE;
    } else if (m.contains("undefined element")) {
      return TrapKind.UNDEFINED_ELEMENT;
    } else if (m.contains("uninitialized element")) {
      return TrapKind.UNINITIALIZED_ELEMENT;
    } else if (m.contains("indirect call type mismatch")) {
      return TrapKind.INDIRECT_CALL_TYPE_MISMATCH;
    } else if (m.contains("call stack exhausted")) {
      return TrapKind.STACK_OVERFLOW;
    } else if (m.contains("null")) {
      return TrapKind.NULL_REFERENCE;
    } else if (m.contains("unknown") && m.contains("function")) {
      return TrapKind.HOST_FUNCTION;
    }
    return TrapKind.OTHER;
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return ChicoryEngine.describe(c == t ? t : c);
  }

  private static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }
}
