package dev.plasm.transport.spi;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A bidirectional byte stream with one peer, negotiated for one protocol.
 *
 * <p>Blocking, for one reader and one writer thread (virtual threads are cheap). {@link #close()}
 * half-closes our side and discards what the peer still sends.
 */
public interface PeerStream extends Closeable {
  /** The peer at the other end. */
  String peerId();

  /** The protocol id both sides agreed on. */
  String protocol();

  InputStream input();

  OutputStream output();

  /** Sends our end-of-stream; the peer's data can still be read. */
  void closeWrite() throws IOException;

  /** Aborts both directions; pending data is lost. */
  void reset();

  @Override
  void close();
}
