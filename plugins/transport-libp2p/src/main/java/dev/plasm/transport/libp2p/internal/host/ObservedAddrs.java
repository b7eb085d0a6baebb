package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Multiaddr;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The addresses peers report seeing us at (identify's observed address), for connections on our
 * listen ports: behind a NAT, the NAT's outside address and port for our listener, which AutoNAT
 * asks peers to dial back and hole punching hands to the other side. Bounded, and forgotten
 * {@value #TTL_MINUTES} minutes after the last report.
 */
public final class ObservedAddrs {
  static final int MAX_ADDRS = 16;
  static final int MAX_REPORTERS = 16;
  static final long TTL_MINUTES = 30;

  private final Map<Multiaddr, Map<PeerId, Long>> seen = new LinkedHashMap<>();

  synchronized void record(PeerId reporter, Multiaddr observed) {
    Multiaddr a = observed.withoutPeerId();
    if (!(a.isTcp() || a.isQuic())) {
      return;
    }
    expire(System.nanoTime());
    Map<PeerId, Long> by = seen.get(a);
    if (by == null) {
      if (seen.size() >= MAX_ADDRS) {
        return;
      }
      by = new LinkedHashMap<>();
      seen.put(a, by);
    }
    if (by.size() < MAX_REPORTERS || by.containsKey(reporter)) {
      by.put(reporter, System.nanoTime());
    }
  }

  /** Addresses reported by at least {@code minPeers} distinct peers, most reported first. */
  public synchronized List<Multiaddr> addrs(int minPeers) {
    expire(System.nanoTime());
    List<Multiaddr> out = new ArrayList<>();
    seen.entrySet().stream()
        .filter(e -> e.getValue().size() >= minPeers)
        .sorted((x, y) -> Integer.compare(y.getValue().size(), x.getValue().size()))
        .forEach(e -> out.add(e.getKey()));
    return out;
  }

  private void expire(long now) {
    long ttl = Duration.ofMinutes(TTL_MINUTES).toNanos();
    seen.values().forEach(by -> by.values().removeIf(t -> now - t > ttl));
    seen.values().removeIf(Map::isEmpty);
  }
}
