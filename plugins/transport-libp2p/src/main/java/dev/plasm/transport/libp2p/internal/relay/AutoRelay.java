package dev.plasm.transport.libp2p.internal.relay;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.Reachability;
import dev.plasm.transport.libp2p.RelayReservation;
import dev.plasm.transport.libp2p.internal.host.HostCore;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Keeps reservations on relays while AutoNAT says we cannot be dialed: the configured relays
 * first, then connected peers whose identify lists the hop protocol; {@code wanted} of them, checked
 * every {@value #CHECK_SECONDS} s and whenever the reachability changes. Once we are reachable the
 * reservations are released (identify push withdraws the relayed addresses).
 */
public final class AutoRelay implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.relay");
  static final int CHECK_SECONDS = 30;

  private final HostCore core;
  private final List<Multiaddr> relays;
  private final int wanted;
  private final Object wake = new Object();
  private volatile boolean active;
  private volatile boolean closed;
  private final Thread loop;

  /**
   * @param relays relay addresses to prefer, each ending in {@code /p2p/<relay>}
   * @param wanted reservations to hold while unreachable
   */
  public AutoRelay(HostCore core, List<Multiaddr> relays, int wanted) {
    this.core = core;
    this.relays = List.copyOf(relays);
    this.wanted = wanted;
    this.loop = Thread.ofVirtual().name("auto-relay " + core.peerId()).start(this::run);
  }

  /** Follows AutoNAT: reserve while {@link Reachability.Status#PRIVATE}, release once public. */
  public void reachabilityChanged(Reachability r) {
    active = r.status() == Reachability.Status.PRIVATE;
    if (r.status() == Reachability.Status.PUBLIC) {
      for (RelayReservation res : core.relayClient().reservations()) {
        core.relayClient().release(res.relay());
      }
    }
    synchronized (wake) {
      wake.notifyAll();
    }
  }

  private void run() {
    while (!closed) {
      if (active) {
        try {
          ensure();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "relay: keeping reservations failed: {0}", e.toString());
        }
      }
      synchronized (wake) {
        try {
          wake.wait(Duration.ofSeconds(CHECK_SECONDS).toMillis());
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** Reserves on candidates until {@code wanted} reservations are held; returns how many are. */
  int ensure() {
    Set<PeerId> held =
        core.relayClient().reservations().stream()
            .map(RelayReservation::relay)
            .collect(Collectors.toSet());
    for (Multiaddr candidate : candidates(held)) {
      if (held.size() >= wanted || closed || !active) {
        break;
      }
      try {
        RelayReservation r = core.relayClient().reserve(candidate);
        held.add(r.relay());
        LOG.log(Level.INFO, "relay: reachable through {0}", r.addrs());
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.DEBUG, "relay: no reservation at {0}: {1}", candidate, e.toString());
      }
    }
    return held.size();
  }

  private List<Multiaddr> candidates(Set<PeerId> held) {
    Map<PeerId, Multiaddr> out = new LinkedHashMap<>();
    for (Multiaddr a : relays) {
      a.peerId().filter(p -> !held.contains(p)).ifPresent(p -> out.putIfAbsent(p, a));
    }
    List<Connection> conns = new ArrayList<>(core.connections());
    for (Connection c : conns) {
      if (!c.isRelayed()
          && c.isOpen()
          && !held.contains(c.remotePeer())
          && c.identifyInfo().map(i -> i.protocols().contains(RelayMessages.HOP)).orElse(false)) {
        out.putIfAbsent(c.remotePeer(), c.remoteAddr().withPeerId(c.remotePeer()));
      }
    }
    return List.copyOf(out.values());
  }

  @Override
  public void close() {
    closed = true;
    loop.interrupt();
  }
}
