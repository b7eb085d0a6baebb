package dev.plasm.transport.libp2p.internal.relay;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.RelayLimits;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.internal.codec.Delimited;
import dev.plasm.transport.libp2p.internal.host.HostCore;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages.Hop;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages.Limit;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages.Peer;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages.Reservation;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages.Stop;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The relay side of circuit relay v2 (the hop protocol): reservations and relayed connections
 * within {@link RelayLimits}.
 *
 * <p>A reservation is refused over a relayed connection, past the total or per-IP count; a
 * connection request needs a live reservation of the target and a free circuit slot (in all, and
 * for each end). A relayed connection is two streams bridged by two virtual threads; it is reset
 * at its duration or once either direction has carried its byte limit. A peer whose hop requests
 * keep being refused ({@link RelayLimits#maxRefusalsPerMinute()} in a minute) is abusing the relay:
 * it is dropped with one log line.
 */
public final class RelayService implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.relay");
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final HostCore core;
  private final RelayLimits limits;
  private final Map<PeerId, Held> reservations = new ConcurrentHashMap<>();
  private final Map<PeerId, Integer> circuitsPerPeer = new ConcurrentHashMap<>();
  private final Map<PeerId, Deque<Long>> refusals = new ConcurrentHashMap<>();
  private final Set<Stream> bridged = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  private int circuits;
  private volatile boolean closed;

  private record Held(Instant expires, InetAddress ip) {}

  public RelayService(HostCore core, RelayLimits limits) {
    this.core = core;
    this.limits = limits;
  }

  public RelayLimits limits() {
    return limits;
  }

  public void start() {
    core.setHandler(RelayMessages.HOP, this::serve);
  }

  /** Reservations held now. */
  public int reservationCount() {
    purgeExpired(Instant.now());
    return reservations.size();
  }

  /** Relayed connections open now. */
  public int circuitCount() {
    synchronized (lock) {
      return circuits;
    }
  }

  private Limit limit() {
    return new Limit(limits.circuitDuration().toSeconds(), limits.circuitBytes());
  }

  private void serve(Stream s) throws IOException {
    s.setReadTimeout(REQUEST_TIMEOUT);
    Hop req;
    try {
      req = Hop.decode(Delimited.read(s.input(), RelayMessages.MAX_MESSAGE, "hop message"));
    } catch (MalformedMessageException | IllegalArgumentException e) {
      refuse(s, RelayMessages.MALFORMED_MESSAGE, "malformed hop message: " + e.getMessage());
      return;
    }
    switch (req.type()) {
      case Hop.RESERVE -> reserve(s);
      case Hop.CONNECT -> connect(s, req);
      default -> refuse(s, RelayMessages.UNEXPECTED_MESSAGE, "a hop STATUS message as a request");
    }
  }

  private void reserve(Stream s) throws IOException {
    Connection c = s.connection();
    PeerId peer = c.remotePeer();
    if (c.isRelayed()) {
      refuse(s, RelayMessages.PERMISSION_DENIED, "a reservation over a relayed connection");
      return;
    }
    InetAddress ip = c.remoteAddr().ipAddress().orElse(null);
    Instant now = Instant.now();
    Instant expires =
        now.plus(limits.reservationTtl()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    String refused = null;
    synchronized (lock) {
      purgeExpired(now);
      if (!reservations.containsKey(peer)) {
        if (reservations.size() >= limits.maxReservations()) {
          refused = "the relay holds " + limits.maxReservations() + " reservations already";
        } else if (ip != null
            && reservations.values().stream().filter(h -> ip.equals(h.ip())).count()
                >= limits.maxReservationsPerIp()) {
          refused =
              limits.maxReservationsPerIp()
                  + " reservations from "
                  + ip.getHostAddress()
                  + " already";
        }
      }
      if (refused == null) {
        reservations.put(peer, new Held(expires, ip));
      }
    }
    if (refused != null) {
      refuse(s, RelayMessages.RESERVATION_REFUSED, refused);
      return;
    }
    List<Multiaddr> addrs =
        core.listenAddrs().stream()
            .filter(a -> !a.isCircuit())
            .map(a -> a.withPeerId(core.peerId()))
            .toList();
    byte[] voucher =
        RelayMessages.voucher(core.settings().identity(), peer, expires.getEpochSecond());
    Delimited.write(
        s.output(),
        Hop.status(
                RelayMessages.OK,
                new Reservation(expires.getEpochSecond(), addrs, voucher),
                limit())
            .encode());
    s.closeWrite();
    LOG.log(Level.DEBUG, "relay: reservation for {0} until {1}", peer, expires);
  }

  private void connect(Stream s, Hop req) throws IOException {
    Connection c = s.connection();
    PeerId from = c.remotePeer();
    if (req.peer() == null) {
      refuse(s, RelayMessages.MALFORMED_MESSAGE, "a CONNECT without a target peer");
      return;
    }
    PeerId target = req.peer().id();
    if (c.isRelayed()) {
      refuse(s, RelayMessages.PERMISSION_DENIED, "relaying over a relayed connection");
      return;
    }
    purgeExpired(Instant.now());
    Connection tc =
        reservations.containsKey(target)
            ? core.connection(target).filter(x -> !x.isRelayed()).orElse(null)
            : null;
    if (tc == null) {
      reservations.remove(target); // a reservation lasts only while its peer stays connected
      refuse(s, RelayMessages.NO_RESERVATION, "no reservation for " + target);
      return;
    }
    String full = takeCircuit(from, target);
    if (full != null) {
      refuse(s, RelayMessages.RESOURCE_LIMIT_EXCEEDED, full);
      return;
    }
    try {
      Stream stop;
      Stop answer;
      try {
        stop = tc.newStream(RelayMessages.STOP);
        stop.setReadTimeout(REQUEST_TIMEOUT);
        Delimited.write(
            stop.output(), new Stop(Stop.CONNECT, new Peer(from, List.of()), limit(), 0).encode());
        answer =
            Stop.decode(Delimited.read(stop.input(), RelayMessages.MAX_MESSAGE, "stop message"));
      } catch (IOException | RuntimeException e) {
        status(s, RelayMessages.CONNECTION_FAILED);
        LOG.log(
            Level.DEBUG,
            "relay: {0} -> {1}: the target did not take the stop stream: {2}",
            from,
            target,
            e.toString());
        return;
      }
      if (answer.type() != Stop.STATUS || answer.status() != RelayMessages.OK) {
        stop.reset();
        status(s, RelayMessages.CONNECTION_FAILED);
        return;
      }
      status(s, RelayMessages.OK);
      s.setReadTimeout(Duration.ZERO);
      stop.setReadTimeout(Duration.ZERO);
      LOG.log(Level.DEBUG, "relay: circuit {0} -> {1} open", from, target);
      bridge(s, stop, from + " -> " + target);
    } finally {
      releaseCircuit(from, target);
    }
  }

  /** Takes a circuit slot for both ends; returns why not, or null. */
  private String takeCircuit(PeerId a, PeerId b) {
    synchronized (lock) {
      if (closed) {
        return "the relay is closing";
      }
      if (circuits >= limits.maxCircuits()) {
        return "the relay carries " + limits.maxCircuits() + " relayed connections already";
      }
      for (PeerId p : List.of(a, b)) {
        if (circuitsPerPeer.getOrDefault(p, 0) >= limits.maxCircuitsPerPeer()) {
          return p + " has " + limits.maxCircuitsPerPeer() + " relayed connections already";
        }
      }
      circuits++;
      circuitsPerPeer.merge(a, 1, Integer::sum);
      circuitsPerPeer.merge(b, 1, Integer::sum);
      return null;
    }
  }

  private void releaseCircuit(PeerId a, PeerId b) {
    synchronized (lock) {
      circuits--;
      for (PeerId p : List.of(a, b)) {
        circuitsPerPeer.computeIfPresent(p, (k, v) -> v <= 1 ? null : v - 1);
      }
    }
  }

  /**
   * Copies both ways until both ends have finished; resets both at the duration limit or when a
   * direction passes its byte limit. Blocks the hop handler's thread meanwhile.
   */
  private void bridge(Stream a, Stream b, String label) {
    bridged.add(a);
    bridged.add(b);
    AtomicBoolean over = new AtomicBoolean();
    Thread deadline =
        Thread.ofVirtual()
            .name("relay-deadline " + label)
            .start(
                () -> {
                  try {
                    Thread.sleep(limits.circuitDuration());
                    if (over.compareAndSet(false, true)) {
                      LOG.log(
                          Level.INFO,
                          "relay: circuit {0} reached its {1} s limit; reset",
                          label,
                          limits.circuitDuration().toSeconds());
                      a.reset();
                      b.reset();
                    }
                  } catch (InterruptedException e) {
                    // The circuit ended first.
                  }
                });
    Thread up = Thread.ofVirtual().name("relay " + label).start(() -> copy(a, b, label, over));
    copy(b, a, label, over);
    try {
      up.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deadline.interrupt();
    bridged.remove(a);
    bridged.remove(b);
  }

  private void copy(Stream from, Stream to, String label, AtomicBoolean over) {
    byte[] buf = new byte[16 * 1024];
    long total = 0;
    InputStream in = from.input();
    OutputStream out = to.output();
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        if (total + n > limits.circuitBytes()) {
          out.write(buf, 0, (int) (limits.circuitBytes() - total));
          if (over.compareAndSet(false, true)) {
            LOG.log(
                Level.INFO,
                "relay: circuit {0} carried its {1} bytes in one direction; reset",
                label,
                limits.circuitBytes());
          }
          from.reset();
          to.reset();
          return;
        }
        out.write(buf, 0, n);
        out.flush();
        total += n;
      }
      to.closeWrite();
    } catch (IOException e) {
      if (over.compareAndSet(false, true)) {
        LOG.log(Level.DEBUG, "relay: circuit {0} ended: {1}", label, e.toString());
      }
      from.reset();
      to.reset();
    }
  }

  private void refuse(Stream s, int status, String why) {
    PeerId peer = s.connection().remotePeer();
    LOG.log(
        Level.DEBUG, "relay: refused {0}: {1} ({2})", peer, RelayMessages.statusName(status), why);
    try {
      status(s, status);
    } catch (IOException e) {
      // It hung up; the refusal still counts.
    }
    long now = System.nanoTime();
    int recent;
    Deque<Long> times = refusals.computeIfAbsent(peer, k -> new ArrayDeque<>());
    synchronized (times) {
      times.addLast(now);
      while (!times.isEmpty() && now - times.peekFirst() > 60_000_000_000L) {
        times.removeFirst();
      }
      recent = times.size();
    }
    if (recent > limits.maxRefusalsPerMinute()) {
      refusals.remove(peer);
      core.dropMisbehaving(
          s.connection(),
          "relay abuse: " + recent + " refused hop requests within a minute (last: " + why + ")");
    }
  }

  private static void status(Stream s, int status) throws IOException {
    Delimited.write(s.output(), Hop.status(status, null, null).encode());
    if (status != RelayMessages.OK) {
      s.closeWrite();
    }
  }

  private void purgeExpired(Instant now) {
    reservations.values().removeIf(h -> h.expires().isBefore(now));
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
    }
    core.removeHandler(RelayMessages.HOP);
    bridged.forEach(Stream::reset);
    reservations.clear();
  }
}
