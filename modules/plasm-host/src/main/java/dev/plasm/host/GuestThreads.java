package dev.plasm.host;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The platform threads guests run on, kept between jobs: a daemon worker runs one job after
 * another, and starting and ending a thread with an 8 MiB stack for each cost it kernel and JVM
 * time per job. A thread idle for {@value #KEEP_ALIVE_SECONDS} s ends.
 *
 * <p>A job's deadline interrupts its thread, and a thread goes on to other jobs: an interrupt meant
 * for a job must never reach the next one. {@link Run#interrupt()} therefore interrupts only while
 * the run is on its thread (under the run's lock, which the thread also takes to begin and to end),
 * and the thread's interrupt status is cleared before and after each run. A run that never stops is
 * simply never given back: the pool starts another thread for the next job.
 */
final class GuestThreads {
  static final int KEEP_ALIVE_SECONDS = 30;

  private static final AtomicInteger NUMBERS = new AtomicInteger();

  private static final ThreadPoolExecutor POOL =
      new ThreadPoolExecutor(
          0,
          Integer.MAX_VALUE,
          KEEP_ALIVE_SECONDS,
          TimeUnit.SECONDS,
          new SynchronousQueue<>(),
          r ->
              Thread.ofPlatform()
                  .name("plasm-guest-" + NUMBERS.incrementAndGet())
                  .daemon(true)
                  .stackSize(Sandbox.GUEST_STACK_BYTES)
                  .unstarted(r));

  private GuestThreads() {}

  /** One piece of guest work on a pooled thread. */
  static final class Run<T> {
    final CompletableFuture<T> result = new CompletableFuture<>();
    private final Object lock = new Object();
    private Thread thread;
    private boolean ended;
    private boolean interrupted;

    /** Interrupts the run if it is on its thread now, or makes it start interrupted. */
    void interrupt() {
      synchronized (lock) {
        interrupted = true;
        if (thread != null && !ended) {
          thread.interrupt();
        }
      }
    }

    /** The thread the run is on, or null before it starts. */
    Thread thread() {
      synchronized (lock) {
        return thread;
      }
    }

    private void run(Supplier<T> body) {
      synchronized (lock) {
        thread = Thread.currentThread();
        if (interrupted) {
          thread.interrupt(); // stopped before it started: the engine sees it and returns at once
        } else {
          Thread.interrupted(); // nothing of an earlier run's interrupt may remain
        }
      }
      try {
        result.complete(body.get());
      } catch (Throwable t) {
        result.completeExceptionally(t);
      } finally {
        synchronized (lock) {
          ended = true;
          Thread.interrupted();
        }
      }
    }
  }

  /** Starts {@code body} on a guest thread. */
  static <T> Run<T> start(Supplier<T> body) {
    Run<T> run = new Run<>();
    POOL.execute(() -> run.run(body));
    return run;
  }

  /** Guest threads alive now (running or idle), for tests. */
  static int alive() {
    return POOL.getPoolSize();
  }
}
