package dev.plasm.transport.libp2p;

import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.internal.host.HostCore;
import dev.plasm.transport.libp2p.internal.host.HostSettings;
import dev.plasm.transport.libp2p.internal.yamux.YamuxConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A libp2p node: listens on and dials TCP multiaddrs, upgrades each connection with Noise and
 * Yamux, and serves registered protocols plus identify ({@value #IDENTIFY}, {@value
 * #IDENTIFY_PUSH}) and ping ({@value #PING}).
 *
 * <pre>{@code
 * try (Host host = Host.builder().build()) {
 *   host.setHandler("/plasm/echo/1.0.0", s -> s.input().transferTo(s.output()));
 *   Multiaddr addr = host.listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
 *   Connection c = host.dial(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW..."));
 *   try (Stream s = c.newStream("/plasm/echo/1.0.0")) { ... }
 * }
 * }</pre>
 *
 * <p>Thread-safe. Blocking calls are meant for virtual threads; the host starts its own virtual
 * threads for accepting, reading and writing.
 */
public final class Host implements AutoCloseable {
  public static final String IDENTIFY = HostCore.IDENTIFY;
  public static final String IDENTIFY_PUSH = HostCore.IDENTIFY_PUSH;
  public static final String PING = HostCore.PING;
  public static final String DEFAULT_AGENT_VERSION = "plasm/0.1.0";

  /** The protection tag of {@link #protect}; the DHT and relay reservations protect under their own. */
  private static final String PROTECTED_BY_USER = "host";

  private final HostCore core;

  private Host(HostCore core) {
    this.core = core;
  }

  public static Builder builder() {
    return new Builder();
  }

  public PeerId peerId() {
    return core.peerId();
  }

  /** The machinery, for the module's own services (the DHT); not exported. */
  HostCore core() {
    return core;
  }

  /** Starts listening; returns the bound address (with the real port if 0 was asked for). */
  public Multiaddr listen(Multiaddr addr) throws IOException {
    return core.listen(addr);
  }

  /**
   * Our listen addresses, as identify announces them (wildcard binds expanded), then our relayed
   * addresses ({@code .../p2p/<relay>/p2p-circuit}) while we hold reservations.
   */
  public List<Multiaddr> listenAddrs() {
    return core.listenAddrs();
  }

  /**
   * Connects to the peer at {@code addr}, which must end in {@code /p2p/<peer id>}; reuses an open
   * connection to that peer.
   *
   * @throws PeerIdMismatchException if a different peer answers
   */
  public Connection dial(Multiaddr addr) throws IOException {
    return core.dial(addr);
  }

  /**
   * Connects to {@code peer} at the first of {@code addrs} that answers, QUIC before TCP before
   * relayed addresses; reuses an open connection. Addresses of other transports are skipped.
   *
   * @throws IOException with the last failure if none works
   */
  public Connection dial(PeerId peer, List<Multiaddr> addrs) throws IOException {
    return core.dial(peer, addrs);
  }

  /** Dials (or reuses a connection) and opens a stream for the first supported protocol. */
  public Stream newStream(Multiaddr addr, String... protocols) throws IOException {
    return dial(addr).newStream(protocols);
  }

  /** Serves {@code protocol}; connected peers are told with an identify push. */
  public void setHandler(String protocol, StreamHandler handler) {
    core.setHandler(protocol, Objects.requireNonNull(handler));
  }

  public boolean removeHandler(String protocol) {
    return core.removeHandler(protocol);
  }

  /** The protocols we serve, built-ins included. */
  public Set<String> protocols() {
    return core.protocols();
  }

  public List<Connection> connections() {
    return core.connections();
  }

  public Optional<Connection> connection(PeerId peer) {
    return core.connection(peer);
  }

  /**
   * Keeps connections to {@code peer} open: they are not closed when idle nor trimmed when the
   * connection limit is reached (the DHT protects its bootstrap peers).
   */
  public void protect(PeerId peer) {
    core.protect(Objects.requireNonNull(peer), PROTECTED_BY_USER);
  }

  /** Undoes {@link #protect}; returns false if the peer was not protected. */
  public boolean unprotect(PeerId peer) {
    return core.unprotect(peer, PROTECTED_BY_USER);
  }

  public boolean isProtected(PeerId peer) {
    return core.isProtected(peer);
  }

  /**
   * Calls {@code listener} (on the thread that dropped the peer) for each peer this host drops:
   * refused by a limit, failed or stalled in the upgrade, or cut off for breaking the protocol.
   */
  public void addDropListener(Consumer<PeerDrop> listener) {
    core.addDropListener(Objects.requireNonNull(listener));
  }

  public void removeDropListener(Consumer<PeerDrop> listener) {
    core.removeDropListener(listener);
  }

  /** Measures one {@value #PING} round trip. */
  public Duration ping(Connection connection) throws IOException {
    return core.ping(connection, Duration.ofSeconds(10));
  }

  /** Runs {@value #IDENTIFY} now and returns (and records) what the peer says. */
  public IdentifyInfo identify(Connection connection) throws IOException {
    return core.identify(connection);
  }

  // ---- circuit relay v2 ----

  /**
   * Serves as a circuit relay for other peers (the hop protocol), within {@code limits}; replaces
   * an earlier relay service. Every host already takes relayed connections and dials relayed
   * addresses; this makes it carry other peers' connections.
   */
  public void startRelayService(RelayLimits limits) {
    core.startRelayService(Objects.requireNonNull(limits));
  }

  /** Stops relaying; circuits through us are reset. Returns whether the service was running. */
  public boolean stopRelayService() {
    return core.stopRelayService();
  }

  /**
   * Reserves a slot on the relay at {@code relayAddr} (ending in {@code /p2p/<relay>}): peers can
   * then reach us at the returned addresses, which identify announces from now on. The host keeps
   * the relay connection and renews the reservation before it expires.
   *
   * @throws Libp2pException if the relay refuses (its status names why)
   */
  public RelayReservation reserve(Multiaddr relayAddr) throws IOException {
    return core.relayClient().reserve(relayAddr);
  }

  /** Gives up a reservation; returns whether there was one. */
  public boolean releaseReservation(PeerId relay) {
    return core.relayClient().release(relay);
  }

  /** The reservations held now. */
  public List<RelayReservation> reservations() {
    return core.relayClient().reservations();
  }

  /**
   * Upgrades relayed connections to direct ones where the NATs allow it (DCUtR over QUIC): for each
   * relayed connection a peer opens to us, we synchronise a simultaneous open through the relay.
   */
  public void startHolePunching() {
    core.startHolePunching();
  }

  // ---- AutoNAT ----

  /**
   * Serves AutoNAT (dial-backs for peers) and starts finding out whether peers can dial us:
   * connected peers that serve it are asked to dial back our listen and observed addresses, first
   * after {@code firstCheck}, then every {@code interval} (every minute while undecided). {@code
   * confidence} agreeing answers decide.
   */
  public void startAutoNat(int confidence, Duration firstCheck, Duration interval) {
    core.startAutoNat(confidence, firstCheck, interval);
  }

  /** What AutoNAT found out ({@link Reachability#UNKNOWN} until started and decided). */
  public Reachability reachability() {
    return core.autoNat().map(a -> a.reachability()).orElse(Reachability.UNKNOWN);
  }

  /** Runs an AutoNAT check now (started with {@link #startAutoNat}) and returns its outcome. */
  public Reachability checkReachability() {
    return core.autoNat()
        .orElseThrow(() -> new IllegalStateException("AutoNAT is not started (Host.startAutoNat)"))
        .check();
  }

  /** Called whenever the AutoNAT status changes (after {@link #startAutoNat}). */
  public void addReachabilityListener(Consumer<Reachability> listener) {
    core.autoNat()
        .orElseThrow(() -> new IllegalStateException("AutoNAT is not started (Host.startAutoNat)"))
        .addListener(Objects.requireNonNull(listener));
  }

  /** Stops listening and closes every connection. */
  @Override
  public void close() {
    core.close();
  }

  @Override
  public String toString() {
    return "Host[" + peerId() + "]";
  }

  /** Collects a host's settings; every one has a default. */
  public static final class Builder {
    private NodeIdentity identity;
    private String agentVersion = DEFAULT_AGENT_VERSION;
    private String protocolVersion = "ipfs/0.1.0";
    private Duration dialTimeout = Duration.ofSeconds(10);
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private Duration negotiationTimeout = Duration.ofSeconds(10);
    private Duration keepAliveInterval = YamuxConfig.DEFAULTS.keepAliveInterval();
    private Duration pingTimeout = YamuxConfig.DEFAULTS.pingTimeout();
    private int maxInboundStreams = YamuxConfig.DEFAULTS.maxInboundStreams();
    private boolean inlineMuxerNegotiation = true;
    private int maxPendingHandshakes = 64;
    private int maxConnections = 256;
    private int maxInboundPerIp = 32;
    private Duration idleTimeout = Duration.ofMinutes(5);

    private Builder() {}

    /** The host's identity; a fresh Ed25519 key pair if not set. */
    public Builder identity(NodeIdentity identity) {
      this.identity = Objects.requireNonNull(identity);
      return this;
    }

    public Builder agentVersion(String agentVersion) {
      this.agentVersion = Objects.requireNonNull(agentVersion);
      return this;
    }

    /** Bounds TCP connect; the upgrade and each stream negotiation have their own bounds. */
    public Builder dialTimeout(Duration timeout) {
      this.dialTimeout = positive(timeout);
      return this;
    }

    /**
     * Bounds the whole connection upgrade (multistream-select, Noise, muxer selection), however
     * slowly the peer sends: a peer still mid-handshake after this is dropped (default 10 s).
     */
    public Builder handshakeTimeout(Duration timeout) {
      this.handshakeTimeout = positive(timeout);
      return this;
    }

    /** Bounds multistream-select on each new stream. */
    public Builder negotiationTimeout(Duration timeout) {
      this.negotiationTimeout = positive(timeout);
      return this;
    }

    /**
     * Liveness: ping every connection every {@code interval} (zero: never) and close it as
     * unresponsive when a ping goes unanswered for {@code timeout} (a Yamux ping on TCP and relayed
     * connections, a ping stream on QUIC). Defaults 10 s and 5 s, as js-libp2p's connection
     * monitor, so a frozen or vanished peer is found within 15 s.
     */
    public Builder keepAlive(Duration interval, Duration timeout) {
      this.keepAliveInterval = Objects.requireNonNull(interval);
      this.pingTimeout = positive(timeout);
      return this;
    }

    /** Streams a peer may have open to us at once on one connection. */
    public Builder maxInboundStreams(int n) {
      this.maxInboundStreams = n;
      return this;
    }

    /**
     * Whether to offer {@code /yamux/1.0.0} inside the Noise handshake, saving a round trip with
     * peers that do the same (default true); when off, multistream-select always picks the muxer.
     */
    public Builder inlineMuxerNegotiation(boolean enabled) {
      this.inlineMuxerNegotiation = enabled;
      return this;
    }

    /** Inbound connections that may be mid-upgrade at once (default 64); more are refused at accept. */
    public Builder maxPendingHandshakes(int n) {
      this.maxPendingHandshakes = atLeastOne("maxPendingHandshakes", n);
      return this;
    }

    /**
     * Connections open at once, both directions, upgrades included (default 256). Past it the
     * longest-idle unprotected connection is closed to make room; if none is idle, an inbound
     * connection is refused and a dial fails with {@link Libp2pException}.
     */
    public Builder maxConnections(int n) {
      this.maxConnections = atLeastOne("maxConnections", n);
      return this;
    }

    /**
     * Inbound connections (upgrading or established) from one IP address (default 32); more are
     * refused at accept. All loopback peers share 127.0.0.1.
     */
    public Builder maxInboundConnectionsPerIp(int n) {
      this.maxInboundPerIp = atLeastOne("maxInboundConnectionsPerIp", n);
      return this;
    }

    /**
     * Closes a connection that has had no open stream for {@code timeout} (default 5 min), unless
     * its peer is {@linkplain Host#protect protected}; zero keeps idle connections forever.
     */
    public Builder idleTimeout(Duration timeout) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("idleTimeout must not be negative: " + timeout);
      }
      this.idleTimeout = timeout;
      return this;
    }

    private static int atLeastOne(String what, int n) {
      if (n < 1) {
        throw new IllegalArgumentException(what + " must be at least 1");
      }
      return n;
    }

    public Host build() {
      YamuxConfig yamux =
          YamuxConfig.DEFAULTS
              .withKeepAlive(keepAliveInterval, pingTimeout)
              .withMaxInboundStreams(maxInboundStreams);
      HostSettings settings =
          new HostSettings(
              identity != null ? identity : NodeIdentity.ephemeral(),
              agentVersion,
              protocolVersion,
              yamux,
              dialTimeout,
              handshakeTimeout,
              negotiationTimeout,
              inlineMuxerNegotiation,
              maxPendingHandshakes,
              maxConnections,
              maxInboundPerIp,
              idleTimeout);
      return new Host(new HostCore(settings));
    }

    private static Duration positive(Duration d) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("timeouts must be positive: " + d);
      }
      return d;
    }
  }
}
