package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.identity.KeyFormatException;
import dev.plasm.identity.PeerId;
import dev.plasm.identity.PeerPublicKey;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.IdentifyInfo;
import dev.plasm.transport.libp2p.Libp2pException;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.PeerDrop;
import dev.plasm.transport.libp2p.ProtocolNotSupportedException;
import dev.plasm.transport.libp2p.RelayLimits;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.StreamHandler;
import dev.plasm.transport.libp2p.internal.codec.Delimited;
import dev.plasm.transport.libp2p.internal.mss.Multistream;
import dev.plasm.transport.libp2p.internal.noise.NoiseHandshake;
import dev.plasm.transport.libp2p.internal.relay.RelayClient;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages;
import dev.plasm.transport.libp2p.internal.relay.RelayService;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The machinery behind {@link dev.plasm.transport.libp2p.Host}: TCP listeners and dialing, the
 * connection upgrade (multistream-select {@code /noise} → Noise XX → {@code /yamux/1.0.0} →
 * Yamux), the protocol handler registry and the built-in identify, identify-push and ping
 * protocols.
 */
public final class HostCore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.host");
  public static final String YAMUX = "/yamux/1.0.0";
  public static final String IDENTIFY = "/ipfs/id/1.0.0";
  public static final String IDENTIFY_PUSH = "/ipfs/id/push/1.0.0";
  public static final String PING = "/ipfs/ping/1.0.0";
  private static final int PING_SIZE = 32;
  private static final long OTHER_CONNECTION_WAIT_NANOS = 2_000_000_000L;

  private final HostSettings settings;
  private final ConcurrentHashMap<String, StreamHandler> handlers = new ConcurrentHashMap<>();
  private final ConnectionManager manager;
  private final QuicEndpoints quic;
  private final RelayClient relayClient;
  private final ObservedAddrs observed = new ObservedAddrs();
  private final List<Consumer<Connection>> connectionListeners = new CopyOnWriteArrayList<>();
  private volatile HolePunch holePunch;
  private volatile RelayService relayService;
  private volatile dev.plasm.transport.libp2p.internal.autonat.AutoNat autoNat;
  private final Set<ConnectionImpl> connections;
  private final ConcurrentHashMap<PeerId, CompletableFuture<Connection>> dialing =
      new ConcurrentHashMap<>();
  private final List<ServerSocket> listeners = new CopyOnWriteArrayList<>();
  private final List<Multiaddr> boundAddrs = new CopyOnWriteArrayList<>();
  private final SecureRandom random = new SecureRandom();
  private final List<BiConsumer<Connection, IdentifyInfo>> identifyListeners =
      new CopyOnWriteArrayList<>();
  private final List<Consumer<PeerId>> unresponsiveListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<Duration>> resumeListeners = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  public HostCore(HostSettings settings) {
    this.settings = settings;
    this.manager = new ConnectionManager(settings);
    this.quic = new QuicEndpoints(this, settings, manager);
    this.relayClient = new RelayClient(this);
    this.connections = manager.connections();
    manager.onPause(this::resumed);
    handlers.put(IDENTIFY, this::serveIdentify);
    handlers.put(IDENTIFY_PUSH, this::receivePush);
    handlers.put(PING, HostCore::servePing);
    // Every host takes relayed connections (from relays it holds a reservation with).
    handlers.put(RelayMessages.STOP, relayClient::serveStop);
  }

  public HostSettings settings() {
    return settings;
  }

  public PeerId peerId() {
    return settings.identity().peerId();
  }

  // ---- protocol handlers ----

  boolean hasHandler(String protocol) {
    return handlers.containsKey(protocol);
  }

  StreamHandler handler(String protocol) {
    return handlers.get(protocol);
  }

  public void setHandler(String protocol, StreamHandler handler) {
    checkProtocolId(protocol);
    if (handlers.put(protocol, handler) == null) {
      pushIdentifyToAll();
    }
  }

  public boolean removeHandler(String protocol) {
    if (handlers.remove(protocol) != null) {
      pushIdentifyToAll();
      return true;
    }
    return false;
  }

  public Set<String> protocols() {
    return Collections.unmodifiableSet(new TreeSet<>(handlers.keySet()));
  }

  private static void checkProtocolId(String protocol) {
    if (protocol.isEmpty()
        || protocol.indexOf('\n') >= 0
        || protocol.length() >= Multistream.MAX_MESSAGE) {
      throw new IllegalArgumentException("invalid protocol id \"" + protocol + "\"");
    }
  }

  // ---- listening ----

  /** Listens on a TCP ({@code .../tcp/N}) or QUIC ({@code .../udp/N/quic-v1}) multiaddr. */
  public Multiaddr listen(Multiaddr addr) throws IOException {
    checkOpen();
    if (addr.isQuic()) {
      Multiaddr bound = Multiaddr.quic(quic.listen(addr.toQuicSocketAddress()));
      boundAddrs.add(bound);
      pushIdentifyToAll();
      return bound;
    }
    InetSocketAddress bind = addr.toTcpSocketAddress();
    ServerSocket ss = new ServerSocket();
    try {
      ss.bind(bind, 128);
    } catch (IOException e) {
      ss.close();
      throw new IOException("cannot listen on " + addr + ": " + e.getMessage(), e);
    }
    Multiaddr bound = Multiaddr.tcp(new InetSocketAddress(bind.getAddress(), ss.getLocalPort()));
    listeners.add(ss);
    boundAddrs.add(bound);
    Thread.ofVirtual().name("libp2p-accept " + bound).start(() -> acceptLoop(ss));
    pushIdentifyToAll();
    return bound;
  }

  /**
   * The addresses we listen on, with wildcard binds expanded to this machine's addresses, then our
   * relayed addresses (one per relay address of each reservation we hold).
   */
  public List<Multiaddr> listenAddrs() {
    List<Multiaddr> out = directListenAddrs();
    out.addAll(relayClient.circuitAddrs());
    return out;
  }

  /**
   * True if {@code local} (a connection's local address) is one of our listen ports: only what
   * peers observe of those says how we can be reached.
   */
  private boolean listensOn(Multiaddr local) {
    try {
      int port =
          local.isQuic()
              ? local.toQuicSocketAddress().getPort()
              : local.isTcp() ? local.toTcpSocketAddress().getPort() : -1;
      for (Multiaddr b : boundAddrs) {
        if (b.isQuic() == local.isQuic()
            && (b.isQuic() ? b.toQuicSocketAddress() : b.toTcpSocketAddress()).getPort() == port) {
          return true;
        }
      }
    } catch (IOException e) {
      // Not ours.
    }
    return false;
  }

  /** Our own listen addresses, without relayed ones. */
  public List<Multiaddr> directListenAddrs() {
    List<Multiaddr> out = new ArrayList<>();
    for (Multiaddr m : boundAddrs) {
      try {
        boolean isQuic = m.isQuic();
        InetSocketAddress sa = isQuic ? m.toQuicSocketAddress() : m.toTcpSocketAddress();
        if (!sa.getAddress().isAnyLocalAddress()) {
          out.add(m);
          continue;
        }
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
          if (!ni.isUp()) {
            continue;
          }
          for (InetAddress a : Collections.list(ni.getInetAddresses())) {
            if ((a instanceof Inet4Address) == (sa.getAddress() instanceof Inet4Address)
                && !a.isLinkLocalAddress()) {
              InetSocketAddress one = new InetSocketAddress(a, sa.getPort());
              out.add(isQuic ? Multiaddr.quic(one) : Multiaddr.tcp(one));
            }
          }
        }
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "cannot expand {0}: {1}", m, e);
      }
    }
    return out;
  }

  private void acceptLoop(ServerSocket ss) {
    while (!ss.isClosed()) {
      Socket s;
      try {
        s = ss.accept();
      } catch (IOException e) {
        if (!ss.isClosed()) {
          LOG.log(Level.WARNING, "accept failed on {0}: {1}", ss.getLocalSocketAddress(), e);
        }
        return;
      }
      InetSocketAddress remote = (InetSocketAddress) s.getRemoteSocketAddress();
      Multiaddr from = Multiaddr.tcp(remote);
      ConnectionManager.Handshake h = manager.admitInbound(s, remote, from);
      if (h == null) {
        continue;
      }
      Thread.ofVirtual()
          .name("libp2p-upgrade " + remote)
          .start(
              () -> {
                try (h) {
                  upgradeInbound(s, h);
                } catch (IOException | RuntimeException e) {
                  inboundFailed(h, from, e);
                }
              });
    }
  }

  /** Logs (once) and reports an inbound connection that did not make it through the upgrade. */
  void inboundFailed(ConnectionManager.Handshake h, Multiaddr from, Exception e) {
    ConnectionManager.closeQuietly(h.resource);
    if (closed || e instanceof LimitReached) {
      return; // shutting down, or the connection manager has reported it
    }
    PeerDrop.Reason reason;
    Level level;
    String detail;
    if (h.expired() || e instanceof SocketTimeoutException) {
      reason = PeerDrop.Reason.HANDSHAKE_TIMEOUT;
      level = Level.INFO;
      detail = "no complete handshake within " + settings.handshakeTimeout().toMillis() + " ms";
    } else {
      reason = PeerDrop.Reason.HANDSHAKE_FAILED;
      // A protocol violation is worth a warning; a peer that just hung up is not.
      level = e instanceof Libp2pException ? Level.WARNING : Level.DEBUG;
      detail = e.getMessage() != null ? e.getMessage() : e.toString();
    }
    LOG.log(level, "dropping inbound connection from {0}: {1}", from, detail);
    manager.dropped(new PeerDrop(from, Optional.empty(), reason, detail));
  }

  private void upgradeInbound(Socket socket, ConnectionManager.Handshake h) throws IOException {
    socket.setTcpNoDelay(true);
    socket.setSoTimeout((int) settings.handshakeTimeout().toMillis());
    Secured sec = secure(socket.getInputStream(), socket.getOutputStream(), false, null);
    socket.setSoTimeout(0);
    register(tcpConnection(socket, sec, false), h);
  }

  /** A byte stream after Noise and the muxer choice: ready for a Yamux session. */
  record Secured(NoiseHandshake.Result noise, boolean muxerInlined) {}

  /**
   * Noise and the muxer choice over any byte stream (a TCP socket, a relayed circuit): as the
   * initiator we select {@code /noise} and check the peer is {@code expected}; as the responder we
   * answer.
   */
  Secured secure(InputStream rawIn, OutputStream out, boolean initiator, PeerId expected)
      throws IOException {
    return secure(rawIn, out, initiator, expected, settings.identity());
  }

  private Secured secure(
      InputStream rawIn,
      OutputStream out,
      boolean initiator,
      PeerId expected,
      dev.plasm.identity.NodeIdentity identity)
      throws IOException {
    InputStream in = new BufferedInputStream(rawIn, 64 * 1024);
    List<String> ours = settings.inlineMuxerNegotiation() ? List.of(YAMUX) : List.of();
    List<String> offered = ours.isEmpty() ? null : ours;
    if (initiator) {
      Multistream.select(in, out, List.of(NoiseHandshake.PROTOCOL_ID));
      NoiseHandshake.Result sec = NoiseHandshake.initiate(in, out, identity, expected, ours);
      boolean inlined = YAMUX.equals(NoiseHandshake.agreedMuxer(offered, sec.remoteMuxers()));
      if (!inlined) {
        Multistream.select(sec.channel().input(), sec.channel().output(), List.of(YAMUX));
      }
      return new Secured(sec, inlined);
    }
    Multistream.handle(in, out, NoiseHandshake.PROTOCOL_ID::equals);
    NoiseHandshake.Result sec = NoiseHandshake.respond(in, out, identity, ours);
    boolean inlined = YAMUX.equals(NoiseHandshake.agreedMuxer(sec.remoteMuxers(), offered));
    if (!inlined) {
      Multistream.handle(sec.channel().input(), sec.channel().output(), YAMUX::equals);
    }
    return new Secured(sec, inlined);
  }

  private YamuxConnection tcpConnection(Socket socket, Secured sec, boolean outbound) {
    InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
    return new YamuxConnection(
        this,
        socket,
        Multiaddr.tcp(remote),
        Multiaddr.tcp((InetSocketAddress) socket.getLocalSocketAddress()),
        remote.getAddress(),
        sec.noise(),
        outbound,
        sec.muxerInlined(),
        "tcp");
  }

  // ---- dialing ----

  public Connection dial(Multiaddr addr) throws IOException {
    checkOpen();
    PeerId expected =
        addr.peerId()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "dialing needs the peer id to authenticate the peer: add /p2p/<peer id> to "
                            + addr));
    if (expected.equals(peerId())) {
      throw new IllegalArgumentException("refusing to dial ourselves: " + addr);
    }
    // An open connection is reused, except that a direct address gets a direct connection even
    // while a relayed one is open (it then replaces the relayed one).
    Optional<Connection> existing =
        connection(expected).filter(c -> !c.isRelayed() || addr.isCircuit());
    if (existing.isPresent()) {
      return existing.get();
    }
    // Concurrent dials to one peer share one attempt.
    CompletableFuture<Connection> mine = new CompletableFuture<>();
    CompletableFuture<Connection> running = dialing.putIfAbsent(expected, mine);
    if (running != null) {
      return awaitDial(running, expected);
    }
    try {
      Connection c =
          connection(expected).filter(x -> !x.isRelayed() || addr.isCircuit()).orElse(null);
      if (c == null) {
        if (addr.isCircuit()) {
          c = relayClient.dial(addr, expected);
        } else if (addr.isQuic()) {
          c = quic.dial(addr.toQuicSocketAddress(), expected);
        } else if (addr.isTcp()) {
          c = dialNew(addr.toTcpSocketAddress(), expected);
        } else {
          throw new IllegalArgumentException(
              "cannot dial "
                  + addr
                  + ": only TCP (/tcp/N), QUIC (/udp/N/quic-v1) and relayed (.../p2p-circuit) addresses are dialed");
        }
      }
      mine.complete(c);
      return c;
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      dialing.remove(expected, mine);
    }
  }

  /**
   * Connects to {@code peer} through the first of {@code addrs} that works, QUIC addresses first
   * (one round trip less, and no head-of-line blocking between streams), then TCP, then relayed
   * ones; reuses an open connection.
   */
  public Connection dial(PeerId peer, java.util.Collection<Multiaddr> addrs) throws IOException {
    List<Multiaddr> ordered =
        addrs.stream()
            .map(Multiaddr::withoutPeerId)
            .distinct()
            .filter(a -> dialRank(a) < Integer.MAX_VALUE)
            .sorted(java.util.Comparator.comparingInt(HostCore::dialRank))
            .toList();
    // A relayed connection is reused only if there is no direct address to try.
    boolean direct = ordered.stream().anyMatch(a -> !a.isCircuit());
    Optional<Connection> existing = connection(peer).filter(c -> !c.isRelayed() || !direct);
    if (existing.isPresent()) {
      return existing.get();
    }
    IOException last = null;
    for (Multiaddr a : ordered) {
      try {
        return dial(a.withPeerId(peer));
      } catch (IOException e) {
        last = e;
      } catch (Libp2pException | IllegalArgumentException e) {
        last = new IOException(a + ": " + e.getMessage(), e);
      }
    }
    if (last != null) {
      throw last;
    }
    throw new IOException("no dialable address for " + peer + " among " + addrs);
  }

  /** The order {@link #dial(PeerId, java.util.Collection)} tries addresses in; MAX_VALUE: not dialable. */
  static int dialRank(Multiaddr a) {
    if (a.isQuic()) {
      return QuicEndpoints.available() ? 0 : Integer.MAX_VALUE;
    }
    if (a.isTcp()) {
      return 1;
    }
    if (a.isCircuit()) {
      return 2;
    }
    return Integer.MAX_VALUE;
  }

  private Connection dialNew(InetSocketAddress target, PeerId expected) throws IOException {
    Socket socket = new Socket();
    ConnectionManager.Handshake h = manager.beginOutbound(socket, target);
    try (h) {
      socket.connect(target, (int) settings.dialTimeout().toMillis());
      return upgradeOutbound(socket, h, expected);
    } catch (IOException | RuntimeException e) {
      closeQuietly(socket);
      if (h.expired()) {
        throw new SocketTimeoutException(
            "no complete handshake with "
                + expected
                + " within "
                + settings.handshakeTimeout().toMillis()
                + " ms");
      }
      throw e;
    }
  }

  private Connection awaitDial(CompletableFuture<Connection> running, PeerId peer)
      throws IOException {
    try {
      return running.get(
          settings.dialTimeout().plus(settings.handshakeTimeout()).toMillis() + 1000,
          TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw new IOException("dialing " + peer + " failed: " + io.getMessage(), io);
      }
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException(e.getCause());
    } catch (TimeoutException e) {
      throw new SocketTimeoutException("the dial to " + peer + " already under way did not finish");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while dialing " + peer);
    }
  }

  private Connection upgradeOutbound(Socket socket, ConnectionManager.Handshake h, PeerId expected)
      throws IOException {
    socket.setTcpNoDelay(true);
    socket.setSoTimeout((int) settings.handshakeTimeout().toMillis());
    Secured sec = secure(socket.getInputStream(), socket.getOutputStream(), true, expected);
    socket.setSoTimeout(0);
    return register(tcpConnection(socket, sec, true), h);
  }

  ConnectionImpl register(ConnectionImpl c, ConnectionManager.Handshake h) {
    if (closed) {
      c.close();
      throw new Libp2pException("host closed");
    }
    c.closed()
        .whenComplete(
            (reason, t) -> {
              c.identifyFailed(new IOException("connection closed: " + reason));
              if (c.misbehaved()) {
                manager.dropped(
                    new PeerDrop(
                        c.remoteAddr(),
                        Optional.of(c.remotePeer()),
                        PeerDrop.Reason.MISBEHAVED,
                        reason));
              } else if (c.unresponsive() && !closed) {
                if (manager.pausedRecently()) {
                  // Our own timers ran out while this process stood still: the peer may be fine,
                  // and the
                  // resume round reconnects to it.
                  LOG.log(
                      Level.INFO,
                      "closed {0}: it timed out while this process stood still ({1})",
                      c,
                      reason);
                  return;
                }
                LOG.log(Level.INFO, "closed {0}: the peer stopped answering ({1})", c, reason);
                if (connection(c.remotePeer()).isEmpty()) {
                  for (Consumer<PeerId> l : unresponsiveListeners) {
                    l.accept(c.remotePeer());
                  }
                }
              }
            });
    ConnectionImpl use = manager.register(c, h);
    // The handshake is over before the connection goes live: otherwise its deadline could still
    // close the established connection's socket under a peer that is already opening streams, and
    // its slot would count against the handshake cap while the upgrade thread finishes up.
    h.close();
    if (use == null) {
      c.close();
      throw new LimitReached(
          "connection limit of " + settings.maxConnections() + " reached; " + c + " closed");
    }
    c.start();
    if (use != c) {
      return use; // c lost the one-connection-per-peer choice and drains
    }
    for (Consumer<Connection> l : connectionListeners) {
      l.accept(c);
    }
    LOG.log(
        Level.DEBUG,
        "{0} established{1}",
        c,
        c instanceof YamuxConnection y && y.muxerInlined() ? " (muxer inlined in Noise)" : "");
    // Like js-libp2p: identify every new connection at once.
    Thread.startVirtualThread(
        () -> {
          try {
            identify(c);
          } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "identify on {0} failed: {1}", c, e);
            c.identifyFailed(e);
          }
        });
    return c;
  }

  public List<Connection> connections() {
    return List.copyOf(connections);
  }

  public Optional<Connection> connection(PeerId peer) {
    // The newest: of two the peer dialed (see ConnectionManager.register), the older may be on its
    // way out.
    return connections.stream()
        .filter(c -> c.remotePeer().equals(peer) && c.acceptsNewStreams())
        .max(java.util.Comparator.comparingLong(ConnectionImpl::registration))
        .map(c -> (Connection) c);
  }

  // ---- connection management ----

  /**
   * Another open connection to {@code peer} than {@code not}, waiting a little for one still in
   * its upgrade (the one both sides keep after simultaneous dials); null if none comes.
   */
  Connection awaitOtherConnection(PeerId peer, Connection not) {
    long deadline =
        System.nanoTime()
            + Math.min(settings.handshakeTimeout().toNanos(), OTHER_CONNECTION_WAIT_NANOS);
    while (true) {
      for (ConnectionImpl c : connections) {
        if (c != not && c.remotePeer().equals(peer) && c.acceptsNewStreams()) {
          return c;
        }
      }
      if (System.nanoTime() - deadline > 0 || closed) {
        return null;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  /**
   * Keeps connections to {@code peer} open when idle or when limits trim connections, until every
   * {@code tag} that protects it (one per user: the DHT, a relay reservation, the host's caller)
   * has been withdrawn.
   */
  public void protect(PeerId peer, String tag) {
    manager.protect(peer, tag);
  }

  public boolean unprotect(PeerId peer, String tag) {
    return manager.unprotect(peer, tag);
  }

  public boolean isProtected(PeerId peer) {
    return manager.isProtected(peer);
  }

  public void addDropListener(Consumer<PeerDrop> listener) {
    manager.addDropListener(listener);
  }

  public void removeDropListener(Consumer<PeerDrop> listener) {
    manager.removeDropListener(listener);
  }

  /** Open streams on our open connections with {@code peer}. */
  public int streamsWith(PeerId peer) {
    int n = 0;
    for (ConnectionImpl c : connections) {
      if (c.remotePeer().equals(peer) && c.isOpen()) {
        n += c.streamCount();
      }
    }
    return n;
  }

  /** Connection upgrades in progress, both directions. */
  public int handshakesInProgress() {
    return manager.handshakesInProgress();
  }

  /** Inbound connections, upgrading or established, counted against {@code ip}. */
  public int inboundFrom(InetAddress ip) {
    return manager.inboundFrom(ip);
  }

  // ---- reachability ----

  /** A throw-away identity for dial-backs: the peer must not take them for a second connection to us. */
  private final dev.plasm.identity.NodeIdentity probeIdentity =
      dev.plasm.identity.NodeIdentity.ephemeral();

  /**
   * Checks that {@code expected} answers at {@code addr} (TCP or QUIC): a fresh connection from a
   * fresh port under a throw-away identity, closed once its handshake proves the peer. AutoNAT
   * answers with this.
   *
   * @throws IOException if the peer does not answer there, or another peer does
   */
  public void probe(Multiaddr addr, PeerId expected) throws IOException {
    checkOpen();
    if (addr.isQuic()) {
      quic.probe(addr.toQuicSocketAddress(), expected);
      return;
    }
    if (!addr.isTcp()) {
      throw new IllegalArgumentException("only TCP and QUIC addresses are probed, not " + addr);
    }
    try (Socket s = new Socket()) {
      s.connect(addr.toTcpSocketAddress(), (int) settings.dialTimeout().toMillis());
      s.setSoTimeout((int) settings.handshakeTimeout().toMillis());
      secure(s.getInputStream(), s.getOutputStream(), true, expected, probeIdentity);
    }
  }

  /**
   * Serves AutoNAT and starts asking peers to dial us back: the first check after {@code
   * firstCheck}, then every {@code interval} (every minute while undecided). Replaces an earlier
   * one.
   */
  public dev.plasm.transport.libp2p.internal.autonat.AutoNat startAutoNat(
      int confidence, Duration firstCheck, Duration interval) {
    var a = new dev.plasm.transport.libp2p.internal.autonat.AutoNat(this, confidence, interval);
    var old = autoNat;
    autoNat = a;
    if (old != null) {
      old.close();
    }
    a.start(firstCheck);
    return a;
  }

  public Optional<dev.plasm.transport.libp2p.internal.autonat.AutoNat> autoNat() {
    return Optional.ofNullable(autoNat);
  }

  /** Called (on the registering thread; it must not block) for each new connection that is kept. */
  public void addConnectionListener(Consumer<Connection> l) {
    connectionListeners.add(l);
  }

  /**
   * Upgrades relayed connections to direct ones (DCUtR) from now on: serves {@code /libp2p/dcutr}
   * and starts a hole punch for each relayed connection a peer opens to us.
   */
  public synchronized void startHolePunching() {
    if (holePunch == null) {
      holePunch = new HolePunch(this, quic);
      handlers.put(HolePunch.PROTOCOL, holePunch::serve);
      addConnectionListener(holePunch::connected);
      pushIdentifyToAll();
    }
  }

  /** Addresses peers saw us at (identify's observed address), for our own listen ports only. */
  public ObservedAddrs observedAddrs() {
    return observed;
  }

  // ---- relaying ----

  /**
   * Upgrades a relayed stream into a connection (Noise and Yamux over the circuit), as the dialer
   * ({@code initiator}, expecting {@code peer}) or as the target (the relay named {@code peer} as
   * the initiator, and the Noise handshake must prove it).
   */
  public Connection upgradeRelayed(Stream s, boolean initiator, PeerId peer, Multiaddr remoteAddr)
      throws IOException {
    java.io.Closeable transport = s::close;
    ConnectionManager.Handshake h =
        initiator
            ? manager.beginOutbound(transport, null)
            : manager.admitInbound(transport, null, remoteAddr);
    if (h == null) {
      throw new LimitReached("a relayed connection from " + peer + " was refused by a limit");
    }
    try (h) {
      Secured sec = secure(s.input(), s.output(), initiator, initiator ? peer : null);
      if (!initiator && !sec.noise().remotePeer().equals(peer)) {
        throw new dev.plasm.transport.libp2p.HandshakeException(
            "the relay announced "
                + peer
                + " but "
                + sec.noise().remotePeer()
                + " answered the relayed connection");
      }
      YamuxConnection c =
          new YamuxConnection(
              this,
              transport,
              remoteAddr,
              RELAYED_LOCAL,
              null,
              sec.noise(),
              initiator,
              sec.muxerInlined(),
              ConnectionImpl.RELAY);
      return register(c, h);
    } catch (IOException | RuntimeException e) {
      s.reset();
      if (!initiator) {
        inboundFailed(h, remoteAddr, e);
      }
      throw e;
    }
  }

  private static final Multiaddr RELAYED_LOCAL = Multiaddr.parse("/p2p-circuit");

  /** Starts serving as a circuit relay (the hop protocol) within {@code limits}; replaces an earlier service. */
  public void startRelayService(RelayLimits limits) {
    RelayService s = new RelayService(this, limits);
    RelayService old = relayService;
    relayService = s;
    if (old != null) {
      old.close();
    }
    s.start();
  }

  /** Stops serving as a relay; relayed connections through us are reset. */
  public boolean stopRelayService() {
    RelayService old = relayService;
    relayService = null;
    if (old != null) {
      old.close();
    }
    return old != null;
  }

  /** The relay service, if started. */
  public Optional<RelayService> relayService() {
    return Optional.ofNullable(relayService);
  }

  public RelayClient relayClient() {
    return relayClient;
  }

  /** Our advertised addresses changed (a reservation came or went): tell connected peers. */
  public void listenAddrsChanged() {
    pushIdentifyToAll();
  }

  /** Drops a peer that broke a protocol's rules above the muxer (e.g. abusing our relay): one log line. */
  public void dropMisbehaving(Connection c, String why) {
    LOG.log(Level.WARNING, "dropping {0}: {1}", c, why);
    manager.dropped(
        new PeerDrop(c.remoteAddr(), Optional.of(c.remotePeer()), PeerDrop.Reason.MISBEHAVED, why));
    c.close();
  }

  // ---- identify ----

  /**
   * Calls {@code listener} (on its own virtual thread) whenever a peer's identify information is
   * received or updated by a push; the DHT uses it to find peers that serve its protocol.
   */
  public void addIdentifyListener(BiConsumer<Connection, IdentifyInfo> listener) {
    identifyListeners.add(listener);
  }

  public void removeIdentifyListener(BiConsumer<Connection, IdentifyInfo> listener) {
    identifyListeners.remove(listener);
  }

  private void identified(ConnectionImpl c, IdentifyInfo info) {
    c.updateIdentify(info);
    info.observedAddr()
        .ifPresent(
            o -> {
              if (!c.relayed() && listensOn(c.localAddr())) {
                observed.record(c.remotePeer(), o);
              }
            });
    for (BiConsumer<Connection, IdentifyInfo> l : identifyListeners) {
      Thread.startVirtualThread(
          () -> {
            try {
              l.accept(c, info);
            } catch (RuntimeException e) {
              LOG.log(Level.WARNING, "identify listener failed for {0}: {1}", c, e);
            }
          });
    }
  }

  IdentifyInfo ourInfo(Connection c) {
    return new IdentifyInfo(
        settings.protocolVersion(),
        settings.agentVersion(),
        settings.identity().publicKey(),
        listenAddrs(),
        Optional.of(c.remoteAddr()),
        List.copyOf(protocols()));
  }

  private void serveIdentify(Stream s) throws IOException {
    Delimited.write(s.output(), IdentifyCodec.encode(ourInfo(s.connection())));
    s.closeWrite();
  }

  /** Asks the peer for its identify message and records it on the connection. */
  public IdentifyInfo identify(Connection connection) throws IOException {
    ConnectionImpl c = (ConnectionImpl) connection;
    try (Stream s = c.newStream(IDENTIFY)) {
      s.setReadTimeout(settings.negotiationTimeout());
      IdentifyInfo info =
          apply(c, Delimited.read(s.input(), IdentifyCodec.MAX_MESSAGE, "identify message"));
      identified(c, info);
      return info;
    }
  }

  private void receivePush(Stream s) throws IOException {
    ConnectionImpl c = (ConnectionImpl) s.connection();
    s.setReadTimeout(settings.negotiationTimeout());
    identified(
        c, apply(c, Delimited.read(s.input(), IdentifyCodec.MAX_MESSAGE, "identify message")));
  }

  private IdentifyInfo apply(ConnectionImpl c, byte[] message) {
    List<String> skipped = new ArrayList<>();
    IdentifyCodec.Partial p = IdentifyCodec.decode(message, skipped);
    if (!skipped.isEmpty()) {
      LOG.log(Level.DEBUG, "{0}: identify addresses skipped: {1}", c, skipped);
    }
    if (p.publicKey() != null) {
      PeerPublicKey key;
      try {
        key = PeerPublicKey.decode(p.publicKey());
      } catch (KeyFormatException e) {
        throw new MalformedMessageException(
            "identify from " + c.remotePeer() + " carries a bad public key: " + e.getMessage(), e);
      }
      if (!key.equals(c.remotePublicKey())) {
        throw new MalformedMessageException(
            "identify from " + c.remotePeer() + " carries the key of " + key.peerId());
      }
    }
    return IdentifyCodec.merge(c.currentIdentify(), p, c.remotePublicKey());
  }

  private void pushIdentifyToAll() {
    for (ConnectionImpl c : connections) {
      Thread.startVirtualThread(
          () -> {
            try (Stream s = c.newStream(IDENTIFY_PUSH)) {
              Delimited.write(s.output(), IdentifyCodec.encode(ourInfo(c)));
              s.closeWrite();
            } catch (ProtocolNotSupportedException e) {
              LOG.log(Level.DEBUG, "{0} does not take identify pushes", c);
            } catch (IOException | RuntimeException e) {
              LOG.log(Level.DEBUG, "identify push to {0} failed: {1}", c, e);
            }
          });
    }
  }

  // ---- ping ----

  private static void servePing(Stream s) throws IOException {
    byte[] buf = new byte[PING_SIZE];
    while (true) {
      int n = s.input().readNBytes(buf, 0, PING_SIZE);
      if (n < PING_SIZE) {
        return;
      }
      s.output().write(buf);
    }
  }

  /** One {@code /ipfs/ping/1.0.0} round trip: 32 random bytes out, the same 32 bytes back. */
  public Duration ping(Connection connection, Duration timeout) throws IOException {
    return ping(connection.newStream(PING), timeout);
  }

  private Duration ping(Stream stream, Duration timeout) throws IOException {
    try (Stream s = stream) {
      s.setReadTimeout(timeout);
      byte[] sent = new byte[PING_SIZE];
      random.nextBytes(sent);
      long start = System.nanoTime();
      s.output().write(sent);
      byte[] back = s.input().readNBytes(PING_SIZE);
      long rtt = System.nanoTime() - start;
      if (back.length < PING_SIZE) {
        throw new EOFException("ping stream closed before the echo");
      }
      if (!MessageDigest.isEqual(sent, back)) {
        throw new MalformedMessageException("ping echo differs from what was sent");
      }
      s.closeWrite();
      return Duration.ofNanos(rtt);
    }
  }

  // ---- liveness ----

  /**
   * One liveness round trip on {@code c} within {@code timeout}: a Yamux ping, or on QUIC (Netty
   * exposes no QUIC PING) a ping stream that is not stream activity. A connection that does not
   * answer in time, stream negotiation included, is closed as unresponsive (one log line, and the
   * unresponsive-peer listeners hear of it). Returns whether it answered.
   */
  boolean checkAlive(ConnectionImpl c, Duration timeout) {
    if (!c.isOpen()) {
      return false;
    }
    CompletableFuture<Void> answered = new CompletableFuture<>();
    Thread.ofVirtual()
        .name("libp2p-liveness " + c.remotePeer())
        .start(
            () -> {
              try {
                if (!c.carrierPing(timeout)) {
                  ping(c.newHousekeepingStream(PING), timeout);
                }
                answered.complete(null);
              } catch (ProtocolNotSupportedException e) {
                answered.complete(null); // it answered the negotiation, so it is there
              } catch (IOException | RuntimeException e) {
                answered.completeExceptionally(e);
              }
            });
    try {
      answered.get(timeout.toMillis() + 100, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException | ExecutionException e) {
      if (c.isOpen() && !closed) {
        c.markUnresponsive();
        c.close();
      }
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return c.isOpen();
    }
  }

  /**
   * Told (on a thread of its own) when a peer stopped answering on its last connection, which was
   * closed: it froze, vanished, or the network between us broke.
   */
  public void addUnresponsivePeerListener(Consumer<PeerId> listener) {
    unresponsiveListeners.add(listener);
  }

  public void removeUnresponsivePeerListener(Consumer<PeerId> listener) {
    unresponsiveListeners.remove(listener);
  }

  /**
   * Told how long the process stood still, once every connection has been checked after it ran
   * again (those whose peers gave up on us are closed by then): the time to reconnect.
   */
  public void addResumeListener(Consumer<Duration> listener) {
    resumeListeners.add(listener);
  }

  public void removeResumeListener(Consumer<Duration> listener) {
    resumeListeners.remove(listener);
  }

  /** The process ran again after {@code paused}: check every connection, then tell the listeners. */
  private void resumed(Duration paused) {
    if (closed) {
      return;
    }
    LOG.log(
        Level.INFO,
        "the process stood still for {0} s (stopped, suspended or starved); checking its {1} connections",
        paused.toSeconds(),
        connections.size());
    Thread.ofVirtual()
        .name("libp2p-resume " + peerId())
        .start(
            () -> {
              Duration timeout = settings.yamux().pingTimeout();
              List<Thread> checks = new ArrayList<>();
              for (ConnectionImpl c : connections) {
                checks.add(Thread.startVirtualThread(() -> checkAlive(c, timeout)));
              }
              join(checks, timeout.plusSeconds(1));
              for (Consumer<Duration> l : resumeListeners) {
                try {
                  l.accept(paused);
                } catch (RuntimeException e) {
                  LOG.log(Level.WARNING, "resume listener failed: {0}", e.toString());
                }
              }
            });
  }

  // ---- helpers ----

  /** The connection limit refused an upgraded connection (already logged and reported). */
  static final class LimitReached extends Libp2pException {
    private static final long serialVersionUID = 1L;

    LimitReached(String message) {
      super(message);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new Libp2pException("host closed");
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // Nothing more to release.
    }
  }

  @Override
  public void close() {
    closed = true;
    for (ServerSocket ss : listeners) {
      try {
        ss.close();
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "closing listener: {0}", e.toString());
      }
    }
    listeners.clear();
    boundAddrs.clear();
    stopRelayService();
    relayClient.close();
    if (autoNat != null) {
      autoNat.close();
    }
    manager.close();
    List<Thread> closing = closeConnections();
    join(closing, Duration.ofSeconds(2));
    quic.close();
  }

  private List<Thread> closeConnections() {
    // In parallel: each close waits up to a second for its writer to flush the GoAway.
    List<Thread> closing = new ArrayList<>();
    for (ConnectionImpl c : connections) {
      closing.add(Thread.startVirtualThread(c::close));
    }
    return closing;
  }

  private static void join(List<Thread> threads, Duration each) {
    boolean interrupted = false;
    for (Thread t : threads) {
      try {
        t.join(each);
      } catch (InterruptedException e) {
        // Keep closing: an early return would leave the rest of the host half torn down.
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
