package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.IdentifyInfo;
import dev.plasm.transport.libp2p.Multiaddr;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The DHT's upkeep: follows the kad.host()'s events into the routing table (identify, unresponsive
 * peers, our own pauses) and runs the four background rounds: refresh, keep connected, republish
 * and the expiry sweep. The work of each round is done by {@link KadClient}.
 *
 * <p>Staying connected: every {@value #KEEP_CONNECTED_SECONDS} s, and at once when the process ran
 * again after standing still (SIGSTOP, a suspended machine), the node dials those of its k closest
 * kad.table() peers and of its bootstrap peers it has no connection with, protects the k closest from
 * the idle timeout, and looks itself up again when it lost peers.
 */
final class KadUpkeep {
  static final int KEEP_CONNECTED_SECONDS = 30;

  /** Below this many routing-kad.table() peers, each keep-connected round also looks ourselves up. */
  private static final int LOW_TABLE = 10;

  /** Dials the keep-connected round runs at once. */
  private static final int KEEP_CONNECTED_PARALLEL = 8;

  private static final String PROTECT_CLOSE = "kad-closest";

  private final KadState kad;
  private final PeerId self;
  private final KadKey selfKey;
  private final KadClient client;
  private final List<Thread> background = new CopyOnWriteArrayList<>();
  private final BiConsumer<Connection, IdentifyInfo> identifyListener = this::onIdentify;
  private final Consumer<PeerId> unresponsiveListener = this::onUnresponsive;
  private final Consumer<Duration> resumeListener = this::onResume;

  /** The peers we protect as our k closest, to unprotect those that are no longer. */
  private final Set<PeerId> protectedClose = ConcurrentHashMap.newKeySet();

  private final Semaphore keepConnectedRunning = new Semaphore(1);
  private volatile boolean closed;

  KadUpkeep(KadState kad, KadClient client) {
    this.kad = kad;
    this.self = kad.contacts().self();
    this.selfKey = KadKey.of(self);
    this.client = client;
  }

  /** Listens to the kad.host(), takes in the peers already identified, and starts the rounds. */
  void start() {
    kad.core().addIdentifyListener(identifyListener);
    kad.core().addUnresponsivePeerListener(unresponsiveListener);
    kad.core().addResumeListener(resumeListener);
    // Peers already connected and identified before we started.
    for (Connection c : kad.host().connections()) {
      c.identifyInfo().ifPresent(info -> onIdentify(c, info));
    }
    periodic("kad-refresh", kad.settings().refreshInterval(), this::refresh);
    periodic(
        "kad-keep-connected",
        Duration.ofSeconds(KEEP_CONNECTED_SECONDS),
        () -> keepConnected(false));
    periodic("kad-republish", kad.settings().republishInterval(), this::republish);
    Duration sweep =
        min(Duration.ofMinutes(1), min(kad.settings().recordTtl(), kad.settings().providerTtl()));
    periodic(
        "kad-expiry",
        sweep,
        () -> {
          Instant now = Instant.now();
          int r = kad.records().sweep(now);
          int p = kad.providers().sweep(now);
          if (r + p > 0) {
            KadNode.LOG.log(Level.DEBUG, "expired {0} records and {1} provider records", r, p);
          }
        });
  }

  // ---- the kad.host()'s events ----

  private void onIdentify(Connection c, IdentifyInfo info) {
    if (closed) {
      return;
    }
    if (info.protocols().contains(kad.settings().protocol())) {
      kad.contacts().addPeer(c.remotePeer(), info.listenAddrs());
    } else if (kad.table().remove(c.remotePeer())) {
      KadNode.LOG.log(
          Level.DEBUG,
          "{0} no longer serves {1}; removed from the routing table",
          c.remotePeer(),
          kad.settings().protocol());
    }
  }

  /** The kad.host() closed the peer's last connection: it stopped answering pings, so it is not a good contact. */
  private void onUnresponsive(PeerId peer) {
    if (!closed && kad.table().remove(peer)) {
      KadNode.LOG.log(Level.DEBUG, "removed unresponsive {0} from the routing table", peer);
    }
  }

  /** The process ran again after standing still: peers have likely closed our connections. */
  private void onResume(Duration paused) {
    if (!closed) {
      Thread.ofVirtual().name("kad-resume " + self).start(() -> keepConnected(true));
    }
  }

  // ---- the rounds ----

  /**
   * Keeps the k closest kad.table() peers and the bootstrap peers connected: dials those without a
   * connection (a kad.table() peer that cannot be dialed leaves the kad.table()), moves the idle-timeout
   * protection to the current k closest, then refreshes (through the bootstrap peers while the
   * kad.table() is short of k) if a peer was lost or we have just resumed, so that our neighbours know
   * us again, or at least looks ourselves up while the kad.table() holds fewer than {@value
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
      List<RoutingTable.Entry> closest =
          kad.table().closest(selfKey, kad.settings().k(), p -> false);
      Set<PeerId> ids = new HashSet<>();
      for (RoutingTable.Entry e : closest) {
        ids.add(e.peer());
        if (protectedClose.add(e.peer())) {
          kad.core().protect(e.peer(), PROTECT_CLOSE);
        }
      }
      for (PeerId p : protectedClose) {
        if (!ids.contains(p) && protectedClose.remove(p)) {
          kad.core().unprotect(p, PROTECT_CLOSE);
        }
      }
      Map<PeerId, List<Multiaddr>> toDial = new LinkedHashMap<>();
      for (Multiaddr a : client.seeds()) {
        PeerId id = a.peerId().orElseThrow();
        if (!id.equals(self) && kad.host().connection(id).isEmpty()) {
          toDial.computeIfAbsent(id, x -> new ArrayList<>()).add(a.withoutPeerId());
        }
      }
      for (RoutingTable.Entry e : closest) {
        if (kad.host().connection(e.peer()).isEmpty()) {
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
                        kad.host().dial(d.getKey(), d.getValue());
                      } catch (IOException | RuntimeException e) {
                        KadNode.LOG.log(
                            Level.DEBUG,
                            "kad: could not reconnect to {0}: {1}",
                            d.getKey(),
                            e.toString());
                        if (kad.table().remove(d.getKey())) {
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
        KadNode.LOG.log(
            resumed ? Level.INFO : Level.DEBUG,
            "kad: {0}: reconnected to {1} of {2} peers; routing table {3}",
            resumed ? "after a pause" : "keeping connected",
            toDial.size() - lost.get(),
            toDial.size(),
            kad.table().size());
      }
      if (resumed
          || lost.get() > 0
          || (kad.table().size() < kad.settings().k()
              && !client.seeds().isEmpty()
              && !toDial.isEmpty())) {
        refresh();
      } else if (kad.table().size() < Math.min(kad.settings().k(), LOW_TABLE)) {
        // Few peers (a small network, or one still forming): a self lookup finds those that
        // joined our neighbours after we did, as go-libp2p's "fix low peers" does.
        client.closestPeers(self.toBytes());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      keepConnectedRunning.release();
    }
  }

  /**
   * A self lookup and a refresh of the far buckets, to keep the buckets fresh; through the
   * bootstrap peers again while the kad.table() is short of one full bucket (a node that lost its peers
   * must not wait until it has none at all).
   */
  void refresh() {
    List<Multiaddr> seeds = client.seeds();
    if (kad.table().size() == 0 && seeds.isEmpty()) {
      return;
    }
    if (kad.table().size() < kad.settings().k() && !seeds.isEmpty()) {
      client.bootstrap(List.of());
      return;
    }
    client.closestPeers(self.toBytes());
    client.refreshBuckets(List.of());
  }

  /** Puts our own kad.records() and provider announcements again. */
  void republish() {
    for (byte[][] kv : client.ownRecords()) {
      kad.records().put(kv[0], kv[1], Instant.now());
      int n = client.sendValue(kv[0], kv[1]);
      KadNode.LOG.log(Level.DEBUG, "republished {0} to {1} peers", KadKey.printable(kv[0]), n);
    }
    for (byte[] mh : client.ownProvides()) {
      kad.providers().add(mh, self, kad.contacts().selfAddrs(), Instant.now());
      int n = client.announce(mh);
      KadNode.LOG.log(Level.DEBUG, "re-provided {0} to {1} peers", KadKey.printable(mh), n);
    }
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
                        KadNode.LOG.log(Level.WARNING, "kad: {0} failed: {1}", name, e.toString());
                      }
                    }
                  }
                });
    background.add(t);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** Stops the rounds and stops listening to the kad.host(). */
  void close() {
    closed = true;
    background.forEach(Thread::interrupt);
    kad.core().removeIdentifyListener(identifyListener);
    kad.core().removeUnresponsivePeerListener(unresponsiveListener);
    kad.core().removeResumeListener(resumeListener);
  }
}
