package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.identity.PeerId;
import dev.plasm.identity.PeerPublicKey;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.IdentifyInfo;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.ProtocolNotSupportedException;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.StreamHandler;
import dev.plasm.transport.libp2p.internal.mss.Multistream;
import dev.plasm.transport.libp2p.internal.mux.MuxedStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every secured, multiplexed connection shares, whatever carries it (Yamux over TCP or a
 * relayed circuit, or QUIC): the peer's identity, identify state, protocol negotiation on each
 * stream, the early-stream limit, and the connection manager's draining and closing marks.
 */
abstract class ConnectionImpl implements Connection {
  private static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.host");

  final HostCore host;
  private final PeerId remotePeer;
  private final PeerPublicKey remoteKey;
  private final Multiaddr remoteAddr;
  private final Multiaddr localAddr;
  private final boolean outbound;
  private volatile long drainingSince;
  private volatile boolean draining;

  /** The order the connection manager registered it in: of several to one peer, the newest is used. */
  private volatile long registration;

  private final AtomicBoolean closing = new AtomicBoolean();
  private volatile IdentifyInfo identifyInfo;
  private final CompletableFuture<IdentifyInfo> identified = new CompletableFuture<>();

  private final EarlyStreams earlyStreams = new EarlyStreams();
  private volatile boolean unresponsive;

  ConnectionImpl(
      HostCore host,
      PeerId remotePeer,
      PeerPublicKey remoteKey,
      Multiaddr remoteAddr,
      Multiaddr localAddr,
      boolean outbound) {
    this.host = host;
    this.remotePeer = remotePeer;
    this.remoteKey = remoteKey;
    this.remoteAddr = remoteAddr;
    this.localAddr = localAddr;
    this.outbound = outbound;
  }

  // ---- what each carrier provides ----

  /** Starts the carrier's threads or handlers; inbound streams may arrive from then on. */
  abstract void start();

  /** Opens an outbound stream, not yet negotiated. */
  abstract MuxedStream openMuxedStream() throws IOException;

  /** The carrier accepts new streams (open, no GoAway either way). */
  abstract boolean carrierAcceptsNewStreams();

  /** The peer told us to open no more streams here (Yamux GoAway). */
  abstract boolean peerWentAway();

  /** Tells the peer we open and accept no more streams here (Yamux GoAway). */
  abstract void goAway();

  /** The carrier ended because the peer broke its rules or stopped answering. */
  abstract boolean misbehaved();

  abstract int streamCount();

  /** When a stream last opened or ended, as {@link System#nanoTime()}. */
  abstract long lastStreamActivity();

  /** The peer's IP address, for the per-IP inbound count. */
  abstract InetAddress remoteIp();

  /** A one-word name of the carrier for logs: {@code tcp}, {@code quic}, {@code relay}. */
  abstract String carrier();

  /** Carried through a relay's circuit (limited in time and bytes by the relay). */
  final boolean relayed() {
    return carrier().equals(RELAY);
  }

  static final String RELAY = "relay";

  /**
   * One round trip below the libp2p protocols, if the carrier has one (Yamux ping); for liveness
   * checks that must not count as stream activity.
   *
   * @return false if the carrier has no such ping (the caller pings with a stream instead)
   */
  abstract boolean carrierPing(java.time.Duration timeout) throws IOException;

  /** The carrier ended because the peer stopped answering (Yamux keep-alive, QUIC idle timeout). */
  abstract boolean carrierUnresponsive();

  // ---- shared behaviour ----

  /** Runs on the stream's own virtual thread. */
  final void onInboundStream(MuxedStream ms) {
    earlyStreams.lift();
    String protocol;
    try {
      ms.setReadTimeout(host.settings().negotiationTimeout().toMillis());
      protocol = Multistream.handle(ms.input(), ms.output(), host::hasHandler);
      ms.setReadTimeout(0);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "{0}: inbound stream negotiation failed: {1}", this, e);
      ms.reset();
      return;
    }
    if (protocol.equals(HostCore.PING)) {
      ms.markHousekeeping();
    }
    StreamHandler handler = host.handler(protocol);
    StreamImpl stream = new StreamImpl(ms, protocol, this);
    if (handler == null) {
      LOG.log(
          Level.DEBUG,
          "{0}: the handler for {1} was removed; resetting the stream",
          this,
          protocol);
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
      return openAndNegotiate(false, protocols);
    } catch (IOException e) {
      // Our stream crossed the peer's GoAway or the end of a connection it dropped for a newer
      // one (this connection lost the one-connection-per-peer choice on its side first), so the
      // stream was refused unseen: use the kept connection.
      Connection other =
          lostToAnother() || !isOpen() ? host.awaitOtherConnection(remotePeer, this) : null;
      if (other == null) {
        LOG.log(
            Level.DEBUG,
            "{0}: a new stream failed and no other connection took it (peer went away: {1}, open:"
                + " {2}): {3}",
            this,
            lostToAnother(),
            isOpen(),
            e.toString());
        throw e;
      }
      return other.newStream(protocols);
    }
  }

  /** We drain this connection, or the peer sent GoAway on it (as it does on the one it drops). */
  private boolean lostToAnother() {
    return draining || peerWentAway();
  }

  /** A liveness ping's stream on this very connection (see {@link MuxedStream#markHousekeeping}). */
  final Stream newHousekeepingStream(String protocol) throws IOException {
    return openAndNegotiate(true, protocol);
  }

  private Stream openAndNegotiate(boolean housekeeping, String... protocols) throws IOException {
    boolean early = !earlyStreams.lifted();
    if (early) {
      earlyStreams.acquire(host.settings().negotiationTimeout().toMillis(), this);
    }
    try {
      MuxedStream ms = openMuxedStream();
      if (housekeeping) {
        ms.markHousekeeping();
      }
      try {
        ms.setReadTimeout(host.settings().negotiationTimeout().toMillis());
        String chosen;
        try {
          chosen = Multistream.select(ms.input(), ms.output(), List.of(protocols));
        } catch (ProtocolNotSupportedException e) {
          earlyStreams.lift(); // it answered
          throw e;
        }
        earlyStreams.lift();
        ms.setReadTimeout(0);
        return new StreamImpl(ms, chosen, this);
      } catch (IOException | RuntimeException e) {
        ms.reset();
        throw e;
      }
    } finally {
      if (early) {
        earlyStreams.release();
      }
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

  final long registration() {
    return registration;
  }

  final void registration(long seq) {
    registration = seq;
  }

  final boolean acceptsNewStreams() {
    return carrierAcceptsNewStreams() && !draining;
  }

  /** Stops new streams; the connection manager closes it once its streams are done. */
  final void drain() {
    drainingSince = System.nanoTime();
    draining = true;
    goAway();
  }

  final boolean draining() {
    return draining;
  }

  final long drainingSince() {
    return drainingSince;
  }

  /** Closed (or about to be) because the peer stopped answering: frozen, vanished or cut off. */
  final boolean unresponsive() {
    return unresponsive || carrierUnresponsive();
  }

  final void markUnresponsive() {
    unresponsive = true;
  }

  /** True the first time: the caller closes it. */
  final boolean markClosing() {
    return closing.compareAndSet(false, true);
  }

  /** Open and not about to be closed by the connection manager. */
  final boolean live() {
    return isOpen() && !closing.get();
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
  public String toString() {
    return "Connection["
        + carrier()
        + (outbound ? " to " : " from ")
        + remotePeer
        + " at "
        + remoteAddr
        + "]";
  }
}
