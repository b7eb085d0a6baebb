package dev.plasm.engine.chicory;

import dev.plasm.api.Limit;
import dev.plasm.engine.spi.Capability;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.engine.spi.ExecutionMode;
import dev.plasm.engine.spi.WasmEngine;
import dev.plasm.engine.spi.WasmEngineProvider;
import java.util.Set;

/**
 * Chicory's run-time compiler: translates each module to JVM bytecode once, so repeated and
 * long-running jobs run many times faster than in the interpreter. It cannot meter fuel.
 */
public final class ChicoryCompilerProvider implements WasmEngineProvider {
  static final EngineDescriptor DESCRIPTOR =
      new EngineDescriptor(
          "chicory-compiler",
          ChicoryEngine.CHICORY_VERSION,
          "Chicory compiler to JVM bytecode: slower start, fast steady state, no fuel",
          ExecutionMode.JVM_BYTECODE,
          Set.of(Limit.MEMORY, Limit.TABLE, Limit.WALL_TIME),
          Set.of(Capability.DETERMINISTIC_WASI));

  @Override
  public EngineDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public WasmEngine create() {
    return new ChicoryEngine(DESCRIPTOR, true);
  }
}
