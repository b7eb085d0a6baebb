package dev.plasm.engine.spi;

/**
 * The entry point of a WebAssembly engine plugin, found with {@link java.util.ServiceLoader}.
 *
 * <p>Implementations MUST have a public no-argument constructor that does no work beyond field
 * initialisation: the host constructs every provider to list engines, including ones the job will
 * not use. Loading native libraries or warming caches belongs in {@link #create(EngineEnvironment)}.
 */
public interface WasmEngineProvider {

  /** The SPI version this interface describes; the host refuses providers built for another. */
  int SPI_VERSION = 1;

  /** Describes the engine; MUST be cheap and MUST return equal values on every call. */
  EngineDescriptor descriptor();

  /** The SPI version the provider was built against; the default is this interface's. */
  default int spiVersion() {
    return SPI_VERSION;
  }

  /**
   * Creates an engine instance. The host calls this once per process and shares the engine
   * between jobs, so the engine MUST be safe to use from several threads at once.
   */
  WasmEngine create();

  /**
   * Creates an engine instance that may keep compiled code in {@code environment}'s cache directory
   * (see {@link EngineEnvironment} for the rules). The host calls this one; the default ignores the
   * environment, which is right for an engine with nothing worth keeping between processes.
   */
  default WasmEngine create(EngineEnvironment environment) {
    return create();
  }
}
