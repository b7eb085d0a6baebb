package dev.plasm.daemon.internal.remote;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines on peer streams: a stream read blocks without a timeout of its own, so a deadline that
 * passes resets the stream, which fails the read. One platform thread serves every deadline.
 */
final class Deadlines {
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "plasm-remote-deadlines");
            t.setDaemon(true);
            return t;
          });

  private Deadlines() {}

  /** A deadline that can be moved later (each frame received, say) and cancelled. */
  static final class Deadline implements AutoCloseable {
    private final Runnable onExpiry;
    private ScheduledFuture<?> pending;
    private volatile boolean expired;

    private Deadline(Runnable onExpiry) {
      this.onExpiry = onExpiry;
    }

    /** Fires {@code d} from now (replacing the previous time). */
    synchronized Deadline in(Duration d) {
      if (pending != null) {
        pending.cancel(false);
      }
      pending =
          TIMER.schedule(
              () -> {
                expired = true;
                onExpiry.run();
              },
              Math.max(1, d.toMillis()),
              TimeUnit.MILLISECONDS);
      return this;
    }

    boolean expired() {
      return expired;
    }

    @Override
    public synchronized void close() {
      if (pending != null) {
        pending.cancel(false);
      }
    }
  }

  /** Runs {@code onExpiry} (e.g. {@code stream::reset}) if not cancelled or moved within {@code d}. */
  static Deadline after(Duration d, Runnable onExpiry) {
    return new Deadline(onExpiry).in(d);
  }
}
