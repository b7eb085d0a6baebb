package dev.plasm.transport.libp2p.internal.quic;

import dev.plasm.transport.libp2p.internal.mux.MuxedStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
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
 * A QUIC stream (a Netty {@link QuicStreamChannel}) as a blocking {@link MuxedStream} for virtual
 * threads.
 *
 * <p>Reading: the channel does not read by itself ({@code autoRead} off); the adapter asks Netty
 * for more only while less than {@value #READ_AHEAD} bytes wait for the application, so a slow
 * reader holds back the peer through QUIC flow control instead of filling memory. Writing blocks
 * while the channel is not writable (its outbound buffer is above the high-water mark). Netty's
 * callbacks never block: they only append, flag and signal.
 */
public final class QuicStreamAdapter extends ChannelInboundHandlerAdapter implements MuxedStream {
  /** Bytes buffered for the application before the adapter stops asking Netty to read. */
  static final int READ_AHEAD = 256 * 1024;

  /** The largest buffer handed to Netty per write. */
  private static final int MAX_WRITE = 64 * 1024;

  private final QuicStreamChannel channel;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
  private int headOffset;
  private long buffered;
  private boolean remoteFin;
  private boolean localFin;
  private boolean discardInbound;
  private boolean readPending;
  private String failure;
  private long readTimeoutNanos;
  private volatile boolean housekeeping;

  public QuicStreamAdapter(QuicStreamChannel channel) {
    this.channel = channel;
  }

  public QuicStreamChannel channel() {
    return channel;
  }

  @Override
  public void markHousekeeping() {
    housekeeping = true;
  }

  /** A liveness ping's stream, whose end is not stream activity. */
  public boolean housekeeping() {
    return housekeeping;
  }

  /** Asks Netty for the first bytes; called once the adapter is in the pipeline. */
  public void start() {
    lock.lock();
    try {
      requestReadLocked();
    } finally {
      lock.unlock();
    }
  }

  private void requestReadLocked() {
    if (!readPending
        && !remoteFin
        && failure == null
        && (discardInbound || buffered < READ_AHEAD)) {
      readPending = true;
      channel.read();
    }
  }

  // ---- Netty's side (event loop) ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf buf)) {
      io.netty.util.ReferenceCountUtil.release(msg);
      return;
    }
    try {
      int n = buf.readableBytes();
      lock.lock();
      try {
        if (n > 0 && !discardInbound && failure == null) {
          byte[] b = new byte[n];
          buf.readBytes(b);
          chunks.addLast(b);
          buffered += n;
          changed.signalAll();
        }
      } finally {
        lock.unlock();
      }
    } finally {
      buf.release();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    lock.lock();
    try {
      readPending = false;
      requestReadLocked();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownReadComplete) {
      lock.lock();
      try {
        remoteFin = true;
        changed.signalAll();
        closeIfDoneLocked();
      } finally {
        lock.unlock();
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    fail(
        cause instanceof QuicStreamResetException
            ? "stream reset by peer"
            : "stream failed: " + cause);
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    lock.lock();
    try {
      if (failure == null && !(remoteFin && localFin)) {
        // Closed before both ends finished: a reset by the peer, or the connection went away.
        failure = remoteFin ? "stream closed" : "stream reset by peer";
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    ctx.fireChannelWritabilityChanged();
  }

  private void fail(String why) {
    lock.lock();
    try {
      if (failure == null) {
        failure = why;
      }
      chunks.clear();
      buffered = 0;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Both directions are finished: the stream is done, and its channel can go. */
  private void closeIfDoneLocked() {
    if (remoteFin && localFin) {
      channel.close();
    }
  }

  // ---- the application's side ----

  @Override
  public InputStream input() {
    return in;
  }

  @Override
  public OutputStream output() {
    return out;
  }

  @Override
  public void setReadTimeout(long millis) {
    lock.lock();
    try {
      readTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(millis);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void closeWrite() throws IOException {
    lock.lock();
    try {
      if (localFin || failure != null) {
        return;
      }
      localFin = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    // Netty's shutdownOutput fails writes still in its outbound buffer: shut down only once the
    // writes before it are done (they complete in order, so an empty write marks the last one).
    channel
        .writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(w -> channel.shutdownOutput())
        .addListener(
            f -> {
              lock.lock();
              try {
                closeIfDoneLocked();
              } finally {
                lock.unlock();
              }
            });
  }

  @Override
  public void close() {
    lock.lock();
    try {
      discardInbound = true;
      chunks.clear();
      buffered = 0;
      changed.signalAll();
      // Keep reading (and dropping) so the peer's data, and with it the stream, can finish.
      requestReadLocked();
    } finally {
      lock.unlock();
    }
    try {
      closeWrite();
    } catch (IOException e) {
      // Nothing left to close.
    }
  }

  @Override
  public void reset() {
    lock.lock();
    try {
      if (failure != null) {
        return;
      }
      failure = "stream reset locally";
      chunks.clear();
      buffered = 0;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    // RESET_STREAM and STOP_SENDING, error code 0, then the channel is gone.
    channel.shutdown(0).addListener(f -> channel.close());
  }

  private final InputStream in =
      new InputStream() {
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
              if (failure != null) {
                throw new IOException("QUIC stream " + channel.streamId() + ": " + failure);
              }
              if (remoteFin || discardInbound) {
                return -1;
              }
              if (deadline == 0) {
                changed.await();
              } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                  throw new SocketTimeoutException(
                      "QUIC stream " + channel.streamId() + ": read timed out");
                }
                changed.awaitNanos(left);
              }
            }
            int n = 0;
            while (n < len && !chunks.isEmpty()) {
              byte[] head = chunks.peekFirst();
              int k = Math.min(len - n, head.length - headOffset);
              System.arraycopy(head, headOffset, b, off + n, k);
              n += k;
              headOffset += k;
              if (headOffset == head.length) {
                chunks.removeFirst();
                headOffset = 0;
              }
            }
            buffered -= n;
            requestReadLocked();
            return n;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(
                "interrupted while reading QUIC stream " + channel.streamId());
          } finally {
            lock.unlock();
          }
        }

        @Override
        public int available() {
          lock.lock();
          try {
            return (int) Math.min(Integer.MAX_VALUE, buffered);
          } finally {
            lock.unlock();
          }
        }

        @Override
        public void close() {
          QuicStreamAdapter.this.close();
        }
      };

  private final OutputStream out =
      new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          while (len > 0) {
            int n = Math.min(len, MAX_WRITE);
            lock.lock();
            try {
              while (!channel.isWritable() && failure == null && !localFin && channel.isActive()) {
                changed.await(100, TimeUnit.MILLISECONDS);
              }
              if (failure != null) {
                throw new IOException("QUIC stream " + channel.streamId() + ": " + failure);
              }
              if (localFin) {
                throw new IOException(
                    "QUIC stream " + channel.streamId() + ": write side already closed");
              }
              if (!channel.isActive()) {
                throw new IOException("QUIC stream " + channel.streamId() + ": closed");
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new InterruptedIOException(
                  "interrupted while writing QUIC stream " + channel.streamId());
            } finally {
              lock.unlock();
            }
            // Netty writes later, on its event loop: it gets its own copy.
            byte[] copy = new byte[n];
            System.arraycopy(b, off, copy, 0, n);
            channel
                .writeAndFlush(Unpooled.wrappedBuffer(copy))
                .addListener(
                    f -> {
                      if (!f.isSuccess()) {
                        fail("write failed: " + f.cause());
                      }
                    });
            off += n;
            len -= n;
          }
        }

        @Override
        public void close() throws IOException {
          closeWrite();
        }
      };

  @Override
  public String toString() {
    return "QuicStream[" + channel.streamId() + "]";
  }
}
