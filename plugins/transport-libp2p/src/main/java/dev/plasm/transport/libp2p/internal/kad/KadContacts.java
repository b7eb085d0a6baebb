package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.Host;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.internal.kad.KadMessage.Peer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;

/**
 * Who the DHT keeps in its routing table and how it reaches them: adds a peer (a full bucket pings
 * its oldest peer and replaces it if it is gone), dials a peer at the addresses it knows, and
 * describes peers and ourselves as {@link Peer}s for messages.
 *
 * <p>Both {@link KadClient} (a peer that answers enters the table) and {@link KadUpkeep} (a peer
 * whose identify lists our protocol enters it) add peers, so this sits below both of them.
 */
final class KadContacts {
  private static final int MAX_PENDING_EVICTION_CHECKS = 8;

  private final Host host;
  private final PeerId self;
  private final RoutingTable table;
  private final Semaphore evictionChecks = new Semaphore(MAX_PENDING_EVICTION_CHECKS);
  private volatile boolean closed;

  KadContacts(Host host, RoutingTable table) {
    this.host = host;
    this.self = host.peerId();
    this.table = table;
  }

  PeerId self() {
    return self;
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
              KadNode.LOG.log(Level.DEBUG, "evicted unresponsive {0} for {1}", oldest.peer(), peer);
            }
          } finally {
            evictionChecks.release();
          }
        });
  }

  /** Our open connection to {@code peer}, else a dial of {@code addrs} and its table addresses. */
  Connection connect(PeerId peer, List<Multiaddr> addrs) throws IOException {
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

  /** The addresses worth keeping and passing on: TCP, QUIC and relayed ones, without the peer's own id. */
  static List<Multiaddr> dialable(List<Multiaddr> addrs) {
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

  /** Our own dialable listen addresses. */
  List<Multiaddr> selfAddrs() {
    return dialable(host.listenAddrs());
  }

  Peer selfPeer() {
    return new Peer(self, selfAddrs(), KadMessage.CONNECTED);
  }

  /** A stored provider as a message peer (ourselves with our current addresses). */
  Peer provider(ProviderStore.Provider p) {
    return p.peer().equals(self)
        ? selfPeer()
        : new Peer(p.peer(), p.addrs(), connectedness(p.peer()));
  }

  int connectedness(PeerId peer) {
    return host.connection(peer).isPresent() ? KadMessage.CONNECTED : KadMessage.NOT_CONNECTED;
  }

  /**
   * The peer named by {@code key} if we are connected to it, with its own listen addresses (a
   * client-mode peer behind a NAT is in nobody's table, but its relays and its closest servers are
   * connected to it, and its relayed addresses are how it is reached), as go-libp2p answers.
   */
  Optional<Peer> connectedTarget(byte[] key, PeerId requester) {
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

  /** Stops adding peers. */
  void close() {
    closed = true;
  }
}
