/**
 * An example engine plugin for docs/plugin-authors.md: the engine {@code example-interpreter}
 * runs modules on the image's {@code chicory-interpreter} and counts the runs it made. It shows
 * the whole path: a provider, a descriptor, compile once and run many, a jar that loads from a
 * plugins directory, and the TCK in its tests.
 */
module dev.plasm.example.engine {
  requires dev.plasm.engine.spi;

  // It finds the engine it wraps through the same service the host uses.
  uses dev.plasm.engine.spi.WasmEngineProvider;

  provides dev.plasm.engine.spi.WasmEngineProvider with
      dev.plasm.example.engine.ExampleEngineProvider;
}
