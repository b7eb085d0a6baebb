package dev.plasm.engine.wasmtime.internal;

import io.github.kawamuray.wasmtime.Engine;
import io.github.kawamuray.wasmtime.Store;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns "the run's thread was interrupted" into a wasmtime epoch bump, which traps the running wasm at its next loop back-edge or function
 * entry.
 *
 * <p>A thread inside native code cannot see its own interrupt, and wasmtime-java offers neither an
 * epoch callback nor a way to change a running store's deadline (the store's lock is held by the
 * running call), so one daemon thread polls the registered runs every {@value #POLL_MS} ms while
 * there are any. Every store gets the deadline "current epoch + 1"; a bump therefore also stops the
 * other runs of the engine that are in wasm at that moment, which {@link Run#stopRequested()} lets
 * them tell apart.
 */
final class EpochWatchdog implements AutoCloseable {
  static final int POLL_MS = 5;

  /** One registered run. */
  static final class Run {
    private final Thread thread;
    private volatile boolean stopRequested;

    Run(Thread thread) {
      this.thread = thread;
    }

    /** Whether the watchdog bumped the epoch for this run. */
    boolean stopRequested() {
      return stopRequested;
    }
  }

  private final Engine epochEngine;
  private final List<Run> runs = new ArrayList<>();
  private Thread thread;
  private boolean closed;

  EpochWatchdog(Engine epochEngine) {
    this.epochEngine = epochEngine;
  }

  /** Sets the store's deadline and starts watching; call before the store runs any wasm. */
  synchronized Run register(Store<?> store) {
    if (closed) {
      throw new IllegalStateException("the wasmtime engine is closed");
    }
    // Under the lock, so that no bump falls between reading the epoch and watching the run.
    store.setEpochDeadline(1);
    Run run = new Run(Thread.currentThread());
    runs.add(run);
    if (thread == null) {
      thread = Thread.ofPlatform().daemon(true).name("plasm-wasmtime-watchdog").start(this::loop);
    }
    notifyAll();
    return run;
  }

  /** Stops watching; call before the store is disposed. */
  synchronized void unregister(Run run) {
    runs.remove(run);
  }

  @Override
  public synchronized void close() {
    closed = true;
    notifyAll();
  }

  private void loop() {
    try {
      while (true) {
        synchronized (this) {
          while (runs.isEmpty() && !closed) {
            wait();
          }
          if (closed) {
            return;
          }
          boolean bump = false;
          for (Run r : runs) {
            if (!r.stopRequested && r.thread.isInterrupted()) {
              r.stopRequested = true;
              bump = true;
            }
          }
          if (bump) {
            epochEngine.incrementEpoch();
          }
        }
        Thread.sleep(POLL_MS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
