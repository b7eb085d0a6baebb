package dev.plasm.engine.spi;

import dev.plasm.api.ModuleRejectedException;

/** A ready engine that compiles modules; shared between jobs and threads. */
public interface WasmEngine extends AutoCloseable {

  EngineDescriptor descriptor();

  /**
   * Parses, validates and (where the engine compiles) compiles a module once, so that it can be
   * run many times.
   *
   * <p>Implementations MUST turn every failure caused by the bytes, including runtime exceptions
   * and errors thrown by the decoder, into a {@link ModuleRejectedException} of kind MALFORMED or
   * INVALID; a hostile module must never escape as another throwable.
   *
   * @param wasm the module binary; the host has already checked its size
   * @param settings limits known at compile time (the engine may size caches from them)
   */
  CompiledModule compile(byte[] wasm, CompileSettings settings);

  /** Releases the engine's resources; the default does nothing. */
  @Override
  default void close() {}
}
