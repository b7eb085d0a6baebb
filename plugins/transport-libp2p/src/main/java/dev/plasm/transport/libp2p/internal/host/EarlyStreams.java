package dev.plasm.transport.libp2p.internal.host;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One connection's early-stream limit: until the peer has shown it is listening, at most {@value
 * #LIMIT} of our streams negotiate at once.
 *
 * <p>js-libp2p queues streams that arrive before its connection object listens for them and aborts
 * the muxer once more than 10 are queued; a busy js event loop leaves that gap open for a while
 * after the handshake. The peer shows it is listening by answering one of our negotiations or by
 * opening a stream itself.
 */
final class EarlyStreams {
  static final int LIMIT = 8;

  /**
   * Lifting releases this many permits at once, so that no waiter and no later stream ever waits;
   * the permits are never counted again.
   */
  private static final int LIFTED = Integer.MAX_VALUE / 2;

  private final Semaphore slots = new Semaphore(LIMIT);
  private final AtomicBoolean lifted = new AtomicBoolean();

  /** True once the peer has shown it is listening: streams no longer take a slot. */
  boolean lifted() {
    return lifted.get();
  }

  /**
   * Takes a slot, waiting up to {@code timeoutMillis} for one of the early streams on {@code
   * connection} to finish its negotiation.
   */
  void acquire(long timeoutMillis, Object connection) throws IOException {
    try {
      if (!slots.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS)) {
        throw new SocketTimeoutException(
            "no stream negotiation finished on " + connection + " within " + timeoutMillis + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to open a stream");
    }
  }

  /** Gives back a slot taken by {@link #acquire}. */
  void release() {
    slots.release();
  }

  /**
   * Lifts the limit for good. Each inbound stream and each finished negotiation calls this, and on
   * a new connection several do at once (the peer's first streams arrive together, and our own
   * identify is answered meanwhile): only the first may release, since two releases of {@link
   * #LIFTED} permits overflow the semaphore's count, and the {@link Error} that {@link
   * Semaphore#release(int)} throws then reset the inbound stream it was called for.
   */
  void lift() {
    if (lifted.compareAndSet(false, true)) {
      slots.release(LIFTED);
    }
  }
}
