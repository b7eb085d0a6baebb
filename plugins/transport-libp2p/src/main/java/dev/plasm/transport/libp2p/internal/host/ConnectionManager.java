package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.PeerDrop;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Keeps a host's connections within its limits: admits or refuses inbound sockets (total, per IP,
 * handshakes in progress), enforces the absolute handshake deadline, keeps one connection per
 * peer, closes idle connections of unprotected peers, and reports every dropped peer.
 *
 * <p>One virtual thread ticks every {@value #TICK_MILLIS} ms; it never blocks on a peer (closing
 * is done on fresh virtual threads).
 */
final class ConnectionManager implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.host");
  static final long TICK_MILLIS = 100;

  /** How long a connection that lost the one-per-peer choice may finish its streams. */
  static final long DRAIN_GRACE_NANOS = 10_000_000_000L;

  /**
   * A tick this late means the whole process stood still (SIGSTOP, a suspended machine, a very
   * long GC pause): peers have likely given up on our connections while we were away.
   */
  static final long PAUSE_NANOS = 5_000_000_000L;

  /** How long after a pause timeouts are still ours rather than our peers' (a ping timeout and more). */
  private static final long AFTER_PAUSE_NANOS = 10_000_000_000L;

  private final HostSettings settings;
  private final PeerId self;
  private final Set<ConnectionImpl> connections = ConcurrentHashMap.newKeySet();
  private final Set<Handshake> handshakes = ConcurrentHashMap.newKeySet();
  private final Semaphore pendingInbound;
  private final ConcurrentHashMap<InetAddress, Integer> inboundPerIp = new ConcurrentHashMap<>();

  /** Protected peers and who protects them (the DHT, a relay reservation, the host's user). */
  private final ConcurrentHashMap<PeerId, Set<String>> protectedPeers = new ConcurrentHashMap<>();

  private final List<Consumer<PeerDrop>> dropListeners = new CopyOnWriteArrayList<>();
  private final Object registerLock = new Object();
  private final AtomicLong registrations = new AtomicLong();
  private final Thread ticker;
  private volatile Consumer<Duration> pauseListener = d -> {};
  private volatile long lastTick = System.nanoTime();
  private volatile long pauseSeenAt;
  private volatile boolean pauseSeen;
  private volatile boolean closed;

  ConnectionManager(HostSettings settings) {
    this.settings = settings;
    this.self = settings.identity().peerId();
    this.pendingInbound = new Semaphore(settings.maxPendingHandshakes());
    this.ticker = Thread.ofVirtual().name("libp2p-connmgr " + self).start(this::tickLoop);
  }

  /**
   * A connection being upgraded (a TCP socket, a QUIC connection, a relayed stream); {@code
   * resource} is closed once its deadline passes.
   */
  final class Handshake implements AutoCloseable {
    final Closeable resource;
    final InetSocketAddress remote;
    final boolean inbound;
    private final long deadline;
    private volatile boolean expired;
    private boolean ipHeld;
    private boolean done;

    private Handshake(
        Closeable resource, InetSocketAddress remote, boolean inbound, boolean ipHeld) {
      this.resource = resource;
      this.remote = remote;
      this.inbound = inbound;
      this.ipHeld = ipHeld;
      this.deadline = System.nanoTime() + settings.handshakeTimeout().toNanos();
    }

    /** True if the deadline passed and the socket was closed under the upgrade. */
    boolean expired() {
      return expired;
    }

    /**
     * Closes the socket under the upgrade if the deadline has passed and the handshake has not ended,
     * as one step with {@link #close}: a tick that saw the handshake in progress must not close the
     * socket of the connection it has meanwhile become.
     */
    synchronized void expireIfDue(long now) {
      if (done || expired || now - deadline <= 0) {
        return;
      }
      // The upgrade thread sees its socket fail, logs the drop and releases the slot.
      expired = true;
      closeQuietly(resource);
    }

    /** The upgraded connection now holds the per-IP slot; it is released when it closes. */
    void handOver() {
      ipHeld = false;
    }

    @Override
    public synchronized void close() {
      if (done) {
        return;
      }
      done = true;
      handshakes.remove(this);
      if (inbound) {
        pendingInbound.release();
      }
      if (ipHeld) {
        releaseIp(remote.getAddress());
      }
    }
  }

  // ---- admission ----

  /**
   * Admits an inbound connection from {@code remote} (an accepted socket, a new QUIC connection; null
   * for a relayed circuit, whose IP is the relay's and is not counted), or refuses it (closed,
   * logged, reported) and returns null.
   */
  Handshake admitInbound(Closeable s, InetSocketAddress remote, Multiaddr from) {
    if (closed) {
      closeQuietly(s);
      return null;
    }
    InetAddress ip = remote == null ? null : remote.getAddress();
    int[] count = new int[1];
    if (ip != null) {
      inboundPerIp.compute(
          ip,
          (k, v) -> {
            count[0] = v == null ? 1 : v + 1;
            return count[0];
          });
    }
    if (count[0] > settings.maxInboundPerIp()) {
      releaseIp(ip);
      refuse(
          s,
          from,
          settings.maxInboundPerIp()
              + " inbound connections from "
              + ip.getHostAddress()
              + " already");
      return null;
    }
    if (!pendingInbound.tryAcquire()) {
      releaseIp(ip);
      refuse(s, from, settings.maxPendingHandshakes() + " handshakes already in progress");
      return null;
    }
    if (openCount() + handshakes.size() >= settings.maxConnections() && !trimIdle()) {
      pendingInbound.release();
      releaseIp(ip);
      refuse(s, from, "the limit of " + settings.maxConnections() + " connections is reached");
      return null;
    }
    Handshake h = new Handshake(s, remote, true, ip != null);
    handshakes.add(h);
    return h;
  }

  /** Tracks an outbound upgrade so that its deadline holds too. */
  Handshake beginOutbound(Closeable s, InetSocketAddress remote) {
    Handshake h = new Handshake(s, remote, false, false);
    handshakes.add(h);
    return h;
  }

  private void refuse(Closeable s, Multiaddr from, String why) {
    LOG.log(Level.WARNING, "dropping connection from {0}: {1}", from, why);
    closeQuietly(s);
    dropped(new PeerDrop(from, Optional.empty(), PeerDrop.Reason.LIMIT, why));
  }

  private void releaseIp(InetAddress ip) {
    if (ip != null) {
      inboundPerIp.computeIfPresent(ip, (k, v) -> v <= 1 ? null : v - 1);
    }
  }

  // ---- established connections ----

  /**
   * Adds an upgraded connection and returns the one to use for its peer: itself, or an open one
   * that wins the one-connection-per-peer choice (the new one then drains and closes). Returns
   * null if the connection limit refuses it (it is then closed).
   */
  ConnectionImpl register(ConnectionImpl c, Handshake h) {
    synchronized (registerLock) {
      connections.add(c);
      if (h.inbound) {
        h.handOver();
        c.closed().whenComplete((r, t) -> releaseIp(c.remoteIp()));
      }
      c.closed().whenComplete((r, t) -> connections.remove(c));
      c.registration(registrations.incrementAndGet());
      List<ConnectionImpl> others =
          connections.stream()
              .filter(o -> o != c && o.remotePeer().equals(c.remotePeer()) && o.acceptsNewStreams())
              .sorted(Comparator.comparingLong(ConnectionImpl::registration))
              .toList();
      List<ConnectionImpl> peersChoice = new ArrayList<>();
      for (ConnectionImpl other : others) {
        if (bothDialedByThePeer(other, c)) {
          peersChoice.add(other);
          continue;
        }
        ConnectionImpl keep = preferred(other, c);
        ConnectionImpl lose = keep == c ? other : c;
        LOG.log(
            Level.DEBUG,
            "two connections with {0}: keeping {1}, draining {2}",
            c.remotePeer(),
            keep,
            lose);
        lose.drain();
        if (lose == c) {
          return keep;
        }
      }
      // Beside the new one, at most one more that the peer dialed stays (the newest); older ones
      // drain, so a peer cannot hold many connections to us this way.
      for (int i = 0; i < peersChoice.size() - 1; i++) {
        LOG.log(
            Level.DEBUG,
            "a third connection from {0}: draining the oldest, {1}",
            c.remotePeer(),
            peersChoice.get(i));
        peersChoice.get(i).drain();
      }
      if (!peersChoice.isEmpty()) {
        return c;
      }
      if (openCount() > settings.maxConnections() && !trimIdle()) {
        LOG.log(
            Level.WARNING,
            "closing {0}: the limit of {1} connections is reached",
            c,
            settings.maxConnections());
        if (!c.isOutbound()) {
          dropped(
              new PeerDrop(
                  c.remoteAddr(),
                  Optional.of(c.remotePeer()),
                  PeerDrop.Reason.LIMIT,
                  "the limit of " + settings.maxConnections() + " connections is reached"));
        }
        return null;
      }
      return c;
    }
  }

  /**
   * Both connections were dialed by the peer, so the choice is the peer's: it may have given up on
   * the older one (closing it, its close still on the way, or forcing a fresh one as js's {@code
   * force} does), or it may abort the newer one itself (js keeps its existing connection when a new
   * one reaches the same address, as two relayed ones do). Both stay open until the peer closes
   * one; our own streams go on the newer. Draining either here would refuse streams the peer opens
   * on it.
   */
  private boolean bothDialedByThePeer(ConnectionImpl older, ConnectionImpl newer) {
    return older.relayed() == newer.relayed() && !older.isOutbound() && !newer.isOutbound();
  }

  /**
   * Of two connections to one peer, both sides keep the one dialed by the peer with the smaller
   * id (so simultaneous dials converge on the same connection); the newer one if we dialed both:
   * our dialer shares one attempt per peer and reuses an open connection, so a second dial means
   * the first was closing. (Two dialed by the peer: {@link #bothDialedByThePeer}.)
   */
  private ConnectionImpl preferred(ConnectionImpl older, ConnectionImpl newer) {
    // A direct connection beats a relayed one (the relay limits it, and a hole punch exists to
    // replace it); both sides see the same two kinds, so they agree.
    if (older.relayed() != newer.relayed()) {
      return older.relayed() ? newer : older;
    }
    PeerId d1 = older.isOutbound() ? self : older.remotePeer();
    PeerId d2 = newer.isOutbound() ? self : newer.remotePeer();
    if (d1.equals(d2)) {
      return newer;
    }
    return Arrays.compareUnsigned(d1.toBytes(), d2.toBytes()) < 0 ? older : newer;
  }

  Set<ConnectionImpl> connections() {
    return connections;
  }

  private int openCount() {
    int n = 0;
    for (ConnectionImpl c : connections) {
      n += c.live() ? 1 : 0;
    }
    return n;
  }

  /** Closes the longest-idle unprotected connection without streams; false if there is none. */
  private boolean trimIdle() {
    Optional<ConnectionImpl> victim =
        connections.stream()
            .filter(c -> c.live() && c.streamCount() == 0 && !isProtected(c.remotePeer()))
            .min(Comparator.comparingLong(ConnectionImpl::lastStreamActivity));
    victim.ifPresent(
        c -> {
          LOG.log(Level.DEBUG, "closing idle {0} to make room for a new connection", c);
          closeAsync(c);
        });
    return victim.isPresent();
  }

  void protect(PeerId peer, String tag) {
    protectedPeers.compute(
        peer,
        (p, tags) -> {
          Set<String> t = tags == null ? ConcurrentHashMap.newKeySet() : tags;
          t.add(tag);
          return t;
        });
  }

  /** Drops {@code tag}'s protection; returns false if {@code tag} did not protect the peer. */
  boolean unprotect(PeerId peer, String tag) {
    boolean[] removed = new boolean[1];
    protectedPeers.computeIfPresent(
        peer,
        (p, tags) -> {
          removed[0] = tags.remove(tag);
          return tags.isEmpty() ? null : tags;
        });
    return removed[0];
  }

  boolean isProtected(PeerId peer) {
    return protectedPeers.containsKey(peer);
  }

  // ---- drops ----

  void addDropListener(Consumer<PeerDrop> l) {
    dropListeners.add(l);
  }

  void removeDropListener(Consumer<PeerDrop> l) {
    dropListeners.remove(l);
  }

  /** Tells the listeners; the caller has logged the drop. */
  void dropped(PeerDrop d) {
    for (Consumer<PeerDrop> l : dropListeners) {
      try {
        l.accept(d);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "drop listener failed: {0}", e.toString());
      }
    }
  }

  /** Handshakes in progress (inbound and outbound), for diagnostics and tests. */
  int handshakesInProgress() {
    return handshakes.size();
  }

  /** Inbound connections (upgrading or established) counted against {@code ip}. */
  int inboundFrom(InetAddress ip) {
    return inboundPerIp.getOrDefault(ip, 0);
  }

  // ---- the ticker ----

  /** Called on the ticker's thread when the process ran again after standing still. */
  void onPause(Consumer<Duration> listener) {
    pauseListener = listener;
  }

  /**
   * True while the process stands still (the ticker is late) or ran again less than ten seconds
   * ago: a connection timing out then timed out on our side, and says nothing about its peer.
   */
  boolean pausedRecently() {
    long now = System.nanoTime();
    return now - lastTick > PAUSE_NANOS || (pauseSeen && now - pauseSeenAt < AFTER_PAUSE_NANOS);
  }

  private void tickLoop() {
    while (!closed) {
      try {
        Thread.sleep(TICK_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      long last = lastTick;
      lastTick = now;
      if (now - last > PAUSE_NANOS) {
        pauseSeenAt = now;
        pauseSeen = true;
        try {
          pauseListener.accept(Duration.ofNanos(now - last));
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "pause listener failed: {0}", e.toString());
        }
      }
      for (Handshake h : handshakes) {
        h.expireIfDue(now);
      }
      long idle = settings.idleTimeout().toNanos();
      for (ConnectionImpl c : connections) {
        if (!c.isOpen()) {
          continue;
        }
        if (c.draining()) {
          if (c.streamCount() == 0 || now - c.drainingSince() > DRAIN_GRACE_NANOS) {
            closeAsync(c);
          }
        } else if (idle > 0
            && c.streamCount() == 0
            && now - c.lastStreamActivity() > idle
            && !isProtected(c.remotePeer())) {
          LOG.log(
              Level.DEBUG,
              "closing {0}: no streams for {1} s",
              c,
              settings.idleTimeout().toSeconds());
          closeAsync(c);
        }
      }
    }
  }

  private static void closeAsync(ConnectionImpl c) {
    if (c.markClosing()) {
      Thread.startVirtualThread(c::close);
    }
  }

  static void closeQuietly(Closeable s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // Nothing more to release.
    }
  }

  @Override
  public void close() {
    closed = true;
    ticker.interrupt();
    for (Handshake h : handshakes) {
      closeQuietly(h.resource);
    }
  }
}
