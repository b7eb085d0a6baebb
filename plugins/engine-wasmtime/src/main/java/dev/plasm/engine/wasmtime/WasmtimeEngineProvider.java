package dev.plasm.engine.wasmtime;

import dev.plasm.api.Limit;
import dev.plasm.engine.spi.Capability;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.engine.spi.EngineEnvironment;
import dev.plasm.engine.spi.ExecutionMode;
import dev.plasm.engine.spi.WasmEngine;
import dev.plasm.engine.spi.WasmEngineProvider;
import dev.plasm.engine.wasmtime.internal.WasmtimeEngine;
import java.util.Set;

/**
 * The {@code wasmtime} engine: wasmtime 7 compiles each module to native code, the fastest engine
 * Plasm has for long jobs.
 *
 * <p>What it enforces itself:
 *
 * <ul>
 *   <li>{@link Limit#MEMORY}: the engine turns the module's own memory into an import and creates
 *       it per run with the run's cap as its maximum, so a larger initial memory is refused before
 *       anything is allocated and {@code memory.grow} returns -1 at the cap.
 *   <li>{@link Limit#WALL_TIME}, only when interruptible ({@value #INTERRUPTIBLE_PROPERTY}{@code
 *       =true}): epoch interruption; a watchdog bumps the engine's epoch when a run's thread is
 *       interrupted, which stops every loop shape within milliseconds. It does not stop a guest
 *       blocked inside a WASI call (e.g. a long {@code poll_oneoff} sleep) or a compilation; the
 *       host's hard deadline covers those. wasmtime-java has one epoch per engine, so an interrupt
 *       also stops the other runs of this engine that are executing wasm at that moment: they end
 *       as {@code Failed}, never with a false outcome.
 * </ul>
 *
 * <p>By default the engine is not interruptible: the epoch checks wasmtime compiles into every
 * function entry and loop back-edge cost 20-40 % of run time (docs/performance.md), and Plasm
 * enforces the deadline around the engine anyway: an interrupted guest stops at its next WASI call,
 * and one that makes none is a runaway that {@code plasm run} ends with its process (exit 124, the
 * same outcome and receipt) and the daemon with its worker. An embedder that runs many jobs in one
 * JVM and cannot end it sets the property (or uses {@link #WasmtimeEngineProvider(boolean)}).
 *
 * <p>Not enforced (the host must enforce them around the engine): tables (wasmtime-java cannot
 * create a table or limit one, so {@code table.grow} is capped only by the module's own maximum)
 * and fuel (not exposed by wasmtime-java).
 *
 * <p>WASI is Plasm's own ({@code dev.plasm.engine.spi.support.wasi}, the same as the Chicory
 * engines'), served in Java: wasmtime-java's WASI (wasmtime 7's, frozen since 2023) opens stdio only
 * from file paths, turns {@code proc_exit} codes of 126 and above into errors, and differs from the
 * WASI test suite in eight places (docs/conformance.md). A deterministic run gets its clocks and
 * {@code random_get} from the recorded {@link dev.plasm.engine.spi.Determinism} ({@link
 * Capability#DETERMINISTIC_WASI}).
 */
public final class WasmtimeEngineProvider implements WasmEngineProvider {
  /** The system property that makes the engine interruptible: {@code true} or not. */
  public static final String INTERRUPTIBLE_PROPERTY = "plasm.wasmtime.interruptible";

  private final boolean interruptible;
  private final EngineDescriptor descriptor;

  /** The engine as the system property {@value #INTERRUPTIBLE_PROPERTY} says (default: not). */
  public WasmtimeEngineProvider() {
    this(Boolean.getBoolean(INTERRUPTIBLE_PROPERTY));
  }

  /** The engine with or without epoch interruption (see the class comment). */
  public WasmtimeEngineProvider(boolean interruptible) {
    this.interruptible = interruptible;
    this.descriptor =
        new EngineDescriptor(
            "wasmtime",
            WasmtimeEngine.WASMTIME_VERSION,
            "wasmtime "
                + WasmtimeEngine.WASMTIME_VERSION
                + " (wasmtime-java "
                + WasmtimeEngine.BINDING_VERSION
                + ", JNI): native code, fastest on long jobs, no fuel"
                + (interruptible ? ", interruptible (epoch checks)" : ""),
            ExecutionMode.NATIVE,
            interruptible ? Set.of(Limit.MEMORY, Limit.WALL_TIME) : Set.of(Limit.MEMORY),
            Set.of(Capability.DETERMINISTIC_WASI));
  }

  @Override
  public EngineDescriptor descriptor() {
    return descriptor;
  }

  /** Loads wasmtime's native library (on first use in the process) and starts an engine. */
  @Override
  public WasmEngine create() {
    return new WasmtimeEngine(descriptor, interruptible);
  }

  /** As {@link #create()}, with wasmtime's compilation cache in the environment's cache directory. */
  @Override
  public WasmEngine create(EngineEnvironment environment) {
    return new WasmtimeEngine(descriptor, interruptible, environment.cacheDirectory());
  }
}
