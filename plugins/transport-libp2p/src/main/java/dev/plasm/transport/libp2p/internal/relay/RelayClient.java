package dev.plasm.transport.libp2p.internal.relay;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.Libp2pException;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.RelayReservation;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.internal.codec.Delimited;
import dev.plasm.transport.libp2p.internal.host.HostCore;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages.Hop;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages.Stop;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The client side of circuit relay v2, part of every host: reservations on relays (kept fresh
 * while they last), dialing {@code .../p2p/<relay>/p2p-circuit/p2p/<peer>} addresses, and
 * accepting relayed connections on the stop protocol from relays we hold a reservation with.
 */
public final class RelayClient {
  private static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.relay");
  private static final String PROTECTION_TAG = "relay-reservation";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  /** A reservation is renewed this long before it expires (or at half its life, if shorter). */
  private static final Duration RENEW_AHEAD = Duration.ofMinutes(5);

  private final HostCore core;
  private final Map<PeerId, Held> reservations = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private record Held(RelayReservation reservation, Multiaddr dialed, Thread renewer) {}

  public RelayClient(HostCore core) {
    this.core = core;
  }

  /** Reservations held now. */
  public List<RelayReservation> reservations() {
    return reservations.values().stream().map(Held::reservation).toList();
  }

  /** Our relayed addresses, one per relay address of each reservation. */
  public List<Multiaddr> circuitAddrs() {
    List<Multiaddr> out = new ArrayList<>();
    for (Held h : reservations.values()) {
      out.addAll(h.reservation().addrs());
    }
    return out;
  }

  // ---- reservations ----

  /**
   * Reserves a slot on the relay at {@code relayAddr} (ending in {@code /p2p/<relay>}) and keeps
   * it: renewed before it expires, until {@link #release} or until a renewal fails.
   *
   * @throws Libp2pException if the relay refuses, with its status
   */
  public RelayReservation reserve(Multiaddr relayAddr) throws IOException {
    PeerId relay =
        relayAddr
            .peerId()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "a relay address must end in /p2p/<relay peer id>: " + relayAddr));
    RelayReservation r = request(relayAddr, relay);
    Held old = reservations.get(relay);
    Thread renewer =
        old != null
            ? old.renewer()
            : Thread.ofVirtual().name("relay-renew " + relay).start(() -> keepRenewed(relay));
    reservations.put(relay, new Held(r, relayAddr, renewer));
    core.protect(relay, PROTECTION_TAG); // the reservation lasts only while we stay connected
    core.listenAddrsChanged();
    LOG.log(Level.DEBUG, "relay: reserved on {0} until {1}: {2}", relay, r.expires(), r.addrs());
    return r;
  }

  private RelayReservation request(Multiaddr relayAddr, PeerId relay) throws IOException {
    Connection c = core.dial(relayAddr);
    if (c.isRelayed()) {
      throw new Libp2pException("will not reserve on " + relay + " over a relayed connection");
    }
    Hop resp;
    try (Stream s = c.newStream(RelayMessages.HOP)) {
      s.setReadTimeout(REQUEST_TIMEOUT);
      Delimited.write(s.output(), Hop.reserve().encode());
      resp = Hop.decode(Delimited.read(s.input(), RelayMessages.MAX_MESSAGE, "hop message"));
    }
    if (resp.type() != Hop.STATUS) {
      throw new MalformedMessageException(
          "relay " + relay + " answered a reservation with a hop message of type " + resp.type());
    }
    if (resp.status() != RelayMessages.OK) {
      throw new Libp2pException(
          "relay "
              + relay
              + " refused the reservation: "
              + RelayMessages.statusName(resp.status()));
    }
    RelayMessages.Reservation res = resp.reservation();
    if (res == null || res.expire() <= 0) {
      throw new MalformedMessageException(
          "relay " + relay + " accepted the reservation without saying until when");
    }
    if (res.voucher() != null) {
      RelayMessages.checkVoucher(res.voucher(), relay, core.peerId());
    }
    List<Multiaddr> addrs = new ArrayList<>();
    for (Multiaddr a : res.addrs().isEmpty() ? List.of(relayAddr) : res.addrs()) {
      if (a.isCircuit() || (a.peerId().isPresent() && !a.peerId().get().equals(relay))) {
        continue; // not the relay's own address
      }
      addrs.add(Multiaddr.parse(a.withPeerId(relay) + "/p2p-circuit"));
    }
    RelayMessages.Limit l = resp.limit() != null ? resp.limit() : new RelayMessages.Limit(0, 0);
    return new RelayReservation(
        relay,
        Instant.ofEpochSecond(res.expire()),
        addrs,
        Duration.ofSeconds(l.durationSeconds()),
        l.dataBytes());
  }

  private void keepRenewed(PeerId relay) {
    while (!closed) {
      Held h = reservations.get(relay);
      if (h == null) {
        return;
      }
      Duration left = Duration.between(Instant.now(), h.reservation().expires());
      Duration wait =
          left.minus(
              RENEW_AHEAD.compareTo(left.dividedBy(2)) < 0 ? RENEW_AHEAD : left.dividedBy(2));
      try {
        Thread.sleep(wait.isNegative() ? Duration.ZERO : wait);
      } catch (InterruptedException e) {
        return;
      }
      if (closed || reservations.get(relay) != h) {
        continue;
      }
      try {
        RelayReservation r = request(h.dialed(), relay);
        reservations.put(relay, new Held(r, h.dialed(), h.renewer()));
        core.listenAddrsChanged();
      } catch (IOException | RuntimeException e) {
        LOG.log(
            Level.INFO,
            "relay: renewing the reservation on {0} failed; dropped: {1}",
            relay,
            e.toString());
        release(relay);
        return;
      }
    }
  }

  /** Gives up the reservation on {@code relay}; returns whether there was one. */
  public boolean release(PeerId relay) {
    Held h = reservations.remove(relay);
    if (h == null) {
      return false;
    }
    if (Thread.currentThread() != h.renewer()) {
      h.renewer().interrupt();
    }
    core.unprotect(relay, PROTECTION_TAG);
    core.listenAddrsChanged();
    return true;
  }

  // ---- relayed connections ----

  /**
   * Dials {@code target} through the relay named in {@code circuitAddr} ({@code <relay
   * address>/p2p/<relay>/p2p-circuit[/p2p/<target>]}).
   */
  public Connection dial(Multiaddr circuitAddr, PeerId target) throws IOException {
    Multiaddr relayAddr = relayPart(circuitAddr);
    PeerId relay = relayAddr.peerId().orElseThrow();
    Connection rc = core.dial(relayAddr);
    if (rc.isRelayed()) {
      throw new Libp2pException("will not relay through " + relay + " over a relayed connection");
    }
    Stream s = rc.newStream(RelayMessages.HOP);
    try {
      s.setReadTimeout(core.settings().handshakeTimeout());
      Delimited.write(s.output(), Hop.connect(target).encode());
      Hop resp = Hop.decode(Delimited.read(s.input(), RelayMessages.MAX_MESSAGE, "hop message"));
      if (resp.type() != Hop.STATUS) {
        throw new MalformedMessageException(
            "relay " + relay + " answered CONNECT with a hop message of type " + resp.type());
      }
      if (resp.status() != RelayMessages.OK) {
        throw new IOException(
            "relay "
                + relay
                + " did not connect us to "
                + target
                + ": "
                + RelayMessages.statusName(resp.status()));
      }
      s.setReadTimeout(Duration.ZERO);
    } catch (IOException | RuntimeException e) {
      s.reset();
      throw e;
    }
    return core.upgradeRelayed(s, true, target, Multiaddr.parse(relayAddr + "/p2p-circuit"));
  }

  /** The relay's part of a circuit address: everything before {@code /p2p-circuit}. */
  static Multiaddr relayPart(Multiaddr circuitAddr) {
    List<Multiaddr.Component> c = circuitAddr.components();
    int i = 0;
    while (i < c.size() && c.get(i).protocol() != Multiaddr.Protocol.P2P_CIRCUIT) {
      i++;
    }
    Multiaddr relay = Multiaddr.of(c.subList(0, i));
    if (i == c.size() || relay.peerId().isEmpty()) {
      throw new IllegalArgumentException(
          "a relayed address is <relay address>/p2p/<relay>/p2p-circuit: " + circuitAddr);
    }
    return relay;
  }

  /**
   * The stop protocol: a relay we hold a reservation with connects a peer to us. The handler
   * answers, upgrades the stream into a connection and holds it (the stream is the connection)
   * until that connection ends.
   */
  public void serveStop(Stream s) throws IOException {
    Connection rc = s.connection();
    PeerId relay = rc.remotePeer();
    s.setReadTimeout(REQUEST_TIMEOUT);
    Stop req;
    try {
      req = Stop.decode(Delimited.read(s.input(), RelayMessages.MAX_MESSAGE, "stop message"));
    } catch (MalformedMessageException | IllegalArgumentException e) {
      answer(s, RelayMessages.MALFORMED_MESSAGE);
      return;
    }
    if (req.type() != Stop.CONNECT || req.peer() == null) {
      answer(s, RelayMessages.UNEXPECTED_MESSAGE);
      return;
    }
    if (!reservations.containsKey(relay)) {
      LOG.log(
          Level.DEBUG,
          "relay: {0} tried to relay {1} to us without a reservation",
          relay,
          req.peer().id());
      answer(s, RelayMessages.PERMISSION_DENIED);
      return;
    }
    Delimited.write(s.output(), Stop.status(RelayMessages.OK).encode());
    s.setReadTimeout(Duration.ZERO);
    Multiaddr from = Multiaddr.parse(rc.remoteAddr().withPeerId(relay) + "/p2p-circuit");
    Connection c = core.upgradeRelayed(s, false, req.peer().id(), from);
    // The stream carries the connection: keep the handler (and with it the stream) until it ends.
    c.closed().join();
  }

  private static void answer(Stream s, int status) throws IOException {
    Delimited.write(s.output(), Stop.status(status).encode());
    s.closeWrite();
  }

  /** The relayed connection to {@code peer} this client could use, if any. */
  public Optional<RelayReservation> reservation(PeerId relay) {
    return Optional.ofNullable(reservations.get(relay)).map(Held::reservation);
  }

  public void close() {
    closed = true;
    for (PeerId relay : List.copyOf(reservations.keySet())) {
      release(relay);
    }
  }
}
