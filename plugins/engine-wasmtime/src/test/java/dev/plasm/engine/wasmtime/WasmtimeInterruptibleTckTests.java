package dev.plasm.engine.wasmtime;

import dev.plasm.engine.spi.WasmEngineProvider;
import dev.plasm.engine.tck.WasmEngineTck;

/** The TCK on the interruptible engine (epoch checks compiled in): it claims the wall-time limit. */
class WasmtimeInterruptibleTckTests extends WasmEngineTck {
  @Override
  protected WasmEngineProvider provider() {
    return new WasmtimeEngineProvider(true);
  }
}
