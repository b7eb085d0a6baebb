package dev.plasm.transport.libp2p;

import dev.plasm.transport.libp2p.internal.host.HostCore;
import dev.plasm.transport.libp2p.internal.host.HostSettings;
import dev.plasm.transport.libp2p.internal.yamux.YamuxConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

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

  /** Our listen addresses, as identify announces them (wildcard binds expanded). */
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

  /** Measures one {@value #PING} round trip. */
  public Duration ping(Connection connection) throws IOException {
    return core.ping(connection, Duration.ofSeconds(10));
  }

  /** Runs {@value #IDENTIFY} now and returns (and records) what the peer says. */
  public IdentifyInfo identify(Connection connection) throws IOException {
    return core.identify(connection);
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
    private PeerKeyPair identity;
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

    private Builder() {}

    /** The host's identity; a fresh Ed25519 key pair if not set. */
    public Builder identity(PeerKeyPair identity) {
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

    /** Bounds the connection upgrade (multistream-select, Noise, muxer selection). */
    public Builder handshakeTimeout(Duration timeout) {
      this.handshakeTimeout = positive(timeout);
      return this;
    }

    /** Bounds multistream-select on each new stream. */
    public Builder negotiationTimeout(Duration timeout) {
      this.negotiationTimeout = positive(timeout);
      return this;
    }

    /** Yamux keep-alive: ping idle sessions every {@code interval} (zero: never). */
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

    public Builder maxPendingHandshakes(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxPendingHandshakes must be at least 1");
      }
      this.maxPendingHandshakes = n;
      return this;
    }

    public Host build() {
      YamuxConfig yamux = YamuxConfig.DEFAULTS.withKeepAlive(keepAliveInterval, pingTimeout).withMaxInboundStreams(maxInboundStreams);
      HostSettings settings = new HostSettings(identity != null ? identity : PeerKeyPair.generate(), agentVersion,
          protocolVersion, yamux, dialTimeout, handshakeTimeout, negotiationTimeout, inlineMuxerNegotiation,
          maxPendingHandshakes);
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
