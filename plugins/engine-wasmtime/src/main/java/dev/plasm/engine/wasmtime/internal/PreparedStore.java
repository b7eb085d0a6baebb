package dev.plasm.engine.wasmtime.internal;

import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.wasi.WasiCtxBuilder;

/**
 * A store with what every run needs made ahead: the WASI host function ({@link
 * WasiFuncs#dispatch}, ~0.1-0.5 ms to create) and an empty wasmtime WASI context for the native
 * clock ({@link WasiShim}). One run binds it and owns it from then on; the run disposes the store.
 */
final class PreparedStore {
  final Store<Void> store;
  final Func dispatch;

  /**
   * When the WASI context was created ({@link System#nanoTime()}): wasmtime's monotonic clock
   * counts from there, and so must Plasm's WASI of the run.
   */
  final long monotonicOrigin;

  private volatile WasiFuncs run;

  private PreparedStore(WasmtimeEngine engine) {
    monotonicOrigin = System.nanoTime();
    store = new Store<>(null, engine.runEngine(), new WasiCtxBuilder().build());
    dispatch = WasiFuncs.dispatch(store, this);
  }

  static PreparedStore create(WasmtimeEngine engine) {
    return new PreparedStore(engine);
  }

  /** Gives the store's WASI function to a run. */
  void bind(WasiFuncs funcs) {
    run = funcs;
  }

  WasiFuncs run() {
    return run;
  }

  /** Frees a store no run took (the engine is closing). */
  void dispose() {
    dispatch.dispose();
    store.dispose();
  }
}
