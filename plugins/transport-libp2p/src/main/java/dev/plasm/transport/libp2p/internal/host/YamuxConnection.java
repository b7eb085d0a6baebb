package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.internal.mux.MuxedStream;
import dev.plasm.transport.libp2p.internal.noise.NoiseHandshake;
import dev.plasm.transport.libp2p.internal.yamux.YamuxSession;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A Noise-secured, Yamux-multiplexed byte stream: a TCP connection, or a relayed circuit. */
final class YamuxConnection extends ConnectionImpl {
  private final YamuxSession session;
  private final InetAddress remoteIp;
  private final boolean muxerInlined;
  private final String carrier;

  /**
   * @param transport what the session closes when it ends (the socket, or the relay stream)
   * @param carrier {@code tcp} or {@code relay}
   */
  YamuxConnection(
      HostCore host,
      Closeable transport,
      Multiaddr remoteAddr,
      Multiaddr localAddr,
      InetAddress remoteIp,
      NoiseHandshake.Result secured,
      boolean outbound,
      boolean muxerInlined,
      String carrier) {
    super(host, secured.remotePeer(), secured.remoteKey(), remoteAddr, localAddr, outbound);
    this.remoteIp = remoteIp;
    this.muxerInlined = muxerInlined;
    this.carrier = carrier;
    String id = secured.remotePeer().toString();
    String label =
        (outbound ? "to " : "from ")
            + id.substring(Math.max(0, id.length() - 8))
            + "@"
            + remoteAddr;
    this.session =
        new YamuxSession(
            secured.channel().input(),
            secured.channel().output(),
            transport,
            outbound,
            host.settings().yamux(),
            this::onInboundStream,
            label);
  }

  @Override
  void start() {
    session.start();
  }

  @Override
  MuxedStream openMuxedStream() throws IOException {
    return session.openStream();
  }

  @Override
  boolean carrierAcceptsNewStreams() {
    return session.acceptsNewStreams();
  }

  @Override
  boolean peerWentAway() {
    return session.goAwayReceived();
  }

  @Override
  void goAway() {
    session.goAway();
  }

  @Override
  boolean misbehaved() {
    return session.misbehaved();
  }

  @Override
  int streamCount() {
    return session.streamCount();
  }

  @Override
  long lastStreamActivity() {
    return session.lastStreamActivity();
  }

  @Override
  InetAddress remoteIp() {
    return remoteIp;
  }

  @Override
  String carrier() {
    return carrier;
  }

  @Override
  boolean carrierPing(Duration timeout) throws IOException {
    session.ping(timeout);
    return true;
  }

  @Override
  boolean carrierUnresponsive() {
    return session.unresponsive();
  }

  boolean muxerInlined() {
    return muxerInlined;
  }

  @Override
  public boolean isOpen() {
    return session.isOpen();
  }

  @Override
  public CompletableFuture<String> closed() {
    return session.closed().copy();
  }

  /** The session's own future, not a copy: the host hangs its clean-up on it. */
  CompletableFuture<String> sessionClosed() {
    return session.closed();
  }

  @Override
  public void close() {
    session.close();
  }
}
