package dev.plasm.transport.libp2p.internal.transport;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.Dht;
import dev.plasm.transport.libp2p.Host;
import dev.plasm.transport.libp2p.IdentifyInfo;
import dev.plasm.transport.libp2p.Libp2pException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.ProtocolNotSupportedException;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.internal.host.HostCore;
import dev.plasm.transport.libp2p.internal.relay.AutoRelay;
import dev.plasm.transport.spi.ConnectedPeer;
import dev.plasm.transport.spi.DhtKey;
import dev.plasm.transport.spi.InvalidInputException;
import dev.plasm.transport.spi.PeerAddresses;
import dev.plasm.transport.spi.PeerStream;
import dev.plasm.transport.spi.PeerUnreachableException;
import dev.plasm.transport.spi.ReachSettings;
import dev.plasm.transport.spi.Reachability;
import dev.plasm.transport.spi.StreamHandler;
import dev.plasm.transport.spi.Transport;
import dev.plasm.transport.spi.TransportException;
import dev.plasm.transport.spi.TransportLimits;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/** A {@link Host} and its {@link Dht} behind the transport SPI: peer ids and addresses as text. */
public final class Libp2pTransport implements Transport {
  private final Host host;
  private final HostCore core;
  private final Dht dht;
  private final TransportLimits limits;
  // When each connection was first identified: Connection has no open time of its own.
  private final Map<Connection, Instant> since = new ConcurrentHashMap<>();
  private final BiConsumer<Connection, IdentifyInfo> identifyListener =
      (c, i) -> {
        since.putIfAbsent(c, Instant.now());
        // DHT lookups open many short connections; forget closed ones even if nobody lists peers.
        if (since.size() > 1024) {
          since.keySet().removeIf(x -> !x.isOpen());
        }
      };
  private volatile boolean closed;

  private final AutoRelay autoRelay;

  /**
   * @param relays relays to reserve on when AutoNAT finds us unreachable (others: connected peers
   *     that relay)
   */
  public Libp2pTransport(
      Host host,
      HostCore core,
      Dht dht,
      TransportLimits limits,
      ReachSettings reach,
      List<Multiaddr> relays) {
    this.host = host;
    this.core = core;
    this.dht = dht;
    this.limits = limits;
    core.addIdentifyListener(identifyListener);
    this.autoRelay = new AutoRelay(core, relays, RELAYS_WANTED);
    if (reach.holePunching()) {
      host.startHolePunching();
    }
    if (reach.autoNat()) {
      host.startAutoNat(AUTONAT_CONFIDENCE, AUTONAT_FIRST_CHECK, AUTONAT_INTERVAL);
      host.addReachabilityListener(
          r -> {
            // A node peers cannot dial must not sit in their routing tables; it asks, it does not
            // serve.
            dht.setServerMode(r.status() != dev.plasm.transport.libp2p.Reachability.Status.PRIVATE);
            autoRelay.reachabilityChanged(r);
          });
    }
  }

  /** Relay reservations held while unreachable. */
  static final int RELAYS_WANTED = 2;

  /** Agreeing dial-back answers that decide reachability. */
  static final int AUTONAT_CONFIDENCE = 2;

  static final Duration AUTONAT_FIRST_CHECK = Duration.ofSeconds(15);
  static final Duration AUTONAT_INTERVAL = Duration.ofMinutes(15);

  @Override
  public Reachability reachability() {
    open();
    dev.plasm.transport.libp2p.Reachability r = host.reachability();
    return new Reachability(
        Reachability.Status.valueOf(r.status().name()),
        text(r.reachable()),
        text(r.observed()),
        text(
            core.relayClient().circuitAddrs().stream()
                .map(a -> a.withPeerId(host.peerId()))
                .toList()),
        r.checkedAt());
  }

  private static List<String> text(List<Multiaddr> addrs) {
    return addrs.stream().map(Multiaddr::toString).toList();
  }

  /** The node's host, for the module's own tests and tools. */
  public Host host() {
    return host;
  }

  /** The host's machinery, for the module's own tests and tools. */
  public HostCore core() {
    return core;
  }

  /** The node's DHT, for the module's own tests and tools. */
  public Dht dht() {
    return dht;
  }

  @Override
  public String peerId() {
    return host.peerId().toString();
  }

  @Override
  public List<String> listenAddresses() {
    open();
    return host.listenAddrs().stream().map(a -> a.withPeerId(host.peerId()).toString()).toList();
  }

  @Override
  public List<ConnectedPeer> peers() {
    open();
    Instant now = Instant.now();
    Map<PeerId, ConnectedPeer> byPeer = new LinkedHashMap<>();
    List<Connection> live = new ArrayList<>();
    for (Connection c : host.connections()) {
      if (!c.isOpen()) {
        continue;
      }
      live.add(c);
      Instant t = since.computeIfAbsent(c, k -> now);
      Set<String> addrs = new LinkedHashSet<>();
      addrs.add(c.remoteAddr().toString());
      Optional<IdentifyInfo> info = c.identifyInfo();
      info.ifPresent(i -> i.listenAddrs().forEach(a -> addrs.add(a.toString())));
      ConnectedPeer p =
          new ConnectedPeer(
              c.remotePeer().toString(),
              List.copyOf(addrs),
              info.map(IdentifyInfo::agentVersion).orElse(""),
              info.map(IdentifyInfo::protocols).orElse(List.of()),
              c.isOutbound() ? ConnectedPeer.Direction.OUTBOUND : ConnectedPeer.Direction.INBOUND,
              t);
      // Two connections to one peer (a simultaneous dial) show as the older one.
      byPeer.merge(c.remotePeer(), p, (a, b) -> a.since().isAfter(b.since()) ? b : a);
    }
    since.keySet().retainAll(live);
    return byPeer.values().stream().sorted(Comparator.comparing(ConnectedPeer::peerId)).toList();
  }

  @Override
  public int bootstrap() {
    open();
    return dht.bootstrap();
  }

  @Override
  public Optional<byte[]> getValue(DhtKey key) {
    open();
    try {
      return dht.getValue(key.text());
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("key", e.getMessage());
    }
  }

  @Override
  public int putValue(DhtKey key, byte[] value) {
    open();
    if (value.length > limits.maxValueBytes()) {
      throw new InvalidInputException(
          "value",
          "the value is "
              + value.length
              + " bytes; this node stores at most "
              + limits.maxValueBytes());
    }
    try {
      return dht.putValue(key.text(), value);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("key", e.getMessage());
    }
  }

  @Override
  public int provide(DhtKey key) {
    open();
    try {
      return dht.provide(Dht.sha256Multihash(key.bytes()));
    } catch (IllegalArgumentException e) {
      throw new TransportException("provide " + key + " was refused: " + e.getMessage(), e);
    }
  }

  @Override
  public List<PeerAddresses> findProviders(DhtKey key, int max) {
    open();
    if (max < 1) {
      throw new InvalidInputException("max", "max must be at least 1, not " + max);
    }
    try {
      return dht.findProviders(Dht.sha256Multihash(key.bytes()), max).stream()
          .map(Libp2pTransport::addresses)
          .toList();
    } catch (IllegalArgumentException e) {
      throw new TransportException("find-providers " + key + " was refused: " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<PeerAddresses> findPeer(String peerId) {
    open();
    PeerId id = parsePeer(peerId);
    if (id.equals(host.peerId())) {
      return Optional.of(
          new PeerAddresses(
              peerId(), host.listenAddrs().stream().map(Multiaddr::toString).toList()));
    }
    return dht.findPeer(id).map(Libp2pTransport::addresses);
  }

  @Override
  public Duration ping(String peerId) {
    open();
    Connection c = connect(parsePeer(peerId));
    try {
      return host.ping(c);
    } catch (IOException | Libp2pException e) {
      throw new PeerUnreachableException("ping " + peerId + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void setStreamHandler(String protocol, StreamHandler handler) {
    open();
    checkProtocol(protocol);
    host.setHandler(protocol, s -> handler.handle(new Wrapped(s)));
  }

  @Override
  public boolean removeStreamHandler(String protocol) {
    open();
    return host.removeHandler(protocol);
  }

  @Override
  public PeerStream openStream(String peerId, String protocol) {
    open();
    checkProtocol(protocol);
    Connection c = connect(parsePeer(peerId));
    try {
      return new Wrapped(c.newStream(protocol));
    } catch (ProtocolNotSupportedException e) {
      throw new PeerUnreachableException("peer " + peerId + " does not serve " + protocol, e);
    } catch (IOException | Libp2pException e) {
      throw new PeerUnreachableException(
          "cannot open a " + protocol + " stream to " + peerId + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    autoRelay.close();
    core.removeIdentifyListener(identifyListener);
    dht.close();
    host.close();
  }

  private void open() {
    if (closed) {
      throw new TransportException("the libp2p transport is closed");
    }
  }

  /** An open connection to {@code peer}, dialing the addresses a find-peer lookup gives. */
  private Connection connect(PeerId peer) {
    Optional<Connection> existing = host.connection(peer);
    if (existing.isPresent()) {
      return existing.get();
    }
    if (peer.equals(host.peerId())) {
      throw new PeerUnreachableException("cannot dial this node itself (" + peer + ")");
    }
    Optional<Dht.PeerInfo> info = dht.findPeer(peer);
    if (info.isEmpty() || info.get().addrs().isEmpty()) {
      throw new PeerUnreachableException("peer " + peer + " was not found in the DHT");
    }
    try {
      return host.dial(peer, info.get().addrs());
    } catch (IOException | Libp2pException e) {
      throw new PeerUnreachableException(
          "cannot dial " + peer + " at " + info.get().addrs() + ": " + e.getMessage(), e);
    }
  }

  private static PeerId parsePeer(String text) {
    try {
      return PeerId.parse(text);
    } catch (IllegalArgumentException | Libp2pException e) {
      throw new InvalidInputException(
          "peerId", "'" + text + "' is not a peer id: " + e.getMessage());
    }
  }

  private static void checkProtocol(String protocol) {
    if (protocol == null
        || !protocol.startsWith("/")
        || protocol.length() > 1024
        || protocol.contains("\n")) {
      throw new InvalidInputException(
          "protocol", "a protocol id starts with / and has at most 1024 characters, one line");
    }
  }

  private static PeerAddresses addresses(Dht.PeerInfo p) {
    return new PeerAddresses(
        p.peer().toString(), p.addrs().stream().map(Multiaddr::toString).toList());
  }

  /** A libp2p stream as a {@link PeerStream}. */
  private record Wrapped(Stream s) implements PeerStream {
    @Override
    public String peerId() {
      return s.connection().remotePeer().toString();
    }

    @Override
    public String protocol() {
      return s.protocol();
    }

    @Override
    public InputStream input() {
      return s.input();
    }

    @Override
    public OutputStream output() {
      return s.output();
    }

    @Override
    public void closeWrite() throws IOException {
      s.closeWrite();
    }

    @Override
    public void reset() {
      s.reset();
    }

    @Override
    public void close() {
      s.close();
    }
  }
}
