package dev.plasm.host;

import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.engine.spi.WasmEngineProvider;
import java.util.Objects;

/**
 * A registered engine.
 *
 * @param descriptor what the engine declares
 * @param provider its provider
 * @param module the JPMS module that provides it
 * @param source {@code boot} for engines linked into the runtime, else the plugin's path
 */
public record EngineInfo(
    EngineDescriptor descriptor, WasmEngineProvider provider, String module, String source) {
  public EngineInfo {
    Objects.requireNonNull(descriptor, "descriptor");
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(source, "source");
  }
}
