/**
 * Chicory as two Plasm engines: {@code chicory-interpreter} (fast start, fuel metering) and
 * {@code chicory-compiler} (compiles to JVM bytecode; fast steady state, reliably interruptible).
 * WASI is Plasm's own ({@code dev.plasm.engine.spi.support.wasi}), not Chicory's.
 */
module dev.plasm.engine.chicory {
  requires dev.plasm.engine.spi;
  requires com.dylibso.chicory.runtime;
  requires com.dylibso.chicory.compiler;
  requires com.dylibso.chicory.log;

  provides dev.plasm.engine.spi.WasmEngineProvider with
      dev.plasm.engine.chicory.ChicoryInterpreterProvider,
      dev.plasm.engine.chicory.ChicoryCompilerProvider;
}
