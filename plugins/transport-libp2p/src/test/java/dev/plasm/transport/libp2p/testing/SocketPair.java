package dev.plasm.transport.libp2p.testing;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Two connected loopback TCP sockets, for testing protocol layers against each other. */
public record SocketPair(Socket client, Socket server) implements Closeable {
  public static SocketPair open() throws IOException {
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Socket c = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort());
      Socket s = ss.accept();
      c.setTcpNoDelay(true);
      s.setTcpNoDelay(true);
      // Tests must never hang on a silent peer.
      c.setSoTimeout(20_000);
      s.setSoTimeout(20_000);
      return new SocketPair(c, s);
    }
  }

  @Override
  public void close() throws IOException {
    client.close();
    server.close();
  }
}
