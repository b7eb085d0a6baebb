package dev.plasm.example.engine;

import dev.plasm.engine.spi.WasmEngineProvider;
import dev.plasm.engine.tck.WasmEngineTck;

/** The whole engine TCK against the example plugin: this class is all a plugin author writes. */
class ExampleEngineTckTests extends WasmEngineTck {
  @Override
  protected WasmEngineProvider provider() {
    return new ExampleEngineProvider();
  }
}
