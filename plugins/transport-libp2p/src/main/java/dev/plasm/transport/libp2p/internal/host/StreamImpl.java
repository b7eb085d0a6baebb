package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.internal.mux.MuxedStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/** A negotiated stream on any carrier (Yamux or QUIC). */
final class StreamImpl implements Stream {
  private final MuxedStream stream;
  private final String protocol;
  private final Connection connection;

  StreamImpl(MuxedStream stream, String protocol, Connection connection) {
    this.stream = stream;
    this.protocol = protocol;
    this.connection = connection;
  }

  @Override
  public String protocol() {
    return protocol;
  }

  @Override
  public Connection connection() {
    return connection;
  }

  @Override
  public InputStream input() {
    return stream.input();
  }

  @Override
  public OutputStream output() {
    return stream.output();
  }

  @Override
  public void closeWrite() throws IOException {
    stream.closeWrite();
  }

  @Override
  public void reset() {
    stream.reset();
  }

  @Override
  public void setReadTimeout(Duration timeout) {
    stream.setReadTimeout(timeout.toMillis());
  }

  @Override
  public void close() {
    stream.close();
  }

  @Override
  public String toString() {
    return "Stream[" + protocol + " " + stream + " " + connection.remotePeer() + "]";
  }
}
