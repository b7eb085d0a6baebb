package dev.plasm.transport.libp2p;

import dev.plasm.identity.PeerId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A slot this node holds on a circuit relay: peers reach it through {@link #addrs()} until {@link
 * #expires()}, unless the relay connection goes first. The host refreshes it before it expires.
 *
 * @param relay the relay's peer id
 * @param expires when the relay drops it unless refreshed
 * @param addrs our relayed addresses, {@code <relay address>/p2p/<relay>/p2p-circuit}
 * @param circuitDuration how long the relay lets one relayed connection last (zero: no limit)
 * @param circuitBytes how many bytes per direction it lets one relayed connection carry (0: no limit)
 */
public record RelayReservation(
    PeerId relay,
    Instant expires,
    List<Multiaddr> addrs,
    Duration circuitDuration,
    long circuitBytes) {
  public RelayReservation {
    Objects.requireNonNull(relay, "relay");
    Objects.requireNonNull(expires, "expires");
    addrs = List.copyOf(addrs);
    Objects.requireNonNull(circuitDuration, "circuitDuration");
  }
}
