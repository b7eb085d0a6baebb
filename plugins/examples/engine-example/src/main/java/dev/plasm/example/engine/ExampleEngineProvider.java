package dev.plasm.example.engine;

import dev.plasm.api.EngineException;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.engine.spi.CompileSettings;
import dev.plasm.engine.spi.CompiledModule;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.engine.spi.ExecutionMode;
import dev.plasm.engine.spi.ExecutionRequest;
import dev.plasm.engine.spi.WasmEngine;
import dev.plasm.engine.spi.WasmEngineProvider;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The example engine {@code example-interpreter}: Chicory's interpreter under another id.
 *
 * <p>A real engine implements {@link WasmEngine#compile} and {@link CompiledModule#run} itself
 * (see plugins/engine-chicory); this one delegates so that the example stays short and shows only
 * what every plugin needs.
 */
public final class ExampleEngineProvider implements WasmEngineProvider {
  static final String DELEGATE = "chicory-interpreter";

  // The constructor does nothing: the host constructs every provider just to list engines.
  public ExampleEngineProvider() {}

  @Override
  public EngineDescriptor descriptor() {
    // The same limits and capabilities as the wrapped engine, under this plugin's id and version.
    EngineDescriptor d = delegate().descriptor();
    return new EngineDescriptor(
        "example-interpreter",
        "0.1.0+" + d.id() + "-" + d.version(),
        "Example plugin: " + d.description(),
        ExecutionMode.INTERPRETER,
        d.enforcedLimits(),
        d.capabilities());
  }

  @Override
  public WasmEngine create() {
    WasmEngine inner = delegate().create();
    EngineDescriptor self = descriptor();
    AtomicLong runs = new AtomicLong();
    return new WasmEngine() {
      @Override
      public EngineDescriptor descriptor() {
        return self;
      }

      @Override
      public CompiledModule compile(byte[] wasm, CompileSettings settings) {
        CompiledModule compiled = inner.compile(wasm, settings);
        return new CompiledModule() {
          @Override
          public String engineId() {
            return self.id();
          }

          @Override
          public ExecutionOutcome run(ExecutionRequest request) {
            runs.incrementAndGet();
            return compiled.run(request);
          }
        };
      }

      @Override
      public void close() {
        inner.close();
      }

      @Override
      public String toString() {
        return self.id() + " (" + runs.get() + " runs)";
      }
    };
  }

  private static WasmEngineProvider delegate() {
    // The boot layer holds the engines linked into the image; this plugin's own layer sits above
    // it.
    ModuleLayer layer = ExampleEngineProvider.class.getModule().getLayer();
    ServiceLoader<WasmEngineProvider> loader =
        layer == null
            ? ServiceLoader.load(WasmEngineProvider.class)
            : ServiceLoader.load(layer, WasmEngineProvider.class);
    for (WasmEngineProvider p : loader) {
      if (!(p instanceof ExampleEngineProvider) && p.descriptor().id().equals(DELEGATE)) {
        return p;
      }
    }
    throw new EngineException(
        "example-interpreter needs the engine " + DELEGATE + ", which is not installed");
  }
}
