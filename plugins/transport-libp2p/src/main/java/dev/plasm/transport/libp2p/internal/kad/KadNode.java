package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.Host;
import dev.plasm.transport.libp2p.IdentifyInfo;
import dev.plasm.transport.libp2p.Libp2pException;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.internal.codec.Delimited;
import dev.plasm.transport.libp2p.internal.codec.Varint;
import dev.plasm.transport.libp2p.internal.host.HostCore;
import dev.plasm.transport.libp2p.internal.kad.KadMessage.Peer;
import dev.plasm.transport.libp2p.internal.kad.KadMessage.Type;
import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

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
 * <p>Staying connected: every {@value #KEEP_CONNECTED_SECONDS} s, and at once when the process ran
 * again after standing still (SIGSTOP, a suspended machine), the node dials those of its k closest
 * table peers and of its bootstrap peers it has no connection with, protects the k closest from
 * the idle timeout, and looks itself up again when it lost peers; a lookup waits for a slow peer
 * only as long as answers usually take ({@link AdaptiveTimeout}).
 */
public final class KadNode implements AutoCloseable {
  static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.kad");

  /** Lookups stop early for values once this many peers returned one. */
  private static final int VALUE_QUORUM = 3;

  /** Candidates a lookup remembers at most; further closer peers are ignored. */
  private static final int MAX_LOOKUP_CANDIDATES = 2000;

  private static final int MAX_PENDING_EVICTION_CHECKS = 8;

  /** Buckets refreshed at most: bucket i holds 2^-(i+1) of the key space, so deeper ones are empty. */
  private static final int MAX_REFRESH_CPL = 15;

  static final int KEEP_CONNECTED_SECONDS = 30;

  /** Below this many routing-table peers, each keep-connected round also looks ourselves up. */
  private static final int LOW_TABLE = 10;

  /** Dials the keep-connected round runs at once. */
  private static final int KEEP_CONNECTED_PARALLEL = 8;

  /** The shortest a lookup waits for one peer before going on without it. */
  private static final Duration MIN_PATIENCE = Duration.ofSeconds(2);

  private static final String PROTECT_CLOSE = "kad-closest";
  private static final String PROTECT_SEED = "kad-bootstrap";

  private final Host host;
  private final HostCore core;
  private final KadSettings settings;
  private final PeerId self;
  private final KadKey selfKey;
  private final RoutingTable table;
  private final RecordValidator validator;
  private final RecordStore records;
  private final ProviderStore providers;
  private final Semaphore inbound;
  private final Semaphore evictionChecks = new Semaphore(MAX_PENDING_EVICTION_CHECKS);
  private final Map<String, byte[][]> ownRecords = new ConcurrentHashMap<>();
  private final Map<String, byte[]> ownProvides = new ConcurrentHashMap<>();
  private final List<Thread> background = new CopyOnWriteArrayList<>();
  private final BiConsumer<Connection, IdentifyInfo> identifyListener = this::onIdentify;
  private final Consumer<PeerId> unresponsiveListener = this::onUnresponsive;
  private final Consumer<Duration> resumeListener = this::onResume;
  private final AdaptiveTimeout patience;

  /** Bootstrap peers, from the settings and from {@link #bootstrap} calls, re-dialed when lost. */
  private final List<Multiaddr> seeds = new CopyOnWriteArrayList<>();

  /** The peers we protect as our k closest, to unprotect those that are no longer. */
  private final Set<PeerId> protectedClose = ConcurrentHashMap.newKeySet();

  private final Semaphore keepConnectedRunning = new Semaphore(1);
  private final SecureRandom random = new SecureRandom();
  private final AtomicLong inboundRequests = new AtomicLong();
  private final AtomicLong refusedRequests = new AtomicLong();
  private volatile boolean closed;

  /** Server mode: we serve the protocol and announce it; in client mode we only ask. */
  private volatile boolean server = true;

  public KadNode(Host host, HostCore core, KadSettings settings) {
    this.host = host;
    this.core = core;
    this.settings = settings;
    this.self = host.peerId();
    this.selfKey = KadKey.of(self);
    this.table = new RoutingTable(selfKey, settings.k());
    this.validator = new RecordValidator(settings.namespace(), settings.maxValueSize());
    this.records = new RecordStore(validator, settings.maxRecords(), settings.recordTtl());
    this.providers =
        new ProviderStore(
            settings.maxProviderKeys(), settings.maxProvidersPerKey(), settings.providerTtl());
    this.inbound = new Semaphore(settings.maxInboundStreams());
    this.patience = new AdaptiveTimeout(MIN_PATIENCE, settings.requestTimeout());
    this.seeds.addAll(settings.bootstrapPeers());
  }

  /** Serves the protocol (announced to connected peers by identify push) and starts maintenance. */
  public void start() {
    core.addIdentifyListener(identifyListener);
    core.addUnresponsivePeerListener(unresponsiveListener);
    core.addResumeListener(resumeListener);
    if (server) {
      host.setHandler(settings.protocol(), this::serve);
    }
    // Peers already connected and identified before we started.
    for (Connection c : host.connections()) {
      c.identifyInfo().ifPresent(info -> onIdentify(c, info));
    }
    periodic("kad-refresh", settings.refreshInterval(), this::refresh);
    periodic(
        "kad-keep-connected",
        Duration.ofSeconds(KEEP_CONNECTED_SECONDS),
        () -> keepConnected(false));
    periodic("kad-republish", settings.republishInterval(), this::republish);
    Duration sweep = min(Duration.ofMinutes(1), min(settings.recordTtl(), settings.providerTtl()));
    periodic(
        "kad-expiry",
        sweep,
        () -> {
          Instant now = Instant.now();
          int r = records.sweep(now);
          int p = providers.sweep(now);
          if (r + p > 0) {
            LOG.log(Level.DEBUG, "expired {0} records and {1} provider records", r, p);
          }
        });
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
    if (serve == server || closed) {
      return;
    }
    server = serve;
    if (serve) {
      host.setHandler(settings.protocol(), this::serve);
    } else {
      host.removeHandler(settings.protocol());
    }
    LOG.log(Level.INFO, "kad: {0} mode", serve ? "server" : "client");
  }

  public boolean isServerMode() {
    return server;
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
    return inboundRequests.get();
  }

  /** Inbound requests refused (invalid record, cap reached, malformed message). */
  public long refusedRequests() {
    return refusedRequests.get();
  }

  // ---- routing table upkeep ----

  private void onIdentify(Connection c, IdentifyInfo info) {
    if (closed) {
      return;
    }
    if (info.protocols().contains(settings.protocol())) {
      addPeer(c.remotePeer(), info.listenAddrs());
    } else if (table.remove(c.remotePeer())) {
      LOG.log(
          Level.DEBUG,
          "{0} no longer serves {1}; removed from the routing table",
          c.remotePeer(),
          settings.protocol());
    }
  }

  /** The host closed the peer's last connection: it stopped answering pings, so it is not a good contact. */
  private void onUnresponsive(PeerId peer) {
    if (!closed && table.remove(peer)) {
      LOG.log(Level.DEBUG, "removed unresponsive {0} from the routing table", peer);
    }
  }

  /** The process ran again after standing still: peers have likely closed our connections. */
  private void onResume(Duration paused) {
    if (!closed) {
      Thread.ofVirtual().name("kad-resume " + self).start(() -> keepConnected(true));
    }
  }

  /**
   * Keeps the k closest table peers and the bootstrap peers connected: dials those without a
   * connection (a table peer that cannot be dialed leaves the table), moves the idle-timeout
   * protection to the current k closest, then refreshes (through the bootstrap peers while the
   * table is short of k) if a peer was lost or we have just resumed, so that our neighbours know
   * us again, or at least looks ourselves up while the table holds fewer than {@value
   * #LOW_TABLE} peers. One round at a time.
   */
  void keepConnected(boolean resumed) {
    if (closed) {
      return;
    }
    try {
      if (resumed) {
        keepConnectedRunning.acquire(); // after the periodic round that woke up with us, if any
      } else if (!keepConnectedRunning.tryAcquire()) {
        return;
      }
    } catch (InterruptedException e) {
      return;
    }
    try {
      List<RoutingTable.Entry> closest = table.closest(selfKey, settings.k(), p -> false);
      Set<PeerId> ids = new HashSet<>();
      for (RoutingTable.Entry e : closest) {
        ids.add(e.peer());
        if (protectedClose.add(e.peer())) {
          core.protect(e.peer(), PROTECT_CLOSE);
        }
      }
      for (PeerId p : protectedClose) {
        if (!ids.contains(p) && protectedClose.remove(p)) {
          core.unprotect(p, PROTECT_CLOSE);
        }
      }
      Map<PeerId, List<Multiaddr>> toDial = new LinkedHashMap<>();
      for (Multiaddr a : seeds) {
        PeerId id = a.peerId().orElseThrow();
        if (!id.equals(self) && host.connection(id).isEmpty()) {
          toDial.computeIfAbsent(id, x -> new ArrayList<>()).add(a.withoutPeerId());
        }
      }
      for (RoutingTable.Entry e : closest) {
        if (host.connection(e.peer()).isEmpty()) {
          toDial.computeIfAbsent(e.peer(), x -> new ArrayList<>()).addAll(e.addrs());
        }
      }
      AtomicInteger lost = new AtomicInteger();
      Semaphore slots = new Semaphore(KEEP_CONNECTED_PARALLEL);
      List<Thread> dials = new ArrayList<>();
      for (Map.Entry<PeerId, List<Multiaddr>> d : toDial.entrySet()) {
        slots.acquireUninterruptibly();
        dials.add(
            Thread.ofVirtual()
                .name("kad-redial " + d.getKey())
                .start(
                    () -> {
                      try {
                        host.dial(d.getKey(), d.getValue());
                      } catch (IOException | RuntimeException e) {
                        LOG.log(
                            Level.DEBUG,
                            "kad: could not reconnect to {0}: {1}",
                            d.getKey(),
                            e.toString());
                        if (table.remove(d.getKey())) {
                          lost.incrementAndGet();
                        }
                      } finally {
                        slots.release();
                      }
                    }));
      }
      for (Thread t : dials) {
        t.join();
      }
      if (!toDial.isEmpty() || resumed) {
        LOG.log(
            resumed ? Level.INFO : Level.DEBUG,
            "kad: {0}: reconnected to {1} of {2} peers; routing table {3}",
            resumed ? "after a pause" : "keeping connected",
            toDial.size() - lost.get(),
            toDial.size(),
            table.size());
      }
      if (resumed
          || lost.get() > 0
          || (table.size() < settings.k() && !seeds.isEmpty() && !toDial.isEmpty())) {
        refresh();
      } else if (table.size() < Math.min(settings.k(), LOW_TABLE)) {
        // Few peers (a small network, or one still forming): a self lookup finds those that
        // joined our neighbours after we did, as go-libp2p's "fix low peers" does.
        closestPeers(self.toBytes());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      keepConnectedRunning.release();
    }
  }

  /** Adds a server-mode peer; a full bucket pings its oldest peer and replaces it if it is gone. */
  void addPeer(PeerId peer, List<Multiaddr> addrs) {
    if (peer.equals(self) || closed) {
      return;
    }
    List<Multiaddr> dialable = dialable(addrs);
    RoutingTable.AddResult r = table.add(peer, dialable, Instant.now());
    if (r.added() || r.oldest() == null || !evictionChecks.tryAcquire()) {
      return;
    }
    RoutingTable.Entry oldest = r.oldest();
    Thread.startVirtualThread(
        () -> {
          try {
            Connection c = connect(oldest.peer(), oldest.addrs());
            host.ping(c);
            table.add(
                oldest.peer(), List.of(), Instant.now()); // alive: refreshed, the newcomer waits
          } catch (IOException | RuntimeException e) {
            if (table.replace(oldest, peer, dialable, Instant.now())) {
              LOG.log(Level.DEBUG, "evicted unresponsive {0} for {1}", oldest.peer(), peer);
            }
          } finally {
            evictionChecks.release();
          }
        });
  }

  /** The addresses worth keeping and passing on: TCP, QUIC and relayed ones, without the peer's own id. */
  private static List<Multiaddr> dialable(List<Multiaddr> addrs) {
    List<Multiaddr> out = new ArrayList<>();
    for (Multiaddr a : addrs) {
      Multiaddr bare = a.withoutPeerId(); // a relayed address keeps its relay's /p2p/ part
      if ((bare.isTcp() || bare.isQuic() || bare.isCircuit())
          && !out.contains(bare)
          && out.size() < KadMessage.MAX_ADDRS) {
        out.add(bare);
      }
    }
    return out;
  }

  // ---- serving ----

  private void serve(Stream s) throws IOException {
    PeerId from = s.connection().remotePeer();
    if (!inbound.tryAcquire()) {
      refusedRequests.incrementAndGet();
      LOG.log(
          Level.WARNING,
          "resetting a kad stream from {0}: {1} inbound kad streams already open",
          from,
          settings.maxInboundStreams());
      s.reset();
      return;
    }
    try {
      s.setReadTimeout(settings.requestTimeout());
      for (int i = 0; i < settings.maxRequestsPerStream(); i++) {
        byte[] raw;
        try {
          raw = Delimited.readOrEnd(s.input(), settings.maxMessageSize(), "kad message");
        } catch (SocketTimeoutException e) {
          return; // idle: the stream is closed
        }
        if (raw == null) {
          return;
        }
        KadMessage req;
        KadMessage resp;
        try {
          req = KadMessage.decode(raw);
          inboundRequests.incrementAndGet();
          resp = handle(s.connection(), req);
        } catch (RecordValidator.InvalidRecordException
            | MalformedMessageException
            | RefusedException e) {
          refusedRequests.incrementAndGet();
          LOG.log(
              Level.INFO,
              "kad: refused a request from {0}, resetting the stream: {1}",
              from,
              e.getMessage());
          s.reset();
          return;
        }
        if (resp != null) {
          Delimited.write(s.output(), resp.encode());
        }
      }
    } catch (MalformedMessageException e) {
      refusedRequests.incrementAndGet();
      LOG.log(
          Level.INFO,
          "kad: refused a request from {0}, resetting the stream: {1}",
          from,
          e.getMessage());
      s.reset();
    } finally {
      inbound.release();
    }
  }

  private KadMessage handle(Connection c, KadMessage req) {
    PeerId from = c.remotePeer();
    Instant now = Instant.now();
    return switch (req.type()) {
      case FIND_NODE -> {
        List<Peer> closer = new ArrayList<>();
        if (Arrays.equals(req.key(), self.toBytes())) {
          closer.add(selfPeer());
        }
        closer.addAll(closerPeers(req.key(), from));
        connectedTarget(req.key(), from)
            .filter(p -> closer.stream().noneMatch(q -> q.id().equals(p.id())))
            .ifPresent(closer::add);
        yield req.withPeers(closer, List.of());
      }
      case GET_VALUE -> {
        requireKey(req);
        Optional<RecordStore.Stored> held = records.get(req.key(), now);
        KadMessage.Record rec =
            held.map(r -> KadMessage.Record.of(r.key(), r.value(), r.received())).orElse(null);
        yield new KadMessage(
            Type.GET_VALUE, req.key(), rec, closerPeers(req.key(), from), List.of());
      }
      case PUT_VALUE -> {
        requireKey(req);
        KadMessage.Record rec = req.record();
        if (rec == null) {
          throw new RefusedException("PUT_VALUE without a record");
        }
        if (!Arrays.equals(rec.key(), req.key())) {
          throw new RefusedException("PUT_VALUE record key differs from the message key");
        }
        RecordStore.PutResult r = records.put(rec.key(), rec.value(), now);
        if (r == RecordStore.PutResult.FULL) {
          throw new RefusedException("record store full (" + settings.maxRecords() + " records)");
        }
        LOG.log(Level.DEBUG, "{0}: {1} from {2}", r, rec, from);
        yield req; // js expects the request echoed, record included
      }
      case ADD_PROVIDER -> {
        requireKey(req);
        checkMultihash(req.key());
        for (Peer p : req.providerPeers()) {
          if (!p.id().equals(from)) {
            LOG.log(Level.DEBUG, "ignoring provider {0} announced by {1}", p.id(), from);
            continue;
          }
          List<Multiaddr> addrs = dialable(p.addrs());
          if (addrs.isEmpty()) {
            addrs = dialable(c.identifyInfo().map(IdentifyInfo::listenAddrs).orElse(List.of()));
          }
          if (!providers.add(req.key(), from, addrs, now)) {
            LOG.log(
                Level.INFO,
                "kad: provider cap reached, not storing {0} for {1}",
                from,
                KadKey.printable(req.key()));
          }
        }
        yield null; // no reply
      }
      case GET_PROVIDERS -> {
        requireKey(req);
        List<Peer> found = new ArrayList<>();
        for (ProviderStore.Provider p :
            providers.get(req.key(), settings.maxProvidersPerKey(), now)) {
          found.add(
              p.peer().equals(self)
                  ? selfPeer()
                  : new Peer(p.peer(), p.addrs(), connectedness(p.peer())));
        }
        yield req.withPeers(closerPeers(req.key(), from), found);
      }
      case PING -> req;
    };
  }

  private static void requireKey(KadMessage req) {
    if (req.key().length == 0) {
      throw new RefusedException(req.type() + " without a key");
    }
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

  private List<Peer> closerPeers(byte[] key, PeerId exclude) {
    List<Peer> out = new ArrayList<>();
    for (RoutingTable.Entry e :
        table.closest(KadKey.of(key), settings.k(), p -> p.equals(exclude))) {
      out.add(new Peer(e.peer(), e.addrs(), connectedness(e.peer())));
    }
    return out;
  }

  /**
   * The peer named by {@code key} if we are connected to it, with its own listen addresses (a
   * client-mode peer behind a NAT is in nobody's table, but its relays and its closest servers are
   * connected to it, and its relayed addresses are how it is reached), as go-libp2p answers.
   */
  private Optional<Peer> connectedTarget(byte[] key, PeerId requester) {
    PeerId target;
    try {
      target = PeerId.fromBytes(key);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    if (target.equals(requester) || target.equals(self)) {
      return Optional.empty();
    }
    return host.connection(target)
        .flatMap(Connection::identifyInfo)
        .map(i -> dialable(i.listenAddrs()))
        .filter(a -> !a.isEmpty())
        .map(a -> new Peer(target, a, KadMessage.CONNECTED));
  }

  private int connectedness(PeerId peer) {
    return host.connection(peer).isPresent() ? KadMessage.CONNECTED : KadMessage.NOT_CONNECTED;
  }

  private Peer selfPeer() {
    return new Peer(self, dialable(host.listenAddrs()), KadMessage.CONNECTED);
  }

  // ---- client side ----

  private Connection connect(PeerId peer, List<Multiaddr> addrs) throws IOException {
    Optional<Connection> open = host.connection(peer);
    if (open.isPresent()) {
      return open.get();
    }
    List<Multiaddr> tryAddrs = new ArrayList<>(dialable(addrs));
    table
        .get(peer)
        .ifPresent(
            e -> e.addrs().stream().filter(a -> !tryAddrs.contains(a)).forEach(tryAddrs::add));
    return host.dial(peer, tryAddrs);
  }

  /**
   * One request to {@code peer}; a reply is read unless the type has none (ADD_PROVIDER). If a
   * connection we already had turns out dead (the peer closed it while we stood still), the
   * request is sent once more on a fresh one.
   */
  KadMessage rpc(PeerId peer, List<Multiaddr> addrs, KadMessage req) throws IOException {
    try {
      boolean existing = host.connection(peer).isPresent();
      Connection c = connect(peer, addrs);
      KadMessage resp;
      try {
        resp = exchange(c, peer, req);
      } catch (IOException e) {
        if (!existing || c.isOpen()) {
          throw e;
        }
        LOG.log(
            Level.DEBUG,
            "kad: the connection to {0} was dead ({1}); dialing again",
            peer,
            e.toString());
        c = connect(peer, addrs);
        resp = exchange(c, peer, req);
      }
      addPeer(
          peer,
          addrs.isEmpty()
              ? c.identifyInfo().map(IdentifyInfo::listenAddrs).orElse(List.of())
              : addrs);
      return resp;
    } catch (IOException | RuntimeException e) {
      if (table.remove(peer)) {
        LOG.log(Level.DEBUG, "removed {0} from the routing table: {1}", peer, e.toString());
      }
      throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }
  }

  private KadMessage exchange(Connection c, PeerId peer, KadMessage req) throws IOException {
    KadMessage resp = null;
    long start = System.nanoTime();
    try (Stream s = c.newStream(settings.protocol())) {
      s.setReadTimeout(settings.requestTimeout());
      Delimited.write(s.output(), req.encode());
      if (req.type() != Type.ADD_PROVIDER) {
        byte[] raw = Delimited.readOrEnd(s.input(), settings.maxMessageSize(), "kad message");
        if (raw == null) {
          throw new EOFException(peer + " closed the " + req.type() + " stream without a reply");
        }
        resp = KadMessage.decode(raw);
        patience.record(System.nanoTime() - start);
      }
      s.closeWrite();
    }
    return resp;
  }

  /** The k closest peers to {@code key} that answered an iterative FIND_NODE lookup. */
  public List<Peer> closestPeers(byte[] key) {
    return lookup(key, Type.FIND_NODE, (peer, resp) -> false);
  }

  /** Finds {@code target}'s addresses: from our table or connections, else by a lookup. */
  public Optional<Peer> findPeer(PeerId target) {
    Optional<RoutingTable.Entry> known = table.get(target);
    if (known.isPresent() && !known.get().addrs().isEmpty()) {
      return Optional.of(new Peer(target, known.get().addrs(), connectedness(target)));
    }
    Optional<Peer> connected = connectedTarget(target.toBytes(), self);
    if (connected.isPresent()) {
      return connected;
    }
    Peer[] found = new Peer[1];
    List<Peer> answered =
        lookup(
            target.toBytes(),
            Type.FIND_NODE,
            (from, resp) -> {
              for (Peer p : resp.closerPeers()) {
                if (p.id().equals(target) && !dialable(p.addrs()).isEmpty()) {
                  synchronized (found) {
                    found[0] = new Peer(target, dialable(p.addrs()), connectedness(target));
                  }
                  return true;
                }
              }
              return false;
            });
    synchronized (found) {
      if (found[0] != null) {
        return Optional.of(found[0]);
      }
    }
    return answered.stream().filter(p -> p.id().equals(target)).findFirst();
  }

  /** The best valid value for {@code key} held by us or the peers closest to it. */
  public Optional<byte[]> getValue(byte[] key) {
    validator.validate(key, new byte[0]);
    List<byte[]> values = new CopyOnWriteArrayList<>();
    records.get(key, Instant.now()).ifPresent(r -> values.add(r.value()));
    AtomicInteger fromPeers = new AtomicInteger();
    lookup(
        key,
        Type.GET_VALUE,
        (from, resp) -> {
          KadMessage.Record rec = resp.record();
          if (rec == null) {
            return false;
          }
          try {
            if (!Arrays.equals(rec.key(), key)) {
              throw new RecordValidator.InvalidRecordException("record for another key");
            }
            validator.validate(rec.key(), rec.value());
          } catch (RecordValidator.InvalidRecordException e) {
            LOG.log(
                Level.INFO,
                "kad: {0} returned an invalid record for {1}: {2}",
                from,
                KadKey.printable(key),
                e.getMessage());
            return false;
          }
          values.add(rec.value());
          return fromPeers.incrementAndGet() >= VALUE_QUORUM;
        });
    if (values.isEmpty()) {
      return Optional.empty();
    }
    List<byte[]> all = List.copyOf(values);
    return Optional.of(all.get(validator.select(all)).clone());
  }

  /**
   * Validates and stores {@code key → value} here and on the k closest peers; returns how many
   * peers accepted it. Remembered for republishing.
   */
  public int putValue(byte[] key, byte[] value) {
    validator.validate(key, value);
    RecordStore.PutResult local = records.put(key, value, Instant.now());
    if (local == RecordStore.PutResult.FULL) {
      throw new Libp2pException(
          "the local record store is full (" + settings.maxRecords() + " records)");
    }
    ownRecords.put(HexFormat.of().formatHex(key), new byte[][] {key.clone(), value.clone()});
    return sendValue(key, value);
  }

  private int sendValue(byte[] key, byte[] value) {
    KadMessage req =
        new KadMessage(
            Type.PUT_VALUE,
            key,
            KadMessage.Record.of(key, value, Instant.now()),
            List.of(),
            List.of());
    return fanOut(
        closestPeers(key),
        p -> {
          KadMessage echo = rpc(p.id(), p.addrs(), req);
          if (echo.record() == null || !Arrays.equals(echo.record().value(), value)) {
            throw new IOException(p.id() + " did not echo the record");
          }
        });
  }

  /** Announces us as a provider of {@code multihash} to the k closest peers; returns how many took it. */
  public int provide(byte[] multihash) {
    checkMultihash(multihash);
    providers.add(multihash, self, dialable(host.listenAddrs()), Instant.now());
    ownProvides.put(HexFormat.of().formatHex(multihash), multihash.clone());
    return announce(multihash);
  }

  private int announce(byte[] multihash) {
    KadMessage req =
        new KadMessage(Type.ADD_PROVIDER, multihash, null, List.of(), List.of(selfPeer()));
    return fanOut(closestPeers(multihash), p -> rpc(p.id(), p.addrs(), req));
  }

  /** Up to {@code max} providers of {@code multihash}, ourselves included if we provide it. */
  public List<Peer> findProviders(byte[] multihash, int max) {
    checkMultihash(multihash);
    Map<PeerId, Peer> found = new LinkedHashMap<>();
    for (ProviderStore.Provider p : providers.get(multihash, max, Instant.now())) {
      found.put(
          p.peer(),
          p.peer().equals(self)
              ? selfPeer()
              : new Peer(p.peer(), p.addrs(), connectedness(p.peer())));
    }
    if (found.size() < max) {
      lookup(
          multihash,
          Type.GET_PROVIDERS,
          (from, resp) -> {
            synchronized (found) {
              for (Peer p : resp.providerPeers()) {
                if (found.size() < max) {
                  found.putIfAbsent(p.id(), p);
                }
              }
              return found.size() >= max;
            }
          });
    }
    synchronized (found) {
      return List.copyOf(found.values());
    }
  }

  /**
   * Contacts the bootstrap peers (and any peers already known), looks up our own id, then
   * refreshes every bucket farther than our nearest neighbour; returns the routing table's size.
   */
  public int bootstrap(List<Multiaddr> extra) {
    for (Multiaddr a : extra) {
      a.peerId()
          .orElseThrow(() -> new IllegalArgumentException("bootstrap address without /p2p/: " + a));
      if (!seeds.contains(a)) {
        seeds.add(a);
      }
    }
    List<Multiaddr> peers = List.copyOf(seeds);
    KadMessage req = KadMessage.request(Type.FIND_NODE, self.toBytes());
    List<Peer> seeds = new ArrayList<>();
    for (Multiaddr a : peers) {
      PeerId id =
          a.peerId()
              .orElseThrow(
                  () -> new IllegalArgumentException("bootstrap address without /p2p/: " + a));
      try {
        core.protect(id, PROTECT_SEED); // the connection manager keeps seed connections when idle
        rpc(id, List.of(a.withoutPeerId()), req); // an answer puts it in the routing table
        seeds.add(new Peer(id, List.of(a.withoutPeerId()), KadMessage.CONNECTED));
      } catch (IOException e) {
        LOG.log(Level.WARNING, "kad: bootstrap peer {0} failed: {1}", a, e.toString());
      }
    }
    closestPeers(self.toBytes());
    refreshBuckets(seeds);
    return table.size();
  }

  /**
   * Kademlia's join rule (Maymounkov and Mazieres, section 2.3): after the self lookup, look up a
   * random key in each bucket farther than our nearest neighbour. A self lookup only explores our
   * own neighbourhood, so without this a node whose far buckets stayed empty (common when many
   * nodes join at once) knows nobody in half of the key space, and its lookups for peers there end
   * among its own neighbours, each of whom may be just as blind. {@code seeds} are asked first,
   * whatever their distance, because they have seen every joining node.
   */
  void refreshBuckets(List<Peer> seeds) {
    List<RoutingTable.Entry> nearest = table.closest(selfKey, 1, p -> false);
    int upTo =
        nearest.isEmpty()
            ? 1
            : Math.min(table.bucketIndex(nearest.getFirst().key()), MAX_REFRESH_CPL);
    for (int cpl = 0; cpl < upTo && !closed; cpl++) {
      byte[] key = randomKeyWithPrefix(cpl);
      List<Peer> start = new ArrayList<>();
      KadMessage req = KadMessage.request(Type.FIND_NODE, key);
      for (Peer s : seeds) {
        try {
          start.addAll(rpc(s.id(), s.addrs(), req).closerPeers());
        } catch (IOException e) {
          LOG.log(
              Level.DEBUG, "kad: seed {0} failed during bucket refresh: {1}", s.id(), e.toString());
        }
      }
      lookup(key, Type.FIND_NODE, (from, resp) -> false, start);
    }
  }

  /**
   * A key whose key-space point shares exactly {@code cpl} leading bits with ours; found by
   * hashing random keys (about 2^(cpl+1) tries, so {@code cpl} is capped).
   */
  private byte[] randomKeyWithPrefix(int cpl) {
    byte[] key = new byte[32];
    while (true) {
      random.nextBytes(key);
      if (selfKey.commonPrefixLength(KadKey.of(key)) == cpl) {
        return key;
      }
    }
  }

  /**
   * A self lookup and a refresh of the far buckets, to keep the buckets fresh; through the
   * bootstrap peers again while the table is short of one full bucket (a node that lost its peers
   * must not wait until it has none at all).
   */
  public void refresh() {
    if (table.size() == 0 && seeds.isEmpty()) {
      return;
    }
    if (table.size() < settings.k() && !seeds.isEmpty()) {
      bootstrap(List.of());
      return;
    }
    closestPeers(self.toBytes());
    refreshBuckets(List.of());
  }

  /** Puts our own records and provider announcements again. */
  public void republish() {
    for (byte[][] kv : ownRecords.values()) {
      records.put(kv[0], kv[1], Instant.now());
      int n = sendValue(kv[0], kv[1]);
      LOG.log(Level.DEBUG, "republished {0} to {1} peers", KadKey.printable(kv[0]), n);
    }
    for (byte[] mh : ownProvides.values()) {
      providers.add(mh, self, dialable(host.listenAddrs()), Instant.now());
      int n = announce(mh);
      LOG.log(Level.DEBUG, "re-provided {0} to {1} peers", KadKey.printable(mh), n);
    }
  }

  // ---- lookups ----

  /** Called with each response; returns true to end the lookup early. */
  @FunctionalInterface
  interface OnResponse {
    boolean accept(PeerId from, KadMessage response);
  }

  @FunctionalInterface
  private interface PeerTask {
    void run(Peer p) throws IOException;
  }

  /**
   * Runs {@code task} on every peer in parallel; returns how many succeeded. Waits for all, but no
   * longer than the lookup patience after the last one finished: a frozen peer among the closest
   * must not hold up a put for the whole request timeout (its request still runs to its end).
   */
  private int fanOut(List<Peer> peers, PeerTask task) {
    AtomicInteger ok = new AtomicInteger();
    Semaphore finished = new Semaphore(0);
    for (Peer p : peers) {
      Thread.startVirtualThread(
          () -> {
            try {
              task.run(p);
              ok.incrementAndGet();
            } catch (IOException | RuntimeException e) {
              LOG.log(Level.DEBUG, "kad: request to {0} failed: {1}", p.id(), e.toString());
            } finally {
              finished.release();
            }
          });
    }
    long deadline = System.nanoTime() + settings.queryTimeout().toNanos();
    long lastProgress = System.nanoTime();
    try {
      for (int remaining = peers.size(); remaining > 0; ) {
        long left =
            Math.min(deadline, lastProgress + patience.current().toNanos()) - System.nanoTime();
        if (left <= 0) {
          break;
        }
        if (finished.tryAcquire(left, TimeUnit.NANOSECONDS)) {
          remaining--;
          lastProgress = System.nanoTime();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return ok.get();
  }

  List<Peer> lookup(byte[] key, Type type, OnResponse onResponse) {
    return lookup(key, type, onResponse, List.of());
  }

  /** A lookup that starts from our k closest peers plus {@code start}. */
  List<Peer> lookup(byte[] key, Type type, OnResponse onResponse, List<Peer> start) {
    if (closed) {
      throw new Libp2pException("the DHT is closed");
    }
    Lookup l =
        new Lookup(KadKey.of(key), settings.k(), settings.alpha(), MAX_LOOKUP_CANDIDATES, self);
    for (RoutingTable.Entry e : table.closest(KadKey.of(key), settings.k(), p -> false)) {
      l.offer(new Peer(e.peer(), e.addrs(), KadMessage.NOT_CONNECTED));
    }
    start.forEach(l::offer);
    KadMessage req = KadMessage.request(type, key);
    return l.run(
        settings.queryTimeout(),
        patience::current,
        p -> {
          KadMessage resp = rpc(p.id(), p.addrs(), req);
          boolean stop = onResponse.accept(p.id(), resp);
          return new Lookup.Result(resp.closerPeers(), stop);
        });
  }

  // ---- background ----

  private void periodic(String name, Duration interval, Runnable task) {
    Thread t =
        Thread.ofVirtual()
            .name(name + " " + self)
            .start(
                () -> {
                  while (!closed) {
                    try {
                      Thread.sleep(interval);
                    } catch (InterruptedException e) {
                      return;
                    }
                    try {
                      task.run();
                    } catch (RuntimeException e) {
                      if (!closed) {
                        LOG.log(Level.WARNING, "kad: {0} failed: {1}", name, e.toString());
                      }
                    }
                  }
                });
    background.add(t);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public void close() {
    closed = true;
    background.forEach(Thread::interrupt);
    core.removeIdentifyListener(identifyListener);
    core.removeUnresponsivePeerListener(unresponsiveListener);
    core.removeResumeListener(resumeListener);
    host.removeHandler(settings.protocol());
  }

  /** A request we refuse: the stream is reset and the reason logged. */
  public static final class RefusedException extends RuntimeException {
    RefusedException(String message) {
      super(message);
    }
  }
}
