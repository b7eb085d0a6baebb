package dev.plasm.engine.chicory;

import dev.plasm.api.Limit;
import dev.plasm.engine.spi.Capability;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.engine.spi.ExecutionMode;
import dev.plasm.engine.spi.WasmEngine;
import dev.plasm.engine.spi.WasmEngineProvider;
import java.util.Set;

/**
 * Chicory's interpreter: starts fastest and can meter fuel.
 *
 * <p>It does not claim the wall-clock limit: Chicory 1.7.5's interpreter does not check for
 * interruption on {@code br_if}/{@code br_table} back-edges, so the host must be able to end the
 * process (or worker) that runs it.
 */
public final class ChicoryInterpreterProvider implements WasmEngineProvider {
  static final EngineDescriptor DESCRIPTOR =
      new EngineDescriptor(
          "chicory-interpreter",
          ChicoryEngine.CHICORY_VERSION,
          "Chicory interpreter: quick start, fuel metering, slow steady state",
          ExecutionMode.INTERPRETER,
          Set.of(Limit.MEMORY, Limit.TABLE, Limit.FUEL),
          Set.of(Capability.DETERMINISTIC_WASI));

  @Override
  public EngineDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public WasmEngine create() {
    return new ChicoryEngine(DESCRIPTOR, false);
  }
}
