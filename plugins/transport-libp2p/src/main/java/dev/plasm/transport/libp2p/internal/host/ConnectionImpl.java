package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.IdentifyInfo;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.PeerId;
import dev.plasm.transport.libp2p.PeerPublicKey;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.StreamHandler;
import dev.plasm.transport.libp2p.internal.mss.Multistream;
import dev.plasm.transport.libp2p.internal.noise.NoiseHandshake;
import dev.plasm.transport.libp2p.internal.yamux.YamuxSession;
import dev.plasm.transport.libp2p.internal.yamux.YamuxStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.Socket;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A TCP connection after the upgrade: Noise-secured, Yamux-multiplexed. */
final class ConnectionImpl implements Connection {
  private static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.host");

  private final HostCore host;
  private final PeerId remotePeer;
  private final PeerPublicKey remoteKey;
  private final Multiaddr remoteAddr;
  private final Multiaddr localAddr;
  private final boolean outbound;
  private final boolean muxerInlined;
  private final YamuxSession session;
  private volatile IdentifyInfo identifyInfo;
  private final CompletableFuture<IdentifyInfo> identified = new CompletableFuture<>();

  ConnectionImpl(HostCore host, Socket socket, NoiseHandshake.Result secured, boolean outbound, boolean muxerInlined) {
    this.host = host;
    this.remotePeer = secured.remotePeer();
    this.remoteKey = secured.remoteKey();
    this.remoteAddr = Multiaddr.tcp((java.net.InetSocketAddress) socket.getRemoteSocketAddress());
    this.localAddr = Multiaddr.tcp((java.net.InetSocketAddress) socket.getLocalSocketAddress());
    this.outbound = outbound;
    this.muxerInlined = muxerInlined;
    String label = (outbound ? "to " : "from ") + remotePeer.toString().substring(Math.max(0, remotePeer.toString().length() - 8))
        + "@" + remoteAddr;
    this.session = new YamuxSession(secured.channel().input(), secured.channel().output(), socket, outbound,
        host.settings().yamux(), this::onInboundStream, label);
  }

  void start() {
    session.start();
  }

  /** Runs on the stream's own virtual thread. */
  private void onInboundStream(YamuxStream ys) {
    String protocol;
    try {
      ys.setReadTimeout(host.settings().negotiationTimeout().toMillis());
      protocol = Multistream.handle(ys.input(), ys.output(), host::hasHandler);
      ys.setReadTimeout(0);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "{0}: inbound stream negotiation failed: {1}", this, e);
      ys.reset();
      return;
    }
    StreamHandler handler = host.handler(protocol);
    StreamImpl stream = new StreamImpl(ys, protocol, this);
    if (handler == null) {
      stream.reset();
      return;
    }
    try {
      handler.handle(stream);
      stream.close();
    } catch (Exception e) {
      LOG.log(Level.DEBUG, "{0}: handler for {1} failed: {2}", this, protocol, e);
      stream.reset();
    }
  }

  @Override
  public Stream newStream(String... protocols) throws IOException {
    if (protocols.length == 0) {
      throw new IllegalArgumentException("no protocol to negotiate");
    }
    YamuxStream ys = session.openStream();
    try {
      ys.setReadTimeout(host.settings().negotiationTimeout().toMillis());
      String chosen = Multistream.select(ys.input(), ys.output(), List.of(protocols));
      ys.setReadTimeout(0);
      return new StreamImpl(ys, chosen, this);
    } catch (IOException | RuntimeException e) {
      ys.reset();
      throw e;
    }
  }

  void updateIdentify(IdentifyInfo info) {
    identifyInfo = info;
    identified.complete(info);
  }

  void identifyFailed(Throwable t) {
    identified.completeExceptionally(t);
  }

  IdentifyInfo currentIdentify() {
    return identifyInfo;
  }

  YamuxSession session() {
    return session;
  }

  boolean muxerInlined() {
    return muxerInlined;
  }

  @Override
  public PeerId remotePeer() {
    return remotePeer;
  }

  @Override
  public PeerPublicKey remotePublicKey() {
    return remoteKey;
  }

  @Override
  public Multiaddr remoteAddr() {
    return remoteAddr;
  }

  @Override
  public Multiaddr localAddr() {
    return localAddr;
  }

  @Override
  public boolean isOutbound() {
    return outbound;
  }

  @Override
  public Optional<IdentifyInfo> identifyInfo() {
    return Optional.ofNullable(identifyInfo);
  }

  @Override
  public CompletableFuture<IdentifyInfo> identified() {
    return identified.copy();
  }

  @Override
  public boolean isOpen() {
    return session.isOpen();
  }

  @Override
  public CompletableFuture<String> closed() {
    return session.closed().copy();
  }

  @Override
  public void close() {
    session.close();
  }

  @Override
  public String toString() {
    return "Connection[" + (outbound ? "to " : "from ") + remotePeer + " at " + remoteAddr + "]";
  }
}
