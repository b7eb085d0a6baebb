package dev.plasm.engine.chicory;

import dev.plasm.engine.spi.WasmEngineProvider;
import dev.plasm.engine.tck.WasmEngineTck;

/** The engine TCK on chicory-interpreter. */
class ChicoryInterpreterTckTests extends WasmEngineTck {
  @Override
  protected WasmEngineProvider provider() {
    return new ChicoryInterpreterProvider();
  }
}
