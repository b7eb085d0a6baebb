/**
 * wasmtime as the Plasm engine {@code wasmtime}: compiles modules to native code through
 * wasmtime-java's JNI binding. Nothing is exported; the provider is found as a service.
 */
// wasmtime-java is an automatic module on the module path (the image links it with a descriptor).
@SuppressWarnings("requires-automatic")
module dev.plasm.engine.wasmtime {
  requires dev.plasm.engine.spi;
  // Named after its jar; jlink/src/main/sh/build-image.sh gives it a descriptor with this name.
  requires wasmtime.java;
  // wasmtime-java logs through slf4j, but an automatic module requires nothing, so nothing else
  // would bring org.slf4j into the module graph (and with it a provider such as org.slf4j.nop).
  requires org.slf4j;

  provides dev.plasm.engine.spi.WasmEngineProvider with
      dev.plasm.engine.wasmtime.WasmtimeEngineProvider;
}
