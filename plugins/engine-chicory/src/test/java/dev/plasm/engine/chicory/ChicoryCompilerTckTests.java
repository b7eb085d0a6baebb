package dev.plasm.engine.chicory;

import dev.plasm.engine.spi.WasmEngineProvider;
import dev.plasm.engine.tck.WasmEngineTck;

/** The engine TCK on chicory-compiler. */
class ChicoryCompilerTckTests extends WasmEngineTck {
  @Override
  protected WasmEngineProvider provider() {
    return new ChicoryCompilerProvider();
  }
}
