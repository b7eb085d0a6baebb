package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.IdentifyInfo;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.PeerId;
import dev.plasm.transport.libp2p.PeerPublicKey;
import dev.plasm.transport.libp2p.ProtocolNotSupportedException;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.StreamHandler;
import dev.plasm.transport.libp2p.internal.mss.Multistream;
import dev.plasm.transport.libp2p.internal.noise.NoiseHandshake;
import dev.plasm.transport.libp2p.internal.yamux.YamuxSession;
import dev.plasm.transport.libp2p.internal.yamux.YamuxStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

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
  private final Socket socket;
  private volatile long drainingSince;
  private volatile boolean draining;
  private final AtomicBoolean closing = new AtomicBoolean();
  private volatile IdentifyInfo identifyInfo;
  private final CompletableFuture<IdentifyInfo> identified = new CompletableFuture<>();
  /**
   * js-libp2p queues streams that arrive before its connection object listens for them and aborts
   * the muxer once more than 10 are queued; a busy js event loop leaves that gap open for a while
   * after the handshake. So until the peer has shown it is listening (answered one negotiation or
   * opened a stream itself), at most {@value #EARLY_STREAMS} of our streams negotiate at once.
   */
  static final int EARLY_STREAMS = 8;
  private final Semaphore earlyStreams = new Semaphore(EARLY_STREAMS);
  private volatile boolean peerListening;

  ConnectionImpl(HostCore host, Socket socket, NoiseHandshake.Result secured, boolean outbound, boolean muxerInlined) {
    this.host = host;
    this.remotePeer = secured.remotePeer();
    this.remoteKey = secured.remoteKey();
    this.remoteAddr = Multiaddr.tcp((java.net.InetSocketAddress) socket.getRemoteSocketAddress());
    this.localAddr = Multiaddr.tcp((java.net.InetSocketAddress) socket.getLocalSocketAddress());
    this.outbound = outbound;
    this.socket = socket;
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
    peerListening();
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
    if (lostToAnother()) {
      Connection other = host.awaitOtherConnection(remotePeer, this);
      if (other != null) {
        return other.newStream(protocols);
      }
    }
    try {
      return openAndNegotiate(protocols);
    } catch (IOException e) {
      // Our SYN crossed the peer's GoAway (this connection lost the one-connection-per-peer
      // choice on its side first), so the stream was refused unseen: use the kept connection.
      Connection other = lostToAnother() ? host.awaitOtherConnection(remotePeer, this) : null;
      if (other == null) {
        throw e;
      }
      return other.newStream(protocols);
    }
  }

  /** We drain this connection, or the peer sent GoAway on it (as it does on the one it drops). */
  private boolean lostToAnother() {
    return draining || session.goAwayReceived();
  }

  private Stream openAndNegotiate(String... protocols) throws IOException {
    boolean early = !peerListening;
    if (early) {
      acquireEarly();
    }
    try {
      YamuxStream ys = session.openStream();
      try {
        ys.setReadTimeout(host.settings().negotiationTimeout().toMillis());
        String chosen;
        try {
          chosen = Multistream.select(ys.input(), ys.output(), List.of(protocols));
        } catch (ProtocolNotSupportedException e) {
          peerListening(); // it answered
          throw e;
        }
        peerListening();
        ys.setReadTimeout(0);
        return new StreamImpl(ys, chosen, this);
      } catch (IOException | RuntimeException e) {
        ys.reset();
        throw e;
      }
    } finally {
      if (early) {
        earlyStreams.release();
      }
    }
  }

  private void acquireEarly() throws IOException {
    try {
      if (!earlyStreams.tryAcquire(host.settings().negotiationTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        throw new SocketTimeoutException("no stream negotiation finished on " + this + " within "
            + host.settings().negotiationTimeout().toMillis() + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to open a stream");
    }
  }

  /** Lifts the early-stream limit for good: the peer's side of the connection is serving. */
  private void peerListening() {
    if (!peerListening) {
      peerListening = true;
      // Wake every waiter; the permits are never counted again.
      earlyStreams.release(Integer.MAX_VALUE / 2);
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

  Socket socket() {
    return socket;
  }

  int streamCount() {
    return session.streamCount();
  }

  long lastStreamActivity() {
    return session.lastStreamActivity();
  }

  boolean acceptsNewStreams() {
    return session.acceptsNewStreams() && !draining;
  }

  /** Sends GoAway; the connection manager closes it once its streams are done. */
  void drain() {
    drainingSince = System.nanoTime();
    draining = true;
    session.goAway();
  }

  boolean draining() {
    return draining;
  }

  long drainingSince() {
    return drainingSince;
  }

  /** True the first time: the caller closes it. */
  boolean markClosing() {
    return closing.compareAndSet(false, true);
  }

  /** Open and not about to be closed by the connection manager. */
  boolean live() {
    return isOpen() && !closing.get();
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
