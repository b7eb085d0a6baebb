package dev.plasm.transport.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A peer this node has a live connection to.
 *
 * @param peerId the peer's id (for libp2p, base58btc {@code 12D3KooW...})
 * @param addresses the address of the connection, then the peer's own listen addresses
 * @param agentVersion what the peer says it runs, or empty if it has not said yet
 * @param protocols the protocols the peer says it serves (empty until it says)
 * @param direction who dialed
 * @param since when the connection was opened (or first seen by the node)
 */
public record ConnectedPeer(
    String peerId,
    List<String> addresses,
    String agentVersion,
    List<String> protocols,
    Direction direction,
    Instant since) {

  /** Who opened a connection. */
  public enum Direction {
    /** The peer dialed us. */
    INBOUND,
    /** We dialed the peer. */
    OUTBOUND
  }

  public ConnectedPeer {
    Objects.requireNonNull(peerId, "peerId");
    addresses = List.copyOf(addresses);
    Objects.requireNonNull(agentVersion, "agentVersion");
    protocols = List.copyOf(protocols);
    Objects.requireNonNull(direction, "direction");
    Objects.requireNonNull(since, "since");
  }
}
