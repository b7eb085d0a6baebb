package dev.plasm.transport.spi;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A running transport node: its addresses and peers, a DHT in the {@code /plasm/} namespace, and
 * streams to other peers.
 *
 * <p>Implementations MUST be thread-safe. The DHT and dial methods block on the network (bounded by
 * {@link TransportLimits#queryTimeout()} and {@link TransportLimits#dialTimeout()}) and are meant
 * for virtual threads. After {@link #close()} every method but {@link #peerId()} throws {@link
 * TransportException}.
 */
public interface Transport extends AutoCloseable {

  /** This node's peer id (the node identity's). */
  String peerId();

  /** The addresses peers can dial, each ending in this node's id (for libp2p, {@code .../p2p/<id>}). */
  List<String> listenAddresses();

  /**
   * Whether peers can dial this node, and how they reach it otherwise (its relayed addresses); see
   * {@link ReachSettings}. The default, for transports that do not check, is {@link
   * Reachability#UNKNOWN}.
   */
  default Reachability reachability() {
    return Reachability.UNKNOWN;
  }

  /** The peers with a live connection now, ordered by peer id. */
  List<ConnectedPeer> peers();

  /**
   * Contacts the bootstrap peers and fills the routing table.
   *
   * @return how many peers the routing table holds afterwards
   */
  int bootstrap();

  /** The best value stored under {@code key} here or on the peers closest to it. */
  Optional<byte[]> getValue(DhtKey key);

  /**
   * Stores {@code value} under {@code key} here and on the peers closest to the key, and keeps
   * republishing it while the node runs.
   *
   * @return how many other peers accepted it (0 when the node is alone)
   * @throws InvalidInputException (field {@code value}) if the value is larger than {@link
   *     TransportLimits#maxValueBytes()}
   */
  int putValue(DhtKey key, byte[] value);

  /**
   * Announces this node as a provider for {@code key} to the peers closest to it.
   *
   * @return how many peers the announcement went to
   */
  int provide(DhtKey key);

  /** Up to {@code max} providers of {@code key} (this node too, if it provides it). */
  List<PeerAddresses> findProviders(DhtKey key, int max);

  /**
   * The addresses of a peer, from the routing table or a DHT lookup.
   *
   * @throws InvalidInputException (field {@code peerId}) if {@code peerId} is not a peer id
   */
  Optional<PeerAddresses> findPeer(String peerId);

  /**
   * One round trip to a peer, dialing it first if needed.
   *
   * @throws PeerUnreachableException if it cannot be found or dialed
   */
  Duration ping(String peerId);

  /** Serves {@code protocol} (e.g. {@code /plasm/job/1.0.0}) with {@code handler}; replaces an earlier one. */
  void setStreamHandler(String protocol, StreamHandler handler);

  /** Stops serving {@code protocol}; returns whether a handler was registered. */
  boolean removeStreamHandler(String protocol);

  /**
   * Opens a stream for {@code protocol} to a peer, dialing it (after a find-peer lookup if needed).
   *
   * @throws PeerUnreachableException if the peer cannot be reached or does not serve the protocol
   */
  PeerStream openStream(String peerId, String protocol);

  /** Stops listening and closes every connection; idempotent. */
  @Override
  void close();
}
