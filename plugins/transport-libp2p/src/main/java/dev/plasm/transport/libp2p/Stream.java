package dev.plasm.transport.libp2p;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/**
 * A bidirectional byte stream to a peer, negotiated for one protocol and multiplexed with others
 * on a {@link Connection}.
 *
 * <p>Blocking and meant for one reader and one writer thread (virtual threads are cheap). Writes
 * block while the peer's flow-control window is exhausted.
 */
public interface Stream extends Closeable {
  /** The protocol id multistream-select agreed on. */
  String protocol();

  Connection connection();

  InputStream input();

  OutputStream output();

  /** Sends our end-of-stream (half-close); the peer's data can still be read. */
  void closeWrite() throws IOException;

  /** Aborts both directions at once; pending data is lost. */
  void reset();

  /** Reads block at most this long (zero: no limit), then throw {@link java.net.SocketTimeoutException}. */
  void setReadTimeout(Duration timeout);

  /** Half-closes and discards anything the peer still sends. */
  @Override
  void close();
}
