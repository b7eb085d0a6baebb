package dev.plasm.transport.libp2p;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.internal.kad.KadMessage;
import dev.plasm.transport.libp2p.internal.kad.KadNode;
import dev.plasm.transport.libp2p.internal.kad.KadSettings;
import dev.plasm.transport.libp2p.internal.kad.RecordValidator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A Kademlia DHT (kad-dht/README.md) in server mode on a {@link Host}: peer routing, {@code
 * /plasm/} records and content providers, interoperable with js-libp2p's kad-dht.
 *
 * <pre>{@code
 * try (Dht dht = Dht.builder(host).bootstrapPeers(List.of(seed)).build()) {
 *   dht.bootstrap();
 *   dht.putValue("/plasm/job/42", bytes);
 *   Optional<byte[]> v = dht.getValue("/plasm/job/42");
 *   dht.provide(Dht.sha256Multihash(data));
 * }
 * }</pre>
 *
 * <p>Records are accepted only under the configured namespace ({@code /plasm/} by default) and up
 * to {@link Builder#maxValueSize} bytes; a peer's request to store anything else is answered with
 * a stream reset and an INFO log line on {@code dev.plasm.transport.libp2p.kad}. When several
 * valid values exist for a key, the greatest (as unsigned bytes) wins.
 *
 * <p>Thread-safe; the blocking calls run lookups over the network and are meant for virtual
 * threads. Closing the DHT stops serving the protocol but leaves the host open.
 */
public final class Dht implements AutoCloseable {
  /** Plasm's own DHT network. */
  public static final String PLASM_PROTOCOL = "/plasm/kad/1.0.0";

  /** The public IPFS DHT's protocol id. */
  public static final String IPFS_PROTOCOL = "/ipfs/kad/1.0.0";

  /** A peer and the addresses it can be dialed at (without {@code /p2p/}). */
  public record PeerInfo(PeerId peer, List<Multiaddr> addrs) {
    public PeerInfo {
      Objects.requireNonNull(peer);
      addrs = List.copyOf(addrs);
    }

    /** The first address with {@code /p2p/<peer>} appended, for {@link Host#dial}. */
    public Optional<Multiaddr> dialAddr() {
      return addrs.stream().findFirst().map(a -> a.withPeerId(peer));
    }
  }

  private final KadNode node;

  private Dht(KadNode node) {
    this.node = node;
  }

  public static Builder builder(Host host) {
    return new Builder(host);
  }

  /** The multihash (sha2-256) of {@code data}: the key to {@link #provide} content under. */
  public static byte[] sha256Multihash(byte[] data) {
    return dev.plasm.identity.Multihash.sha256(data);
  }

  public String protocol() {
    return node.settings().protocol();
  }

  /**
   * Contacts the configured bootstrap peers, then looks up our own id to fill the routing table.
   *
   * @return the number of peers in the routing table afterwards
   */
  public int bootstrap() {
    return node.bootstrap(List.of());
  }

  /** Like {@link #bootstrap()}, with extra peers ({@code .../p2p/<id>}) for this call only. */
  public int bootstrap(List<Multiaddr> peers) {
    return node.bootstrap(peers);
  }

  /**
   * Serves the DHT (server mode, the default) or only asks (client mode). A node that peers cannot
   * dial (AutoNAT: private) should be a client: servers keep only peers they can dial in their
   * routing tables.
   */
  public void setServerMode(boolean serve) {
    node.setServerMode(serve);
  }

  public boolean isServerMode() {
    return node.isServerMode();
  }

  /** The addresses of {@code peer}, from the routing table or an iterative lookup. */
  public Optional<PeerInfo> findPeer(PeerId peer) {
    return node.findPeer(peer).map(Dht::info);
  }

  /** The up to k peers closest to {@code key} that answered an iterative lookup, closest first. */
  public List<PeerInfo> closestPeers(byte[] key) {
    return infos(node.closestPeers(key.clone()));
  }

  /**
   * The best value for {@code key} among ours and those of the peers closest to it.
   *
   * @throws IllegalArgumentException if the key is outside the namespace
   */
  public Optional<byte[]> getValue(String key) {
    try {
      return node.getValue(key.getBytes(StandardCharsets.UTF_8));
    } catch (RecordValidator.InvalidRecordException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * Stores {@code key → value} here and on the k peers closest to the key, and republishes it
   * periodically while this DHT runs.
   *
   * @return how many peers accepted the record
   * @throws IllegalArgumentException if the key is outside the namespace or the value too large
   */
  public int putValue(String key, byte[] value) {
    try {
      return node.putValue(key.getBytes(StandardCharsets.UTF_8), value.clone());
    } catch (RecordValidator.InvalidRecordException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * Announces this node as a provider of the content with {@code multihash} (see {@link
   * #sha256Multihash}) to the k closest peers, and again at each republish interval.
   *
   * @return how many peers the announcement was sent to
   */
  public int provide(byte[] multihash) {
    try {
      return node.provide(multihash.clone());
    } catch (KadNode.RefusedException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Up to {@code max} providers of {@code multihash}, this node included if it provides it. */
  public List<PeerInfo> findProviders(byte[] multihash, int max) {
    try {
      return infos(node.findProviders(multihash.clone(), max));
    } catch (KadNode.RefusedException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** A snapshot of the routing table (peers and the addresses we know for them). */
  public List<PeerInfo> routingTable() {
    List<PeerInfo> out = new ArrayList<>();
    node.routingTable().snapshot().forEach(e -> out.add(new PeerInfo(e.peer(), e.addrs())));
    return out;
  }

  /** Runs one routing-table refresh now (normally periodic). */
  public void refresh() {
    node.refresh();
  }

  /** Republishes our records and provider announcements now (normally periodic). */
  public void republish() {
    node.republish();
  }

  /** The internal node, for this module's tests. */
  KadNode node() {
    return node;
  }

  @Override
  public void close() {
    node.close();
  }

  @Override
  public String toString() {
    return "Dht[" + protocol() + " " + node.routingTable().size() + " peers]";
  }

  private static PeerInfo info(KadMessage.Peer p) {
    return new PeerInfo(p.id(), p.addrs());
  }

  private static List<PeerInfo> infos(List<KadMessage.Peer> peers) {
    return peers.stream().map(Dht::info).toList();
  }

  /** Collects a DHT's settings; every one has a default. */
  public static final class Builder {
    private final Host host;
    private String protocol = PLASM_PROTOCOL;
    private int k = 20;
    private int alpha = 3;
    private String namespace = "plasm";
    private int maxValueSize = 16 * 1024;
    private int maxMessageSize = 64 * 1024;
    private int maxRecords = 10_000;
    private Duration recordTtl = Duration.ofHours(36);
    private int maxProviderKeys = 10_000;
    private int maxProvidersPerKey = 20;
    private Duration providerTtl = Duration.ofHours(48);
    private int maxInboundStreams = 128;
    private int maxRequestsPerStream = 64;
    private Duration requestTimeout = Duration.ofSeconds(10);
    private Duration queryTimeout = Duration.ofSeconds(30);
    private Duration refreshInterval = Duration.ofMinutes(10);
    private Duration republishInterval = Duration.ofHours(12);
    private List<Multiaddr> bootstrapPeers = List.of();

    private Builder(Host host) {
      this.host = Objects.requireNonNull(host);
    }

    /** The protocol id: {@link #PLASM_PROTOCOL} (default) or {@link #IPFS_PROTOCOL}. */
    public Builder protocol(String protocol) {
      if (!protocol.startsWith("/")) {
        throw new IllegalArgumentException("a protocol id starts with /: " + protocol);
      }
      this.protocol = protocol;
      return this;
    }

    /** Bucket size and replication factor (default 20). */
    public Builder k(int k) {
      this.k = atLeast(1, k, "k");
      return this;
    }

    /** Queries in flight per lookup (default 3). */
    public Builder alpha(int alpha) {
      this.alpha = atLeast(1, alpha, "alpha");
      return this;
    }

    /** The record namespace (default {@code plasm}, i.e. keys {@code /plasm/...}). */
    public Builder namespace(String namespace) {
      this.namespace = Objects.requireNonNull(namespace);
      return this;
    }

    /** Largest record value accepted (default 16 KiB). */
    public Builder maxValueSize(int bytes) {
      this.maxValueSize = atLeast(1, bytes, "maxValueSize");
      return this;
    }

    /** Largest DHT message read from a peer (default 64 KiB; at least the value size plus 4 KiB). */
    public Builder maxMessageSize(int bytes) {
      this.maxMessageSize = atLeast(1024, bytes, "maxMessageSize");
      return this;
    }

    /** Records held for other peers (default 10,000); further new keys are refused. */
    public Builder maxRecords(int n) {
      this.maxRecords = atLeast(1, n, "maxRecords");
      return this;
    }

    /** How long a received record is served (default 36 h). */
    public Builder recordTtl(Duration ttl) {
      this.recordTtl = positive(ttl);
      return this;
    }

    /** Provider keys held (default 10,000) and providers per key (default 20). */
    public Builder maxProviders(int keys, int perKey) {
      this.maxProviderKeys = atLeast(1, keys, "provider keys");
      this.maxProvidersPerKey = atLeast(1, perKey, "providers per key");
      return this;
    }

    /** How long a provider announcement is served (default 48 h). */
    public Builder providerTtl(Duration ttl) {
      this.providerTtl = positive(ttl);
      return this;
    }

    /** DHT streams served at once over all peers (default 128); more are reset. */
    public Builder maxInboundStreams(int n) {
      this.maxInboundStreams = atLeast(1, n, "maxInboundStreams");
      return this;
    }

    /** Bounds each request (reading the reply, and idling on an inbound stream); default 10 s. */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout);
      return this;
    }

    /** Bounds each iterative lookup (default 30 s). */
    public Builder queryTimeout(Duration timeout) {
      this.queryTimeout = positive(timeout);
      return this;
    }

    /** How often the routing table is refreshed (default 10 min). */
    public Builder refreshInterval(Duration interval) {
      this.refreshInterval = positive(interval);
      return this;
    }

    /** How often our records and provider announcements are sent again (default 12 h). */
    public Builder republishInterval(Duration interval) {
      this.republishInterval = positive(interval);
      return this;
    }

    /** Peers to bootstrap from, each {@code .../p2p/<id>}. */
    public Builder bootstrapPeers(List<Multiaddr> peers) {
      for (Multiaddr a : peers) {
        if (a.peerId().isEmpty()) {
          throw new IllegalArgumentException("a bootstrap address needs /p2p/<peer id>: " + a);
        }
      }
      this.bootstrapPeers = List.copyOf(peers);
      return this;
    }

    /** Creates the DHT and starts serving its protocol (announced through identify push). */
    public Dht build() {
      if (maxMessageSize < maxValueSize + 4096) {
        maxMessageSize = maxValueSize + 4096;
      }
      KadSettings s =
          new KadSettings(
              protocol,
              k,
              alpha,
              namespace,
              maxValueSize,
              maxMessageSize,
              maxRecords,
              recordTtl,
              maxProviderKeys,
              maxProvidersPerKey,
              providerTtl,
              maxInboundStreams,
              maxRequestsPerStream,
              requestTimeout,
              queryTimeout,
              refreshInterval,
              republishInterval,
              bootstrapPeers);
      KadNode node = new KadNode(host, host.core(), s);
      node.start();
      return new Dht(node);
    }

    private static int atLeast(int min, int v, String what) {
      if (v < min) {
        throw new IllegalArgumentException(what + " must be at least " + min + ", not " + v);
      }
      return v;
    }

    private static Duration positive(Duration d) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("durations must be positive: " + d);
      }
      return d;
    }
  }
}
