package dev.plasm.transport.libp2p.internal.yamux;

import dev.plasm.transport.libp2p.internal.mux.MuxedStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One Yamux stream as a blocking {@link InputStream}/{@link OutputStream} pair with per-stream
 * flow control.
 *
 * <p>Inbound data is buffered here by the session's reader thread, which never blocks on us: the
 * peer may send at most the window we granted, so the buffer is bounded by that window: {@link
 * YamuxConfig#INITIAL_WINDOW}, doubled each time the application has drained the buffer when an
 * update is due, up to {@link YamuxConfig#MAX_WINDOW} and the session's {@link
 * YamuxConfig#SESSION_WINDOW_BUDGET}. Window updates go out as the application reads, once half
 * the window has been consumed. Writers block while the peer's window for us is exhausted.
 *
 * <p>{@link #closeWrite()} half-closes (FIN); {@link #close()} half-closes and discards further
 * inbound data (still crediting the window so the peer can finish); {@link #reset()} aborts both
 * directions (RST).
 */
public final class YamuxStream implements MuxedStream {
  private final YamuxSession session;
  private final int id;
  private final boolean outbound;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  /** Inbound bytes not yet read; each chunk holds {@code buf[start..end)}. */
  private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();

  private long buffered;

  /** Bytes the peer may still send before it needs a window update from us. */
  private long recvWindow = YamuxConfig.INITIAL_WINDOW;

  /** The receive window we currently grant: 256 KiB, grown up to {@link YamuxConfig#MAX_WINDOW}. */
  private long windowSize = YamuxConfig.INITIAL_WINDOW;

  private long consumedSinceUpdate;

  /** Bytes we may still send before the peer grants more. */
  private long sendWindow;

  private boolean acked;
  private boolean localFin;
  private boolean remoteFin;
  private boolean discardInbound;
  private String resetReason;
  private boolean removed;
  private long readTimeoutNanos;

  private final InputStream in = new In();
  private final OutputStream out = new Out();

  YamuxStream(YamuxSession session, int id, boolean outbound, long initialSendWindow) {
    this.session = session;
    this.id = id;
    this.outbound = outbound;
    this.sendWindow = initialSendWindow;
    this.acked = !outbound;
  }

  public int id() {
    return id;
  }

  public boolean isOutbound() {
    return outbound;
  }

  @Override
  public InputStream input() {
    return in;
  }

  @Override
  public OutputStream output() {
    return out;
  }

  /** Reads block at most this long (zero: forever); a timeout throws {@link SocketTimeoutException}. */
  @Override
  public void setReadTimeout(long millis) {
    lock.lock();
    try {
      readTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(millis);
    } finally {
      lock.unlock();
    }
  }

  /** Sends FIN: we write no more, but can still read until the peer's FIN. */
  @Override
  public void closeWrite() throws IOException {
    lock.lock();
    try {
      if (localFin || resetReason != null) {
        return;
      }
      localFin = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    session.enqueueData(Frame.windowUpdate(Frame.FLAG_FIN, id, 0));
    maybeRemove();
  }

  /** Half-closes and stops reading; anything the peer still sends is discarded. */
  @Override
  public void close() {
    lock.lock();
    try {
      discardInbound = true;
      long dropped = buffered;
      chunks.clear();
      buffered = 0;
      creditLocked(dropped);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      closeWrite();
    } catch (IOException e) {
      // The session is gone: nothing left to close.
    }
  }

  /** Aborts the stream in both directions. */
  @Override
  public void reset() {
    lock.lock();
    try {
      if (resetReason != null) {
        return;
      }
      resetReason = "stream reset locally";
      chunks.clear();
      buffered = 0;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    session.enqueueOrdered(Frame.windowUpdate(Frame.FLAG_RST, id, 0));
    maybeRemove();
  }

  // ---- called by the session's reader thread ----

  /** Accepts a data payload; false means the peer overran its window (a protocol error). */
  boolean onData(byte[] data) {
    lock.lock();
    try {
      if (data.length > recvWindow) {
        return false;
      }
      recvWindow -= data.length;
      if (discardInbound || resetReason != null || data.length == 0) {
        creditLocked(data.length);
        return true;
      }
      append(data);
      buffered += data.length;
      changed.signalAll();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Adds to our send window; false if the window would overflow 32 bits (a protocol error). */
  boolean onWindowUpdate(long delta) {
    lock.lock();
    try {
      if (sendWindow + delta > 0xFFFF_FFFFL) {
        return false;
      }
      sendWindow += delta;
      changed.signalAll();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Returns true if this ACK acknowledged our SYN just now. */
  boolean onAck() {
    lock.lock();
    try {
      boolean first = !acked;
      acked = true;
      return first;
    } finally {
      lock.unlock();
    }
  }

  void onFin() {
    lock.lock();
    try {
      remoteFin = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    maybeRemove();
  }

  void onReset(String reason) {
    lock.lock();
    try {
      if (resetReason == null) {
        resetReason = reason;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    maybeRemove();
  }

  boolean isAcked() {
    lock.lock();
    try {
      return acked;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Buffers a payload; small payloads are packed into the last chunk so that a peer sending
   * one-byte frames cannot make per-chunk overhead dwarf the window it is allowed to fill.
   */
  private void append(byte[] data) {
    Chunk tail = chunks.peekLast();
    if (data.length < SMALL_PAYLOAD) {
      if (tail != null && tail.buf.length - tail.end >= data.length) {
        System.arraycopy(data, 0, tail.buf, tail.end, data.length);
        tail.end += data.length;
        return;
      }
      Chunk c = new Chunk(new byte[SMALL_PAYLOAD * 4]);
      System.arraycopy(data, 0, c.buf, 0, data.length);
      c.end = data.length;
      chunks.addLast(c);
      return;
    }
    Chunk c = new Chunk(data);
    c.end = data.length;
    chunks.addLast(c);
  }

  int chunkCount() {
    lock.lock();
    try {
      return chunks.size();
    } finally {
      lock.unlock();
    }
  }

  private static final int SMALL_PAYLOAD = 1024;

  private static final class Chunk {
    final byte[] buf;
    int start;
    int end;

    Chunk(byte[] buf) {
      this.buf = buf;
    }
  }

  long receiveWindow() {
    lock.lock();
    try {
      return recvWindow;
    } finally {
      lock.unlock();
    }
  }

  long bufferedBytes() {
    lock.lock();
    try {
      return buffered;
    } finally {
      lock.unlock();
    }
  }

  private void maybeRemove() {
    boolean remove;
    lock.lock();
    try {
      remove = !removed && (resetReason != null || (localFin && remoteFin));
      if (remove) {
        removed = true;
      }
    } finally {
      lock.unlock();
    }
    if (remove) {
      session.remove(this);
    }
  }

  /** Gives {@code n} consumed bytes back to the peer, in batches of half a window. */
  private void creditLocked(long n) {
    consumedSinceUpdate += n;
    if (consumedSinceUpdate >= windowSize / 2 && !remoteFin && resetReason == null) {
      long delta = consumedSinceUpdate;
      consumedSinceUpdate = 0;
      // The reader has drained everything the peer sent: the window, not the application, is
      // what limits this stream, so double it (within the session's budget). A slow reader
      // never gets here with an empty buffer, so its window stays small.
      if (buffered == 0 && !discardInbound && windowSize < YamuxConfig.MAX_WINDOW) {
        long grow =
            session.reserveWindow(Math.min(windowSize, YamuxConfig.MAX_WINDOW - windowSize));
        windowSize += grow;
        delta += grow;
      }
      recvWindow += delta;
      session.sendControl(Frame.windowUpdate(0, id, delta));
    }
  }

  /** Whether the peer has closed its side (its FIN has arrived). */
  boolean finReceived() {
    lock.lock();
    try {
      return remoteFin;
    } finally {
      lock.unlock();
    }
  }

  /** Window granted beyond the initial 256 KiB, returned to the session when the stream ends. */
  long extraWindow() {
    lock.lock();
    try {
      return windowSize - YamuxConfig.INITIAL_WINDOW;
    } finally {
      lock.unlock();
    }
  }

  private final class In extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      lock.lock();
      try {
        long deadline = readTimeoutNanos > 0 ? System.nanoTime() + readTimeoutNanos : 0;
        while (buffered == 0) {
          if (resetReason != null) {
            throw new IOException("stream " + id + ": " + resetReason);
          }
          if (remoteFin || discardInbound) {
            return -1;
          }
          if (deadline == 0) {
            changed.await();
          } else {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
              throw new SocketTimeoutException("stream " + id + ": read timed out");
            }
            changed.awaitNanos(left);
          }
        }
        int n = 0;
        while (n < len && !chunks.isEmpty()) {
          Chunk head = chunks.peekFirst();
          int k = Math.min(len - n, head.end - head.start);
          System.arraycopy(head.buf, head.start, b, off + n, k);
          n += k;
          head.start += k;
          if (head.start == head.end) {
            chunks.removeFirst();
          }
        }
        buffered -= n;
        creditLocked(n);
        return n;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while reading stream " + id);
      } finally {
        lock.unlock();
      }
    }

    @Override
    public int available() {
      return (int) Math.min(Integer.MAX_VALUE, bufferedBytes());
    }

    @Override
    public void close() {
      YamuxStream.this.close();
    }
  }

  private final class Out extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        int n;
        lock.lock();
        try {
          while (sendWindow == 0 && resetReason == null && !localFin) {
            changed.await();
          }
          if (resetReason != null) {
            throw new IOException("stream " + id + ": " + resetReason);
          }
          if (localFin) {
            throw new IOException("stream " + id + ": write side already closed");
          }
          n = (int) Math.min(Math.min(len, sendWindow), session.maxDataFrame());
          sendWindow -= n;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while writing stream " + id);
        } finally {
          lock.unlock();
        }
        // The writer thread sends later, so it gets its own copy.
        byte[] copy = new byte[n];
        System.arraycopy(b, off, copy, 0, n);
        session.enqueueData(Frame.data(0, id, copy, 0, n));
        off += n;
        len -= n;
      }
    }

    @Override
    public void close() throws IOException {
      closeWrite();
    }
  }

  @Override
  public String toString() {
    return "YamuxStream[" + id + (outbound ? " out" : " in") + "]";
  }
}
