package dev.plasm.engine.wasmtime;

import dev.plasm.engine.spi.WasmEngineProvider;
import dev.plasm.engine.tck.WasmEngineTck;

/** The engine TCK on wasmtime. */
class WasmtimeTckTests extends WasmEngineTck {
  @Override
  protected WasmEngineProvider provider() {
    return new WasmtimeEngineProvider();
  }
}
