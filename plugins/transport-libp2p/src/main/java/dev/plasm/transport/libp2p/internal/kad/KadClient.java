package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.IdentifyInfo;
import dev.plasm.transport.libp2p.Libp2pException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.internal.codec.Delimited;
import dev.plasm.transport.libp2p.internal.kad.KadMessage.Peer;
import dev.plasm.transport.libp2p.internal.kad.KadMessage.Type;
import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client side of the DHT: the requests it sends and the iterative lookups built on them
 * (closest peers, find peer, get and put value, provide and find kad.providers(), bootstrap and the
 * bucket lookups of Kademlia's join rule). A lookup waits for a slow peer only as long as answers
 * usually take ({@link AdaptiveTimeout}).
 *
 * <p>It remembers the bootstrap peers and what we put and provide, which {@link KadUpkeep} reads to
 * keep connected and to republish.
 */
final class KadClient {
  /** Lookups stop early for values once this many peers returned one. */
  private static final int VALUE_QUORUM = 3;

  /** Candidates a lookup remembers at most; further closer peers are ignored. */
  private static final int MAX_LOOKUP_CANDIDATES = 2000;

  /** Buckets refreshed at most: bucket i holds 2^-(i+1) of the key space, so deeper ones are empty. */
  private static final int MAX_REFRESH_CPL = 15;

  /** The shortest a lookup waits for one peer before going on without it. */
  private static final Duration MIN_PATIENCE = Duration.ofSeconds(2);

  private static final String PROTECT_SEED = "kad-bootstrap";

  private final KadState kad;
  private final PeerId self;
  private final KadKey selfKey;
  private final RecordValidator validator;
  private final AdaptiveTimeout patience;
  private final Map<String, byte[][]> ownRecords = new ConcurrentHashMap<>();
  private final Map<String, byte[]> ownProvides = new ConcurrentHashMap<>();

  /** Bootstrap peers, from the kad.settings() and from {@link #bootstrap} calls, re-dialed when lost. */
  private final List<Multiaddr> seeds = new CopyOnWriteArrayList<>();

  private final SecureRandom random = new SecureRandom();
  private volatile boolean closed;

  KadClient(KadState kad, RecordValidator validator) {
    this.kad = kad;
    this.self = kad.contacts().self();
    this.selfKey = KadKey.of(self);
    this.validator = validator;
    this.patience = new AdaptiveTimeout(MIN_PATIENCE, kad.settings().requestTimeout());
    this.seeds.addAll(kad.settings().bootstrapPeers());
  }

  /** The bootstrap peers known so far (read-only). */
  List<Multiaddr> seeds() {
    return Collections.unmodifiableList(seeds);
  }

  /** The kad.records() we put ourselves, each {@code {key, value}}. */
  Collection<byte[][]> ownRecords() {
    return Collections.unmodifiableCollection(ownRecords.values());
  }

  /** The multihashes we provide ourselves. */
  Collection<byte[]> ownProvides() {
    return Collections.unmodifiableCollection(ownProvides.values());
  }

  // ---- queries ----

  /** The k closest peers to {@code key} that answered an iterative FIND_NODE lookup. */
  List<Peer> closestPeers(byte[] key) {
    return lookup(key, Type.FIND_NODE, (peer, resp) -> false);
  }

  /** Finds {@code target}'s addresses: from our kad.table() or connections, else by a lookup. */
  Optional<Peer> findPeer(PeerId target) {
    Optional<RoutingTable.Entry> known = kad.table().get(target);
    if (known.isPresent() && !known.get().addrs().isEmpty()) {
      return Optional.of(
          new Peer(target, known.get().addrs(), kad.contacts().connectedness(target)));
    }
    Optional<Peer> connected = kad.contacts().connectedTarget(target.toBytes(), self);
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
                if (p.id().equals(target) && !KadContacts.dialable(p.addrs()).isEmpty()) {
                  synchronized (found) {
                    found[0] =
                        new Peer(
                            target,
                            KadContacts.dialable(p.addrs()),
                            kad.contacts().connectedness(target));
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
  Optional<byte[]> getValue(byte[] key) {
    validator.validate(key, new byte[0]);
    List<byte[]> values = new CopyOnWriteArrayList<>();
    kad.records().get(key, Instant.now()).ifPresent(r -> values.add(r.value()));
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
            KadNode.LOG.log(
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
  int putValue(byte[] key, byte[] value) {
    validator.validate(key, value);
    RecordStore.PutResult local = kad.records().put(key, value, Instant.now());
    if (local == RecordStore.PutResult.FULL) {
      throw new Libp2pException(
          "the local record store is full (" + kad.settings().maxRecords() + " records)");
    }
    ownRecords.put(HexFormat.of().formatHex(key), new byte[][] {key.clone(), value.clone()});
    return sendValue(key, value);
  }

  /** PUT_VALUE to the k closest peers; returns how many echoed the record. */
  int sendValue(byte[] key, byte[] value) {
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
  int provide(byte[] multihash) {
    KadNode.checkMultihash(multihash);
    kad.providers().add(multihash, self, kad.contacts().selfAddrs(), Instant.now());
    ownProvides.put(HexFormat.of().formatHex(multihash), multihash.clone());
    return announce(multihash);
  }

  /** ADD_PROVIDER (ourselves) to the k closest peers; returns to how many it was sent. */
  int announce(byte[] multihash) {
    KadMessage req =
        new KadMessage(
            Type.ADD_PROVIDER, multihash, null, List.of(), List.of(kad.contacts().selfPeer()));
    return fanOut(closestPeers(multihash), p -> rpc(p.id(), p.addrs(), req));
  }

  /** Up to {@code max} kad.providers() of {@code multihash}, ourselves included if we provide it. */
  List<Peer> findProviders(byte[] multihash, int max) {
    KadNode.checkMultihash(multihash);
    Map<PeerId, Peer> found = new LinkedHashMap<>();
    for (ProviderStore.Provider p : kad.providers().get(multihash, max, Instant.now())) {
      found.put(p.peer(), kad.contacts().provider(p));
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

  // ---- joining ----

  /**
   * Contacts the bootstrap peers (and any peers already known), looks up our own id, then
   * refreshes every bucket farther than our nearest neighbour; returns the routing kad.table()'s size.
   */
  int bootstrap(List<Multiaddr> extra) {
    for (Multiaddr a : extra) {
      a.peerId()
          .orElseThrow(() -> new IllegalArgumentException("bootstrap address without /p2p/: " + a));
      if (!seeds.contains(a)) {
        seeds.add(a);
      }
    }
    List<Multiaddr> peers = List.copyOf(seeds);
    KadMessage req = KadMessage.request(Type.FIND_NODE, self.toBytes());
    List<Peer> reached = new ArrayList<>();
    for (Multiaddr a : peers) {
      PeerId id =
          a.peerId()
              .orElseThrow(
                  () -> new IllegalArgumentException("bootstrap address without /p2p/: " + a));
      try {
        kad.core()
            .protect(id, PROTECT_SEED); // the connection manager keeps seed connections when idle
        rpc(id, List.of(a.withoutPeerId()), req); // an answer puts it in the routing kad.table()
        reached.add(new Peer(id, List.of(a.withoutPeerId()), KadMessage.CONNECTED));
      } catch (IOException e) {
        KadNode.LOG.log(Level.WARNING, "kad: bootstrap peer {0} failed: {1}", a, e.toString());
      }
    }
    closestPeers(self.toBytes());
    refreshBuckets(reached);
    return kad.table().size();
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
    List<RoutingTable.Entry> nearest = kad.table().closest(selfKey, 1, p -> false);
    int upTo =
        nearest.isEmpty()
            ? 1
            : Math.min(kad.table().bucketIndex(nearest.getFirst().key()), MAX_REFRESH_CPL);
    for (int cpl = 0; cpl < upTo && !closed; cpl++) {
      byte[] key = randomKeyWithPrefix(cpl);
      List<Peer> start = new ArrayList<>();
      KadMessage req = KadMessage.request(Type.FIND_NODE, key);
      for (Peer s : seeds) {
        try {
          start.addAll(rpc(s.id(), s.addrs(), req).closerPeers());
        } catch (IOException e) {
          KadNode.LOG.log(
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

  // ---- requests and lookups ----

  /**
   * One request to {@code peer}; a reply is read unless the type has none (ADD_PROVIDER). If a
   * connection we already had turns out dead (the peer closed it while we stood still), the
   * request is sent once more on a fresh one.
   */
  KadMessage rpc(PeerId peer, List<Multiaddr> addrs, KadMessage req) throws IOException {
    try {
      boolean existing = kad.host().connection(peer).isPresent();
      Connection c = kad.contacts().connect(peer, addrs);
      KadMessage resp;
      try {
        resp = exchange(c, peer, req);
      } catch (IOException e) {
        if (!existing || c.isOpen()) {
          throw e;
        }
        KadNode.LOG.log(
            Level.DEBUG,
            "kad: the connection to {0} was dead ({1}); dialing again",
            peer,
            e.toString());
        c = kad.contacts().connect(peer, addrs);
        resp = exchange(c, peer, req);
      }
      kad.contacts()
          .addPeer(
              peer,
              addrs.isEmpty()
                  ? c.identifyInfo().map(IdentifyInfo::listenAddrs).orElse(List.of())
                  : addrs);
      return resp;
    } catch (IOException | RuntimeException e) {
      if (kad.table().remove(peer)) {
        KadNode.LOG.log(Level.DEBUG, "removed {0} from the routing table: {1}", peer, e.toString());
      }
      throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }
  }

  private KadMessage exchange(Connection c, PeerId peer, KadMessage req) throws IOException {
    KadMessage resp = null;
    long start = System.nanoTime();
    try (Stream s = c.newStream(kad.settings().protocol())) {
      s.setReadTimeout(kad.settings().requestTimeout());
      Delimited.write(s.output(), req.encode());
      if (req.type() != Type.ADD_PROVIDER) {
        byte[] raw = Delimited.readOrEnd(s.input(), kad.settings().maxMessageSize(), "kad message");
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
              KadNode.LOG.log(Level.DEBUG, "kad: request to {0} failed: {1}", p.id(), e.toString());
            } finally {
              finished.release();
            }
          });
    }
    long deadline = System.nanoTime() + kad.settings().queryTimeout().toNanos();
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
        new Lookup(
            KadKey.of(key),
            kad.settings().k(),
            kad.settings().alpha(),
            MAX_LOOKUP_CANDIDATES,
            self);
    for (RoutingTable.Entry e :
        kad.table().closest(KadKey.of(key), kad.settings().k(), p -> false)) {
      l.offer(new Peer(e.peer(), e.addrs(), KadMessage.NOT_CONNECTED));
    }
    start.forEach(l::offer);
    KadMessage req = KadMessage.request(type, key);
    return l.run(
        kad.settings().queryTimeout(),
        patience::current,
        p -> {
          KadMessage resp = rpc(p.id(), p.addrs(), req);
          boolean stop = onResponse.accept(p.id(), resp);
          return new Lookup.Result(resp.closerPeers(), stop);
        });
  }

  /** Ends lookups: a new one fails, a running bucket refresh stops after its current bucket. */
  void close() {
    closed = true;
  }
}
