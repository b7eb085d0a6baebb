package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Host;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.internal.codec.Varint;
import dev.plasm.transport.libp2p.internal.host.HostCore;
import dev.plasm.transport.libp2p.internal.kad.KadMessage.Peer;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Optional;

/**
 * A Kademlia DHT node in server mode (kad-dht/README.md): serves FIND_NODE, GET_VALUE, PUT_VALUE,
 * ADD_PROVIDER, GET_PROVIDERS (and the deprecated PING) on one protocol id, keeps the routing
 * table, record and provider stores, runs iterative lookups, and refreshes and republishes in the
 * background.
 *
 * <p>Peers enter the routing table when their identify lists our protocol id, or when they answer
 * one of our requests; they leave it when a request to them fails or when the host closes their
 * last connection for not answering its liveness pings. A full bucket keeps its oldest peer unless
 * that peer fails a ping.
 *
 * <p>This class owns the shared state (settings, routing table, record and provider stores) and
 * wires four parts around it, each depending only on those before it: {@link KadContacts} (who
 * enters the routing table, how peers are reached and described), {@link KadServer} (answers
 * inbound requests), {@link KadClient} (our requests and iterative lookups, bootstrap) and {@link
 * KadUpkeep} (the host's events and the background rounds: refresh, keep connected, republish,
 * expiry). The statics here ({@link #LOG}, {@link RefusedException}, {@link #checkMultihash}) are
 * shared by the parts.
 */
public final class KadNode implements AutoCloseable {
  static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.kad");

  private final Host host;
  private final KadSettings settings;
  private final RoutingTable table;
  private final RecordStore records;
  private final ProviderStore providers;
  private final KadContacts contacts;
  private final KadServer server;
  private final KadClient client;
  private final KadUpkeep upkeep;
  private volatile boolean closed;

  /** Server mode: we serve the protocol and announce it; in client mode we only ask. */
  private volatile boolean serving = true;

  public KadNode(Host host, HostCore core, KadSettings settings) {
    this.host = host;
    this.settings = settings;
    this.table = new RoutingTable(KadKey.of(host.peerId()), settings.k());
    RecordValidator validator = new RecordValidator(settings.namespace(), settings.maxValueSize());
    this.records = new RecordStore(validator, settings.maxRecords(), settings.recordTtl());
    this.providers =
        new ProviderStore(
            settings.maxProviderKeys(), settings.maxProvidersPerKey(), settings.providerTtl());
    this.contacts = new KadContacts(host, table);
    this.server = new KadServer(settings, table, records, providers, contacts);
    KadState kad = new KadState(host, core, settings, table, records, providers, contacts);
    this.client = new KadClient(kad, validator);
    this.upkeep = new KadUpkeep(kad, client);
  }

  /** Serves the protocol (announced to connected peers by identify push) and starts maintenance. */
  public void start() {
    if (serving) {
      host.setHandler(settings.protocol(), server::serve);
    }
    upkeep.start();
  }

  public RoutingTable routingTable() {
    return table;
  }

  /**
   * Switches between server mode (serve and announce the protocol, so peers add us to their
   * routing tables) and client mode (lookups only): a node peers cannot dial must not be in their
   * tables (kad-dht's client and server mode). Identify push tells connected peers.
   */
  public synchronized void setServerMode(boolean serve) {
    if (serve == serving || closed) {
      return;
    }
    serving = serve;
    if (serve) {
      host.setHandler(settings.protocol(), server::serve);
    } else {
      host.removeHandler(settings.protocol());
    }
    LOG.log(Level.INFO, "kad: {0} mode", serve ? "server" : "client");
  }

  public boolean isServerMode() {
    return serving;
  }

  public RecordStore records() {
    return records;
  }

  public ProviderStore providers() {
    return providers;
  }

  public KadSettings settings() {
    return settings;
  }

  /** Requests served since start (all types). */
  public long inboundRequests() {
    return server.inboundRequests();
  }

  /** Inbound requests refused (invalid record, cap reached, malformed message). */
  public long refusedRequests() {
    return server.refusedRequests();
  }

  /** The k closest peers to {@code key} that answered an iterative FIND_NODE lookup. */
  public List<Peer> closestPeers(byte[] key) {
    return client.closestPeers(key);
  }

  /** Finds {@code target}'s addresses: from our table or connections, else by a lookup. */
  public Optional<Peer> findPeer(PeerId target) {
    return client.findPeer(target);
  }

  /** The best valid value for {@code key} held by us or the peers closest to it. */
  public Optional<byte[]> getValue(byte[] key) {
    return client.getValue(key);
  }

  /**
   * Validates and stores {@code key → value} here and on the k closest peers; returns how many
   * peers accepted it. Remembered for republishing.
   */
  public int putValue(byte[] key, byte[] value) {
    return client.putValue(key, value);
  }

  /** Announces us as a provider of {@code multihash} to the k closest peers; returns how many took it. */
  public int provide(byte[] multihash) {
    return client.provide(multihash);
  }

  /** Up to {@code max} providers of {@code multihash}, ourselves included if we provide it. */
  public List<Peer> findProviders(byte[] multihash, int max) {
    return client.findProviders(multihash, max);
  }

  /**
   * Contacts the bootstrap peers (and any peers already known), looks up our own id, then
   * refreshes every bucket farther than our nearest neighbour; returns the routing table's size.
   */
  public int bootstrap(List<Multiaddr> extra) {
    return client.bootstrap(extra);
  }

  /** One refresh round now (normally periodic): see {@link KadUpkeep#refresh}. */
  public void refresh() {
    upkeep.refresh();
  }

  /** Puts our own records and provider announcements again. */
  public void republish() {
    upkeep.republish();
  }

  @Override
  public void close() {
    closed = true;
    client.close();
    contacts.close();
    upkeep.close();
    host.removeHandler(settings.protocol());
  }

  /** A provider key must be one multihash: {@code <code varint><length varint><digest>}. */
  static void checkMultihash(byte[] key) {
    try {
      int[] end = new int[1];
      Varint.decode(key, 0, key.length, end);
      long len = Varint.decode(key, end[0], key.length, end);
      if (len != key.length - end[0]) {
        throw new RefusedException("provider key is not a multihash (length " + len + ")");
      }
    } catch (MalformedMessageException e) {
      throw new RefusedException("provider key is not a multihash: " + e.getMessage());
    }
  }

  /** A request we refuse: the stream is reset and the reason logged. */
  public static final class RefusedException extends RuntimeException {
    RefusedException(String message) {
      super(message);
    }
  }
}
