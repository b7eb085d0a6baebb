package dev.plasm.transport.libp2p.internal.mux;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * One multiplexed byte stream as the host sees it, whatever carries it: a Yamux stream over TCP
 * (or a relayed circuit), or a QUIC stream. Blocking; one reader and one writer thread.
 */
public interface MuxedStream {
  InputStream input();

  OutputStream output();

  /** Reads block at most this long (zero: forever), then throw {@link java.net.SocketTimeoutException}. */
  void setReadTimeout(long millis);

  /** Sends our end of stream; the peer's data can still be read. */
  void closeWrite() throws IOException;

  /** Half-closes and discards anything the peer still sends. */
  void close();

  /** Aborts both directions. */
  void reset();

  /**
   * Marks a liveness ping's stream: its end is not stream activity, so pings do not keep an
   * otherwise idle connection from being closed. Carriers without idle accounting per stream
   * ignore it.
   */
  default void markHousekeeping() {}
}
