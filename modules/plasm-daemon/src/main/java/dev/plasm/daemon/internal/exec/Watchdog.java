package dev.plasm.daemon.internal.exec;

import dev.plasm.api.Limit;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * One thread that watches every running worker: it kills a worker still running past its job's
 * deadline (plus {@code workers.kill-grace}), above {@code workers.max-rss}, or past the end of a
 * graceful stop's grace. Executors meanwhile wait for their worker's reply in a plain blocking read,
 * which the kill ends. Idle, the thread sleeps until a job starts.
 */
final class Watchdog {
  /** How often running workers are checked (memory, deadlines, shutdown). */
  static final Duration TICK = Duration.ofMillis(50);

  /** Why the watchdog killed a worker. */
  record Kill(String why, Limit limit) {}

  /** What to kill, and when. */
  interface Rules {
    /** Why {@code w} must be killed now, or null. */
    Kill check(Watch w, long now);
  }

  /** One running worker being watched. */
  static final class Watch {
    final WorkerProcess worker;
    final long until;
    private volatile Kill killed;

    Watch(WorkerProcess worker, long until) {
      this.worker = worker;
      this.until = until;
    }

    /** Why the watchdog killed the worker, or null if it did not. */
    Kill killed() {
      return killed;
    }
  }

  private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
  private final Rules rules;
  private final Object wake = new Object();
  private final LongSupplier clock;

  Watchdog(Rules rules, LongSupplier clock) {
    this.rules = rules;
    this.clock = clock;
    Thread.ofPlatform().daemon(true).name("plasm-watchdog").start(this::loop);
  }

  /** Watches a worker until {@link #unwatch}; {@code until} is the job's deadline plus grace (nanoTime). */
  Watch watch(WorkerProcess w, long until) {
    Watch x = new Watch(w, until);
    watches.add(x);
    synchronized (wake) {
      wake.notifyAll();
    }
    return x;
  }

  /** Stops watching; returns why the worker was killed, or null. */
  Kill unwatch(Watch x) {
    watches.remove(x);
    return x.killed;
  }

  private void loop() {
    while (true) {
      try {
        synchronized (wake) {
          while (watches.isEmpty()) {
            wake.wait();
          }
        }
        Thread.sleep(TICK);
      } catch (InterruptedException e) {
        return;
      }
      long now = clock.getAsLong();
      for (Watch x : watches) {
        if (x.killed != null) {
          continue;
        }
        Kill k = rules.check(x, now);
        if (k != null) {
          x.killed = k;
          x.worker.kill();
        }
      }
    }
  }
}
