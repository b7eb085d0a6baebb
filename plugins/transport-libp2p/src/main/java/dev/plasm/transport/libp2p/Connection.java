package dev.plasm.transport.libp2p;

import dev.plasm.identity.PeerId;
import dev.plasm.identity.PeerPublicKey;
import java.io.Closeable;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * An authenticated, multiplexed connection to one peer: TCP secured with Noise and multiplexed with
 * Yamux, QUIC, or a circuit through a relay (again with Noise and Yamux).
 */
public interface Connection extends Closeable {
  /** The peer that proved its identity in the Noise handshake. */
  PeerId remotePeer();

  PeerPublicKey remotePublicKey();

  Multiaddr remoteAddr();

  Multiaddr localAddr();

  /** True if we dialed this connection. */
  boolean isOutbound();

  /**
   * True if this connection runs through a relay's circuit ({@link #remoteAddr()} ends in {@code
   * /p2p-circuit}): the relay limits how long it lasts and how many bytes it carries.
   */
  default boolean isRelayed() {
    return remoteAddr().isCircuit();
  }

  /**
   * Opens a stream and negotiates the first of {@code protocols} the peer supports.
   *
   * @throws ProtocolNotSupportedException if the peer supports none of them
   */
  Stream newStream(String... protocols) throws IOException;

  /** The peer's latest identify information (from identify, updated by pushes), if known yet. */
  Optional<IdentifyInfo> identifyInfo();

  /** Completes when the first identify exchange on this connection has finished. */
  CompletableFuture<IdentifyInfo> identified();

  boolean isOpen();

  /** Completes with a reason once the connection has closed. */
  CompletableFuture<String> closed();

  /** Closes politely (Yamux GoAway) and releases the socket. */
  @Override
  void close();
}
