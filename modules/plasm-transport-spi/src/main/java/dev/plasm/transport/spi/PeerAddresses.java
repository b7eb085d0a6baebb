package dev.plasm.transport.spi;

import java.util.List;
import java.util.Objects;

/**
 * A peer and the addresses it can be dialed at, as a DHT lookup found them.
 *
 * @param peerId the peer's id
 * @param addresses its addresses, in the transport's text form (may be empty when unknown)
 */
public record PeerAddresses(String peerId, List<String> addresses) {
  public PeerAddresses {
    Objects.requireNonNull(peerId, "peerId");
    addresses = List.copyOf(addresses);
  }
}
