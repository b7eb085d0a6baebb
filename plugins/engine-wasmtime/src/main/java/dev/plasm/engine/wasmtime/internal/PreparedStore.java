package dev.plasm.engine.wasmtime.internal;

import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.wasi.WasiCtxBuilder;

/**
 * A store with what every run needs made ahead: the WASI host function ({@link
 * WasiFuncs#dispatch}, ~0.1-0.5 ms to create) and an empty wasmtime WASI context for the native
 * clock ({@link WasiShim}). One run at a time binds it; a run that completed gives it back for the
 * next ({@link WasmtimeEngine#releaseStore}), up to {@link #MAX_RUNS} runs and {@link #MAX_PAGES}
 * pages of memory, and then it is disposed.
 *
 * <p>Why reuse: wasmtime-java makes a host function only per store, and wasmtime compiles a
 * trampoline for each with Cranelift (~440 us of CPU per job in a busy worker, the biggest single
 * item of its profile). The cost of reuse is memory: a wasmtime store frees its instances and
 * memories only when it is dropped, so the runs' memories stay mapped until then, hence the caps.
 * A run cannot reach what an earlier run left in the store: a wasm instance sees only what it
 * imports, and every run links its guest to its own new memory and shim instance.
 */
final class PreparedStore {
  /** Most runs one store serves. */
  static final int MAX_RUNS = 16;

  /** Most memory (64 KiB pages, summed over its runs) a store may hold and still be reused. */
  static final long MAX_PAGES = 256;

  final Store<Void> store;
  final Func dispatch;

  /** Runs this store has served, and the memory they left in it; touched by one run at a time. */
  private int runsServed;

  private long pagesHeld;

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
    engine.storeMade();
    return new PreparedStore(engine);
  }

  /** Gives the store's WASI function to a run. */
  void bind(WasiFuncs funcs) {
    run = funcs;
  }

  WasiFuncs run() {
    return run;
  }

  /**
   * Counts a run that ended and left {@code pages} of memory in the store; whether the store may
   * serve another.
   */
  boolean recordRun(long pages) {
    runsServed++;
    pagesHeld += Math.max(0, pages);
    return runsServed < MAX_RUNS && pagesHeld <= MAX_PAGES;
  }

  /** Whether the run about to take this store is the last it will serve. */
  boolean lastRun() {
    return runsServed + 1 >= MAX_RUNS;
  }

  /** Frees the store with everything its runs left in it. */
  void dispose() {
    dispatch.dispose();
    store.dispose();
  }
}
